// End to end: the real app binary in a real WebKit window (Xvfb), driven over WebDriver
// (tauri-driver + WebKitWebDriver), with a real Secret Service and the mock OpenAI server.
// Run through .ci/e2e, which provides the display, the session bus and the keyring.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keys } from './webdriver.mjs';
import { filesContaining, startStack } from './harness.mjs';

const KEY = 'sk-e2e-test-key-0123456789-LAST';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./webdriver.mjs').Session} */
let app;
let ask, lastReply, lastReplyBusy, waitIdle, shot, stats;

before(async () => {
  stack = await startStack({ mockArgs: ['--require-key', KEY] });
  app = await stack.startApp();
  ({ ask, lastReply, lastReplyBusy, waitIdle, shot, stats } = stack);
});

after(async () => {
  await stack?.stop();
});

test('first run: the key pasted in the welcome screen goes to the Secret Service and nowhere else', async () => {
  const welcome = await app.waitFor(async () => (await app.find('#welcome')).displayed(), { what: 'the welcome screen' });
  assert.ok(welcome);
  await shot('welcome');
  await (await app.find('#w-key')).type(KEY);
  await (await app.find('#w-key-form button[type=submit]')).click();
  await app.waitFor(async () => (await app.find('#message')).displayed(), { what: 'the chat after the welcome screen' });

  const stored = JSON.parse(execFileSync('secret-tool', ['lookup', 'service', 'palaver', 'username', 'openai']).toString());
  assert.equal(stored.key, KEY, 'the Secret Service holds the key');
  assert.equal(stored.origin, new URL(stack.base).origin, 'the key belongs to the server it was saved for');
  assert.deepEqual(filesContaining(stack.dataDir, KEY), [], 'no file under the data dir holds the key');
  const page = await app.exec('return document.documentElement.outerHTML');
  assert.ok(!page.includes(KEY), 'the page does not hold the key');
});

test('a reply streams in: the text grows in visible steps before the end', async () => {
  await ask('Explain streaming please');
  const lengths = [];
  let midShot = false;
  await app.waitFor(async () => {
    const text = await lastReply('.content');
    if (lengths.at(-1) !== text.length) lengths.push(text.length);
    if (!midShot && text.length > 260) {
      midShot = true;
      await shot('mid-answer');
    }
    return !(await lastReplyBusy());
  }, { timeout: 30000, interval: 30, what: 'the streamed reply' });
  const steps = lengths.filter((n) => n > 0);
  assert.ok(steps.length >= 5, `the text grew in ${steps.length} visible steps: ${lengths.join(' ')}`);
  const final = await lastReply('.content');
  assert.match(final, /That is all/);
  assert.ok(await app.exec(`return !!document.querySelector('.msg.assistant:last-child .codeblock .copy')`), 'the code block has a copy button');
  assert.ok(await app.exec(`return document.querySelectorAll('.msg.assistant:last-child table td').length >= 4`), 'the table rendered');
  const req = (await stats()).lastRequest;
  assert.equal(req.body.stream, true);
  assert.ok(req.authorization, 'the request carried the key');
});

test('Stop halts the reply, keeps its text, and the server sees the disconnect', async () => {
  const disconnectsBefore = (await stats()).disconnects;
  await ask('Tell me a long story [slow]');
  await app.waitFor(async () => (await lastReply('.content')).length > 20, { what: 'some text before stopping' });
  await (await app.find('#stop')).click();
  await waitIdle();
  const kept = await lastReply('.content');
  assert.ok(kept.length > 20, 'the partial text is kept');
  assert.match(await lastReply('.status'), /Stopped/);
  await app.waitFor(async () => (await stats()).disconnects > disconnectsBefore, { what: 'the server to see the disconnect' });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await lastReply('.content'), kept, 'nothing arrives after Stop');
});

test('Escape stops a reply too', async () => {
  await ask('Another story [slow]');
  await app.waitFor(async () => (await lastReply('.content')).length > 5, { what: 'text' });
  await (await app.find('#message')).type(Keys.ESCAPE);
  await waitIdle();
  assert.match(await lastReply('.status'), /Stopped/);
});

test('a 401 shows what it means, offers Retry and the settings', async () => {
  await ask('Trigger [401]');
  await waitIdle();
  const status = await lastReply('.status');
  assert.match(status, /The server did not accept the API key/);
  assert.ok(!status.includes('0123456789'), 'no part of the key in the message');
  const buttons = await app.exec(`return [...document.querySelectorAll('.msg.assistant:last-child .status button')].map(b => b.textContent)`);
  assert.deepEqual(buttons, ['Retry', 'Open settings']);
  await shot('error-401');
});

test('a mid-stream error shows the server message and keeps the partial text', async () => {
  await ask('Please fail [midstream-error]');
  await waitIdle();
  assert.match(await lastReply('.content'), /^gpt-4o-mini here\. Here is a short/);
  const status = await lastReply('.status');
  assert.match(status, /The server had a problem/);
  assert.match(status, /The model crashed while generating/);
});

test('a reply with malicious markdown runs no script and loads no remote image', async () => {
  await app.exec('window.__pwned = false;');
  await ask('Show me [xss]');
  await waitIdle();
  assert.match(await lastReply('.content'), /Harmless text/);
  assert.equal(await app.exec('return window.__pwned'), false);
  const found = await app.exec(`const c = document.querySelector('.msg.assistant:last-child .content');
    return { scripts: c.querySelectorAll('script').length, imgs: c.querySelectorAll('img').length,
             handlers: c.innerHTML.match(/onerror|onclick/gi)?.length ?? 0,
             jsLinks: [...c.querySelectorAll('a')].filter(a => (a.getAttribute('href') || '').startsWith('javascript')).length };`);
  assert.deepEqual(found, { scripts: 0, imgs: 0, handlers: 0, jsLinks: 0 });
  // Clicking the defused link does nothing: the app is still here.
  await app.exec(`document.querySelector('.msg.assistant:last-child .content a')?.click()`);
  assert.ok((await app.exec('return location.href')).startsWith('tauri://') || (await app.exec('return location.host')) === 'tauri.localhost');
});

