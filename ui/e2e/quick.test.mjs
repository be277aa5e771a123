// End to end: quick ask. `palaver --quick-ask` reaches the running app, which shows the
// quick-ask window; a question streams there; Escape hides it (checked with the X server,
// not the page); the conversation is in the main window's history; Ctrl+Enter continues it
// in the main window.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Keys } from './webdriver.mjs';
import { APP, startStack, viewableWindow } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
let mainHandle;
const env = (base, dataDir) => ({ OPENAI_API_KEY: 'sk-e2e-quick-000000000000', PALAVER_DATA_DIR: dataDir, OPENAI_BASE_URL: base });

/** The X server's word on whether the quick-ask window is on screen. */
function quickAskMapped() {
  return viewableWindow('Palaver — Quick ask') !== null;
}

function launchQuickAsk() {
  const r = spawnSync(APP, ['--quick-ask'], { env: { ...process.env, ...env(stack.base, stack.dataDir) }, timeout: 20000 });
  assert.equal(r.status, 0, `palaver --quick-ask exited with ${r.status}: ${r.stderr}`);
}

async function switchToQuickAsk() {
  const { app } = stack;
  const handles = await app.waitFor(async () => {
    const h = await app.windowHandles();
    return h.length > 1 ? h : null;
  }, { what: 'a second window' });
  for (const h of handles) {
    await app.switchTo(h);
    if ((await app.exec('return location.pathname')).endsWith('quick.html')) return h;
  }
  throw new Error('no quick-ask window among the handles');
}

before(async () => {
  stack = await startStack({ env });
  await stack.startApp();
  mainHandle = await stack.app.currentHandle();
});

after(async () => {
  await stack?.stop();
});

test('palaver --quick-ask shows the quick-ask window of the running app, focused', async () => {
  const { app } = stack;
  await app.waitFor(async () => (await app.find('#message')).displayed(), { what: 'the main window' });
  assert.equal(quickAskMapped(), false, 'hidden at start');
  launchQuickAsk();
  await app.waitFor(async () => quickAskMapped(), { what: 'the quick-ask window on screen' });
  await switchToQuickAsk();
  assert.equal(await app.exec('return document.activeElement?.id'), 'quick-input');
  await stack.shot('quick-ask');
});

test('a question streams its answer inline, and Escape hides the window', async () => {
  const { app } = stack;
  const input = await app.find('#quick-input');
  await input.type('What is a lighthouse?');
  await input.type(Keys.ENTER);
  await app.waitFor(async () => /That is all/.test(await app.exec(`return document.querySelector('#quick-reply').innerText`)), { timeout: 30000, what: 'the answer' });
  await stack.shot('quick-ask-answer');
  await (await app.find('#quick-input')).type(Keys.ESCAPE);
  await app.waitFor(async () => !quickAskMapped(), { what: 'the window to hide' });
});

test('the quick question is in the main window history, and Ctrl+Enter continues it there', async () => {
  const { app } = stack;
  await app.switchTo(mainHandle);
  await app.waitFor(async () => (await app.exec(`return [...document.querySelectorAll('.conv-open')].map(b => b.textContent)`)).includes('What is a lighthouse?'), { what: 'the conversation in the sidebar' });

  launchQuickAsk();
  await app.waitFor(async () => quickAskMapped(), { what: 'the quick-ask window again' });
  await switchToQuickAsk();
  const input = await app.find('#quick-input');
  await input.type('And who keeps it?');
  await input.type(Keys.ENTER);
  let shownReply = '';
  await app.waitFor(async () => {
    shownReply = await app.exec(`return document.querySelector('#quick-reply').innerText + ' | input: ' + document.querySelector('#quick-input').value`);
    return /That is all/.test(shownReply);
  }, { timeout: 30000, what: 'the second answer' }).catch((e) => { throw new Error(`${e.message}; quick ask shows “${shownReply.slice(0, 300)}”`); });
  await app.exec(`document.querySelector('#quick-input').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }))`);
  await app.waitFor(async () => !quickAskMapped(), { what: 'quick ask to give way' });
  await app.switchTo(mainHandle);
  let shown = '';
  await app.waitFor(async () => {
    shown = await app.exec(`return document.querySelector('#conversation-title').textContent + ' | ' + document.querySelectorAll('.msg').length + ' messages'`);
    return shown.startsWith('And who keeps it? |');
  }, { what: 'the conversation in the main window' }).catch((e) => { throw new Error(`${e.message}; the main window shows “${shown}”`); });
  const texts = await app.exec(`return [...document.querySelectorAll('.msg.user .bubble')].map(b => b.textContent)`);
  assert.deepEqual(texts, ['And who keeps it?']);
});

