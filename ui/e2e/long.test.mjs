// End to end: what is long stays usable. A reply of tens of thousands of tokens streams in
// whole, and nothing it showed is drawn again when it ends; a conversation of 1,000 messages
// opens at its end holding only what is near the viewport, scrolls to its first message, and
// a search result in its middle opens at that message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keys } from './webdriver.mjs';
import { startStack } from './harness.mjs';
import { conversationExport, importHistory } from './fixtures.mjs';

const MESSAGES = 1000;
const TITLE = 'A long conversation';
const LAST_WORD = 'finallastword';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./webdriver.mjs').Session} */
let app;

before(async () => {
  stack = await startStack({ env: () => ({ OPENAI_API_KEY: 'sk-e2e-long-000000000000' }) });
  importHistory(stack.dataDir, conversationExport(MESSAGES, { title: TITLE, lastWord: LAST_WORD }));
  app = await stack.startApp();
  await app.waitFor(async () => (await app.find('#message')).displayed(), { what: 'the chat' });
});

after(async () => {
  await stack?.stop();
});

const articles = () => app.exec(`return document.querySelectorAll('#conversation article').length`);
/** Whether the message with this id is in the DOM and at least partly inside the log's viewport. */
const inView = (id) => app.exec(`
  const a = document.querySelector('#conversation article[data-id="' + arguments[0] + '"]');
  if (!a) return false;
  const r = a.getBoundingClientRect(), v = document.querySelector('#conversation').getBoundingClientRect();
  return r.bottom > v.top && r.top < v.bottom;`, id);

test('a reply of 60,000 tokens streams in whole, and its end draws nothing on screen again', async () => {
  await app.exec(`const m = document.querySelector('#message'); m.value = '[burst 60000 markdown]'; m.dispatchEvent(new Event('input'));`);
  await (await app.find('#message')).type(Keys.ENTER);
  // Mid-stream, note the reply's first paragraph and first code block as they are on screen.
  await app.waitFor(() => app.exec(`
    const r = [...document.querySelectorAll('.msg.assistant')].pop();
    const p = r?.querySelector('.content p'), code = r?.querySelector('.content .codeblock');
    if (!p || !code) return false;
    window.__firstParagraph = p; window.__firstCode = code;
    return true;`), { timeout: 30000, what: 'the reply to start' });
  await stack.waitIdle();
  const after = await app.exec(`
    const r = [...document.querySelectorAll('.msg.assistant')].pop();
    return {
      sameParagraph: r.querySelector('.content p') === window.__firstParagraph && window.__firstParagraph.isConnected,
      sameCode: r.querySelector('.content .codeblock') === window.__firstCode,
      text: r.querySelector('.content').textContent.slice(-200),
      codeBlocks: r.querySelectorAll('.content pre').length,
      decorated: r.querySelectorAll('.content .codeblock pre').length,
      streaming: r.querySelectorAll('.streaming-code').length,
      tables: r.querySelectorAll('.content table').length,
      actions: [...r.querySelectorAll('.msg-actions button')].map((b) => b.textContent),
    };`);
  assert.ok(after.sameParagraph, 'the first paragraph is the node that streamed in, not a new drawing of it');
  assert.ok(after.sameCode, 'so is the first code block');
  assert.match(after.text, /m060000\W*$/, 'the last token is on screen');
  assert.ok(after.codeBlocks > 10 && after.tables > 10, `${after.codeBlocks} code blocks, ${after.tables} tables`);
  assert.equal(after.decorated, after.codeBlocks, 'every code block finished: highlighted, with Copy');
  assert.equal(after.streaming, 0);
  assert.ok(after.actions.includes('Regenerate'), 'the finished reply has its actions');
  await stack.shot('long-reply');
});

test('a 1,000-message conversation opens at its end with only the messages near the viewport in the DOM', async () => {
  await app.exec(`[...document.querySelectorAll('.conv-open')].find((b) => b.textContent === arguments[0])?.click()`, TITLE);
  await app.waitFor(() => inView(`bench-msg-${MESSAGES - 1}`), { what: 'the last message on screen' });
  assert.match(await stack.lastReply('.content'), new RegExp(LAST_WORD));
  const count = await articles();
  assert.ok(count > 3 && count < 80, `${count} articles in the DOM for ${MESSAGES} messages`);
  await stack.shot('long-conversation-end');
});

test('scrolled to its top, the first message is there, and the DOM still holds only a window', async () => {
  // A reader scrolling up: a screenful at a time, each step a frame apart.
  await app.waitFor(() => app.exec(`
    const log = document.querySelector('#conversation');
    log.scrollTop = Math.max(0, log.scrollTop - 3000);
    return log.scrollTop === 0 && !!document.querySelector('#conversation article[data-id="bench-msg-0"]');`),
  { timeout: 30000, interval: 16, what: 'the top of the conversation' });
  assert.ok(await inView('bench-msg-0'), 'the first message is on screen');
  const first = await app.exec(`return document.querySelector('#conversation article[data-id="bench-msg-0"]').textContent`);
  assert.match(first, /How do I read a large file line by line/);
  const count = await articles();
  assert.ok(count < 80, `${count} articles in the DOM after scrolling through ${MESSAGES}`);
  await stack.shot('long-conversation-top');
});

test('a search result in the middle of it opens the conversation at that message', async () => {
  await app.exec(`document.querySelector('#new-chat')?.click()`);
  await app.waitFor(async () => app.exec(`
    const dialog = document.querySelector('#search');
    if (!dialog.open) document.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }));
    return dialog.open;`), { what: 'the search dialog' });
  // Only turn 253’s answer (message 507, a table) has the number 253 in it.
  await (await app.find('#search-input')).type('253');
  // (The long reply of the first test may have a 253 in it too: pick the table's.)
  await app.waitFor(() => app.exec(`return [...document.querySelectorAll('.search-hit')].some((h) => h.textContent.includes('Row count'))`), { what: 'the search result' });
  await app.exec(`[...document.querySelectorAll('.search-hit')].find((h) => h.textContent.includes('Row count')).click()`);
  await app.waitFor(() => inView('bench-msg-507'), { what: 'message 507 on screen' });
  const found = await app.exec(`return document.querySelector('#conversation article[data-id="bench-msg-507"]').textContent`);
  assert.match(found, /Row count 253/);
  assert.ok(await articles() < 80);
  await stack.shot('long-conversation-search');
});