test('reasoning shows in a collapsible section apart from the answer', async () => {
  await ask('Think first [reasoning]');
  await waitIdle();
  const reasoning = await app.exec(`const r = document.querySelector('.msg.assistant:last-child details.thinking'); return { hidden: r.hidden, text: r.querySelector('.reasoning').textContent }`);
  assert.equal(reasoning.hidden, false);
  assert.match(reasoning.text, /Let me think/);
  assert.ok(!(await lastReply('.content')).includes('Let me think'));
});

test('a narrow window and the dark theme', async () => {
  await app.setWindowRect({ width: 420, height: 760 });
  await new Promise((r) => setTimeout(r, 300));
  const overflow = await app.exec('return document.documentElement.scrollWidth > window.innerWidth + 1');
  assert.equal(overflow, false, 'nothing sticks out sideways at 420 px');
  await shot('narrow');
  // At this width the conversations and settings sit behind the "Chats" button.
  assert.equal(await (await app.find('#sidebar')).displayed(), false);
  await (await app.find('#toggle-sidebar')).click();
  await app.waitFor(async () => (await app.find('#sidebar')).displayed(), { what: 'the sidebar overlay' });
  await shot('narrow-sidebar');
  await (await app.find('#open-settings')).click();
  await app.exec(`const s = document.querySelector('#s-theme'); s.value = 'dark'; s.dispatchEvent(new Event('change'));`);
  const keyLine = async () => (await app.find('#s-providers .provider .key-line')).text();
  await app.waitFor(async () => /Key stored/.test(await keyLine()), { what: 'the key status in the providers list' });
  assert.match(await keyLine(), /Key stored \(…LAST\)/);
  await shot('settings');
  await (await app.find('#s-save')).click();
  await app.waitFor(async () => (await app.exec('return document.documentElement.dataset.theme')) === 'dark', { what: 'the dark theme' });
  await app.setWindowRect({ width: 1000, height: 760 });
  await new Promise((r) => setTimeout(r, 300));
  await shot('dark');
  const settings = JSON.parse(readFileSync(join(stack.dataDir, 'settings.json'), 'utf8'));
  assert.equal(settings.settings.theme, 'dark');
  assert.ok(!JSON.stringify(settings).includes(KEY));
});

test('settings: the key goes only to the server it was saved for, and never in cleartext to another machine unasked', async () => {
  await (await app.find('#open-settings')).click();
  await (await app.waitFor(() => app.find('#s-providers .provider button[aria-label^="Edit "]'), { what: 'the providers list' })).click();
  await app.waitFor(async () => /Stored in the system keyring/.test(await (await app.find('#p-key-status')).text()), { what: 'the key status in the provider form' });
  const origin = new URL(stack.base).origin;
  assert.match(await (await app.find('#p-key-status')).text(), new RegExp(`for ${origin.replace(/[.]/g, '\\.')}`));
  assert.equal(await (await app.find('#p-cleartext')).displayed(), false, 'no cleartext choice for this machine');

  /** @param {string} url */
  const typeBaseUrl = (url) => app.exec(`const i = document.querySelector('#p-base-url'); i.value = ${JSON.stringify(url)}; i.dispatchEvent(new Event('input'));`);
  // The same server by another name is another origin: "Check connection" goes there without the key.
  const alias = stack.base.replace('127.0.0.1', 'localhost');
  await typeBaseUrl(alias);
  assert.match(await (await app.find('#p-key-status')).text(), /It is not sent to http:\/\/localhost:/);
  const before = (await stats()).requests;
  await (await app.find('#p-check')).click();
  await app.waitFor(async () => /was not sent/.test(await (await app.find('#p-check-status')).text()), { what: 'the model list refused without the key' });
  const seen = await stats();
  assert.equal(seen.requests, before + 1);
  assert.equal(seen.lastRequest.path, '/v1/models');
  assert.equal(seen.lastRequest.authorization, false, 'the key went to a server it was not saved for');

  // Plain http to another machine: the choice to send the key anyway appears, off.
  await typeBaseUrl('http://192.168.1.5:8000/v1');
  await app.waitFor(async () => (await app.find('#p-cleartext')).displayed(), { what: 'the cleartext choice' });
  assert.equal(await app.exec(`return document.querySelector('#p-allow-cleartext').checked`), false);
  await shot('settings-cleartext');
  await typeBaseUrl('');
  assert.equal(await (await app.find('#p-cleartext')).displayed(), false);
  await (await app.find('#p-cancel')).click();
  await (await app.find('#s-cancel')).click();
});

test('Check for updates in a build without the release key says where its updates come from', async () => {
  await (await app.find('#open-settings')).click();
  await app.waitFor(async () => (await app.find('#s-check-now')).displayed(), { what: 'the settings dialog' });
  assert.equal(await app.exec(`return document.querySelector('#s-check-updates').checked`), true, 'on by default');
  await (await app.find('#s-check-now')).click();
  await app.waitFor(async () => /does not update itself/.test(await (await app.find('#s-update-status')).text()), { what: 'the update status' });
  await (await app.find('#s-cancel')).click();
});