test('quick ask shows the reasoning apart from the answer, and says when the length limit cut a reply', async () => {
  const { app } = stack;
  await app.switchTo(mainHandle);
  launchQuickAsk();
  await app.waitFor(async () => quickAskMapped(), { what: 'the quick-ask window again' });
  await switchToQuickAsk();
  const idle = async () => app.exec(`return document.querySelector('#quick-reply').getAttribute('aria-busy') !== 'true'`);
  const input = await app.find('#quick-input');
  await input.type('Think first [reasoning]');
  await input.type(Keys.ENTER);
  await app.waitFor(async () => /That is all/.test(await app.exec(`return document.querySelector('#quick-reply .content').innerText`)) && idle(), { timeout: 30000, what: 'the answer' });
  const shown = await app.exec(`const t = document.querySelector('#quick-reply details.thinking');
    return { hidden: t.hidden, summary: t.querySelector('summary').textContent, reasoning: t.querySelector('.reasoning').textContent,
             answer: document.querySelector('#quick-reply .content').innerText };`);
  assert.equal(shown.hidden, false, 'the reasoning is on screen');
  assert.equal(shown.summary, 'Thought');
  assert.match(shown.reasoning, /Let me think/);
  assert.ok(!shown.answer.includes('Let me think'), 'the reasoning is not in the answer');
  await app.exec(`document.querySelector('#quick-reply details.thinking').open = true`);
  await stack.shot('quick-ask-reasoning');

  await (await app.find('#quick-input')).type('Go on [length]');
  await (await app.find('#quick-input')).type(Keys.ENTER);
  await app.waitFor(async () => (await app.exec(`return document.querySelector('#quick-reply').getAttribute('aria-busy')`)) === null
    && app.exec(`return !document.querySelector('#quick-status').hidden`), { timeout: 30000, what: 'the reply cut short' });
  assert.equal(await app.exec(`return document.querySelector('#quick-status').textContent`), 'The reply reached the model’s length limit.');
  await stack.shot('quick-ask-length');
  await (await app.find('#quick-input')).type(Keys.ESCAPE);
  await app.waitFor(async () => !quickAskMapped(), { what: 'the window to hide' });
});

test('an error whose fix is in Settings offers “Open settings”, which opens them in the main window', async () => {
  const { app } = stack;
  await app.switchTo(mainHandle);
  launchQuickAsk();
  await app.waitFor(async () => quickAskMapped(), { what: 'the quick-ask window' });
  await switchToQuickAsk();
  const input = await app.find('#quick-input');
  await input.type('Hello [401]');
  await input.type(Keys.ENTER);
  await app.waitFor(async () => app.exec(`return [...document.querySelectorAll('#quick-status button')].some(b => b.textContent === 'Open settings')`),
    { timeout: 30000, what: 'the “Open settings” button' });
  assert.match(await app.exec(`return document.querySelector('#quick-status strong').textContent`), /did not accept the API key/);
  await stack.shot('quick-ask-open-settings');
  await app.exec(`[...document.querySelectorAll('#quick-status button')].find(b => b.textContent === 'Open settings').click()`);
  await app.waitFor(async () => !quickAskMapped(), { what: 'quick ask to hide' });
  await app.switchTo(mainHandle);
  await app.waitFor(async () => app.exec(`return document.querySelector('#settings').open`), { what: 'the settings in the main window' });
  await app.exec(`document.querySelector('#s-cancel').click()`);
});
