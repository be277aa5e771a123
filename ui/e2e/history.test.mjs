// End to end: the history as a person uses it — a restart keeps everything, search finds
// it, regenerate keeps versions, export writes a file, a ChatGPT export imports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startStack } from './harness.mjs';

const saveDir = mkdtempSync(join(tmpdir(), 'palaver-e2e-save-'));
const fixture = join(root, 'tests/fixtures/chatgpt-conversations.json');

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;

/** Ctrl+K, until the search dialog is open (the first press may land while the page loads). */
async function openSearchWithCtrlK(app) {
  await app.waitFor(async () => app.exec(`
    const dialog = document.querySelector('#search');
    if (!dialog.open) document.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }));
    return dialog.open;`), { what: 'the search dialog' });
}

const sidebarTitles = () => stack.app.exec(`return [...document.querySelectorAll('.conv-open')].map(b => b.textContent)`);
const versionLabel = () => stack.lastReply('.version-label');

before(async () => {
  stack = await startStack({
    env: () => ({ OPENAI_API_KEY: 'sk-e2e-history-000000000000', PALAVER_SAVE_DIR: saveDir, PALAVER_OPEN_FILE: fixture }),
  });
  await stack.startApp();
});

after(async () => {
  await stack?.stop();
});

test('a conversation appears in the sidebar as it starts', async () => {
  const { app } = stack;
  await app.waitFor(async () => (await app.find('#message')).displayed(), { what: 'the chat' });
  await stack.ask('Tell me about lighthouses');
  await app.waitFor(async () => (await sidebarTitles()).includes('Tell me about lighthouses'), { what: 'the sidebar entry' });
  await stack.waitIdle();
  assert.match(await stack.lastReply('.content'), /That is all/);
});

test('regenerate keeps the earlier answer as a version to switch back to', async () => {
  const { app } = stack;
  const first = await stack.lastReply('.content');
  await app.exec(`[...[...document.querySelectorAll('.msg.assistant')].pop().querySelectorAll('.msg-actions button')].find((b) => b.textContent === 'Regenerate').click()`);
  await app.waitFor(async () => stack.lastReplyBusy(), { what: 'the new answer to start' });
  await stack.waitIdle();
  await app.waitFor(async () => (await versionLabel()) === '2 / 2', { what: 'the version label' });
  await app.exec(`[...document.querySelectorAll('.msg.assistant')].pop().querySelector('[aria-label="Previous version"]').click()`);
  await app.waitFor(async () => (await versionLabel()) === '1 / 2', { what: 'the first version' });
  assert.equal(await stack.lastReply('.content'), first);
  await stack.shot('versions');
});

test('export a conversation as Markdown and read the file back', async () => {
  const { app } = stack;
  const items = await app.waitFor(async () => {
    // The list may be redrawn just as the menu opens (the reply before was just saved).
    const shown = await app.exec(`return [...document.querySelectorAll('.menu .menu-item')].map(b => b.textContent)`);
    if (shown.length) return shown;
    await app.exec(`document.querySelector('.conv-item .conv-menu').click()`);
    return null;
  }, { what: 'the conversation menu' });
  assert.deepEqual(items, ['Rename', 'Pin', 'Export as Markdown', 'Export as JSON', 'Delete']);
  await app.exec(`[...document.querySelectorAll('.menu .menu-item')].find(b => b.textContent === 'Export as Markdown').click()`);
  const file = await app.waitFor(async () => readdirSync(saveDir).find((f) => f.endsWith('.md')), { what: 'the exported file' });
  const md = readFileSync(join(saveDir, file), 'utf8');
  assert.match(md, /^# Tell me about lighthouses\n\n\*\*You\*\*\n\nTell me about lighthouses\n\n\*\*Assistant\*\*/);
  assert.match(md, /That is all/);
});

test('import a ChatGPT export from the settings', async () => {
  const { app } = stack;
  await (await app.find('#open-settings')).click();
  await app.waitFor(async () => app.exec(`return document.querySelector('#settings').open`), { what: 'the settings' });
  await app.exec(`document.querySelector('#s-import').click()`);
  let report = '';
  await app.waitFor(async () => {
    report = await (await app.find('#s-history-status')).text();
    return /Imported 2 conversations/.test(report);
  }, { what: 'the import report' }).catch(async (e) => {
    try { execFileSync('import', ['-window', 'root', `${process.env.PALAVER_SCREENSHOTS ?? '/tmp'}/import-failure-x.png`]); } catch { /* best effort */ }
    const env = await app.exec('return location.href');
    throw new Error(`${e.message}; the settings said: “${report}” (page ${env})`);
  });
  await app.exec(`document.querySelector('#s-cancel').click()`);
  await app.waitFor(async () => (await sidebarTitles()).includes('Capital of France'), { what: 'the imported conversation' });
});

test('after a restart everything is there, the window shows what it showed, and search finds it', async () => {
  const shownTitle = () => stack.app.exec(`return document.querySelector('#conversation-title').textContent`);
  const openBefore = await shownTitle();
  assert.notEqual(openBefore, 'Palaver', 'a conversation is open before the restart');
  await stack.quitApp();
  const app = await stack.startApp();
  await app.waitFor(async () => (await sidebarTitles()).includes('Tell me about lighthouses'), { what: 'the history after a restart' });
  await app.waitFor(async () => (await shownTitle()) === openBefore, { what: `“${openBefore}” open again after the restart` });
  await stack.shot('sidebar');
  await openSearchWithCtrlK(app);
  const input = await app.find('#search-input');
  await input.type('lighthous');
  await app.waitFor(async () => (await app.findAll('.search-hit')).length > 0, { what: 'search results' });
  const marked = await app.exec(`return document.querySelector('.search-hit mark')?.textContent`);
  assert.match(marked, /lighthous/i);
  await stack.shot('search');
  await (await app.find('.search-hit')).click();
  await app.waitFor(async () => (await app.exec(`return document.querySelector('#conversation-title').textContent`)) === 'Tell me about lighthouses', { what: 'the conversation to open' });
  assert.match(await stack.lastReply('.content'), /That is all/);

  await openSearchWithCtrlK(app);
  const again = await app.find('#search-input');
  await again.type('東京の人口');
  await app.waitFor(async () => (await app.exec(`return [...document.querySelectorAll('.search-hit strong')].map(s => s.textContent)`)).includes('日本語のテスト'), { what: 'a Japanese result' });
});
