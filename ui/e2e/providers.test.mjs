// End to end: several providers at once. Three mock servers stand for three providers — A
// (the default profile), B (added in Settings like a user would, with a key of its own) and a
// "local Ollama" that the app finds by probing the port PALAVER_LOCAL_PORTS names. The tests
// pick models with the keyboard, switch mid-conversation, regenerate with another model, and
// check on the servers' side where each request (and each key) went.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keys } from './webdriver.mjs';
import { mockStats, startMock, startStack } from './harness.mjs';

const KEY_B = 'sk-provider-b-0123456789-BBBB';
const CTRL = '\uE009';
const RELEASE = '\uE000';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./webdriver.mjs').Session} */
let app;
/** @type {Awaited<ReturnType<typeof startMock>>} */
let serverB;
/** @type {Awaited<ReturnType<typeof startMock>>} */
let local;
let ask, waitIdle, shot;

before(async () => {
  serverB = await startMock(['--token-delay-ms', '5', '--require-key', KEY_B]);
  local = await startMock(['--token-delay-ms', '5']);
  const localPort = new URL(local.base).port;
  stack = await startStack({ mockArgs: ['--token-delay-ms', '5'], env: () => ({ PALAVER_LOCAL_PORTS: `ollama=${localPort}` }) });
  // Profile A is the mock server the harness started; the welcome screen is behind us.
  writeFileSync(join(stack.dataDir, 'settings.json'), JSON.stringify({
    settings: {
      onboarded: true,
      checkForUpdates: false,
      defaultProfile: 'mock-a',
      profiles: [{ id: 'mock-a', name: 'Mock A', kind: 'openai', preset: 'custom', baseUrl: stack.base, model: 'mock-small', headers: [], apiVersion: '', maxTokens: null, allowCleartextKey: false }],
    },
  }));
  app = await stack.startApp();
  ({ ask, waitIdle, shot } = stack);
});

after(async () => {
  await stack?.stop();
  serverB?.mock.stdin.end();
  local?.mock.stdin.end();
});

const text = async (/** @type {string} */ css) => (await app.find(css)).text();
const modelLabel = () => text('#model-label');
/** Each reply's model label, in order. */
const replyLabels = () => app.exec(`return [...document.querySelectorAll('.msg.assistant .model-tag')].map((t) => t.textContent)`);
const focusedId = () => app.exec('return document.activeElement?.id ?? ""');

/** The picker shows the servers' lists (not only each profile's own model). */
const listsLoaded = () => app.waitFor(async () => (await text('#model-options')).includes('mock-large'), { what: 'the model lists' });

/** The option the picker's keyboard focus is on, as "profile-id model". */
const activeOption = () => app.exec(`const id = document.querySelector('#model-filter').getAttribute('aria-activedescendant');
  const o = id && document.getElementById(id); return o ? o.dataset.profile + ' ' + o.dataset.model : ''`);

/**
 * Opens the picker with Ctrl+/ from the composer, types `filter`, moves with the arrow keys to
 * `want` ("profile-id model") and picks it with Enter.
 */
async function pickWithKeyboard(filter, want) {
  const input = await app.find('#message');
  await input.click();
  await input.type(`${CTRL}/${RELEASE}`);
  await app.waitFor(async () => (await app.find('#model-popover')).displayed(), { what: 'the model picker to open' });
  assert.equal(await focusedId(), 'model-filter', 'the filter has the focus');
  await listsLoaded();
  const field = await app.find('#model-filter');
  await field.type(filter);
  for (let i = 0; i < 10 && (await activeOption()) !== want; i++) await field.type('\uE015');
  assert.equal(await activeOption(), want, 'the arrow keys reach the model');
  await field.type(Keys.ENTER);
  await app.waitFor(async () => !(await (await app.find('#model-popover')).displayed()), { what: 'the picker to close' });
  assert.equal(await focusedId(), 'model-picker', 'the focus is back on the button');
}

async function openSettings() {
  await (await app.find('#open-settings')).click();
  await app.waitFor(async () => (await app.findAll('#s-providers .provider')).length > 0, { what: 'the providers list' });
}

async function newChat() {
  await (await app.find('#new-chat')).click();
  await app.waitFor(async () => (await app.findAll('.msg.assistant')).length === 0, { what: 'a new chat' });
}

test('at start-up, a local server the probe finds is offered in a notice', async () => {
  await app.waitFor(async () => /Ollama is running on this computer/.test(await text('#notice')), { what: 'the local-server notice' });
  await shot('local-server-notice');
  const notNow = await app.waitFor(async () => (await app.findAll('#notice button')).at(-1));
  assert.equal(await notNow.text(), 'Not now');
  await notNow.click();
  assert.equal(await (await app.find('#notice')).displayed(), false);
  // Turned down for good: the window state remembers it for the next start.
  const remembered = () => {
    try { return JSON.parse(readFileSync(join(stack.dataDir, 'ui-state.json'), 'utf8')).main?.dismissedLocalServers ?? []; } catch { return []; }
  };
  await app.waitFor(async () => remembered().includes(local.base), { what: 'the turned-down offer to be remembered' });
});

test('a provider added in Settings, with its key, is listed with what it is and where its key goes', async () => {
  await openSettings();
  await (await app.find('#s-add-provider')).click();
  await app.waitFor(async () => (await app.find('#provider-editor')).displayed(), { what: 'the add-provider form' });
  await app.exec(`const s = document.querySelector('#p-preset'); s.value = 'custom'; s.dispatchEvent(new Event('change'));`);
  const name = await app.find('#p-name');
  await name.clear();
  await name.type('Mock B');
  await (await app.find('#p-base-url')).type(serverB.base);
  await (await app.find('#p-model')).type('mock-small');
  // Before its key is saved, B refuses: Check connection says so.
  await (await app.find('#p-check')).click();
  await app.waitFor(async () => /did not accept the API key/.test(await text('#p-check-status')), { what: 'the check to fail without the key' });
  await (await app.find('#p-key')).type(KEY_B);
  await shot('provider-form');
  await app.exec(`document.documentElement.dataset.theme = 'dark'`);
  await shot('provider-form-dark');
  await app.exec(`delete document.documentElement.dataset.theme`);
  await (await app.find('#p-save')).click();
  await app.waitFor(async () => !(await (await app.find('#provider-editor')).displayed()), { what: 'the form to close' });

  const b = '#s-providers .provider[data-profile="mock-b"]';
  await app.waitFor(async () => /Key stored \(…BBBB\)/.test(await text(`${b} .key-line`)), { what: 'B’s key status' });
  assert.match(await text(`${b} .key-line`), new RegExp(`for ${new URL(serverB.base).origin}`));
  assert.match(await text(`${b} .provider-facts`), new RegExp(`${new URL(serverB.base).host} · mock-small`));
  assert.match(await text('#s-providers .provider[data-profile="mock-a"] .provider-head'), /Mock A\s*Default/i);
  await (await app.find(`${b} button[aria-label="Check connection of Mock B"]`)).click();
  await app.waitFor(async () => /Connected: 2 models/.test(await text(`${b} .check-line`)), { what: 'B’s connection check' });
  await shot('settings-providers');
  await app.exec(`document.documentElement.dataset.theme = 'dark'`);
  await shot('settings-providers-dark');
  await app.exec(`delete document.documentElement.dataset.theme`);
  await (await app.find('#s-cancel')).click();
});

test('the model picker: open with the keyboard, filter, pick B’s model; the next reply comes from B and says so', async () => {
  await newChat();
  assert.equal(await modelLabel(), 'mock-small · Mock A', 'a new chat starts on the default');
  const beforeA = (await mockStats(stack.base)).requests;

  const input = await app.find('#message');
  await input.click();
  await input.type(`${CTRL}/${RELEASE}`);
  await app.waitFor(async () => (await app.find('#model-popover')).displayed(), { what: 'the model picker to open' });
  await app.waitFor(async () => (await app.findAll('#model-options [role=group]')).length === 2, { what: 'both providers’ models' });
  await listsLoaded();
  await shot('model-picker');
  await app.exec(`document.documentElement.dataset.theme = 'dark'`);
  await shot('model-picker-dark');
  await app.exec(`delete document.documentElement.dataset.theme`);
  const field = await app.find('#model-filter');
  await field.type('large mock b');
  assert.equal(await activeOption(), 'mock-b mock-large', 'the only listed match is active');
  assert.ok((await text('#model-options')).includes('Use “large mock b”'), 'typed text is offered too');
  await field.type(Keys.ENTER);
  await app.waitFor(async () => !(await (await app.find('#model-popover')).displayed()), { what: 'the picker to close' });
  assert.equal(await focusedId(), 'model-picker', 'the focus is back on the button');
  assert.equal(await modelLabel(), 'mock-large · Mock B');

  await ask('Hello B, are you there?');
  await waitIdle();
  const seen = await mockStats(serverB.base);
  assert.equal(seen.lastRequest.path, '/v1/chat/completions');
  assert.equal(seen.lastRequest.body.model, 'mock-large');
  assert.equal(seen.lastRequest.authorization, true);
  assert.equal((await mockStats(stack.base)).requests, beforeA, 'A heard nothing of it');
  assert.match(await stack.lastReply('.content'), /Here is a short answer/);
  assert.deepEqual(await replyLabels(), ['mock-large']);
  assert.equal(await modelLabel(), 'mock-large · Mock B', 'the conversation keeps B');
});

test('switching mid-conversation: B gets the whole history, and each reply keeps its own label', async () => {
  await newChat();
  await ask('First question for A');
  await waitIdle();
  assert.equal((await mockStats(stack.base)).lastRequest.body.model, 'mock-small');
  const firstAnswer = await stack.lastReply('.content');

  await pickWithKeyboard('mock b', 'mock-b mock-large');
  assert.equal(await modelLabel(), 'mock-large · Mock B');
  await ask('Second question for B');
  await waitIdle();
  const body = (await mockStats(serverB.base)).lastRequest.body;
  const said = body.messages.filter((m) => m.role !== 'system').map((m) => [m.role, m.content]);
  assert.deepEqual(said.map(([role]) => role), ['user', 'assistant', 'user']);
  assert.equal(said[0][1], 'First question for A');
  assert.ok(said[1][1].startsWith('mock-small here. Here is a short answer about “First question for A”'), 'A’s answer went to B');
  assert.ok(firstAnswer.startsWith('mock-small here. Here is a short answer about “First question for A”'));
  assert.equal(said[2][1], 'Second question for B');
  assert.deepEqual(await replyLabels(), ['mock-small · Mock A', 'mock-large · Mock B']);

  // Away and back: the labels and the conversation's choice are what was stored.
  const title = await text('#conversation-title');
  await newChat();
  assert.equal(await modelLabel(), 'mock-small · Mock A');
  const titles = () => app.exec(`return [...document.querySelectorAll('.conv-open')].map((b) => b.textContent)`);
  const at = await app.waitFor(async () => (await titles()).indexOf(title) + 1, { what: `“${title}” in the list` });
  await (await app.findAll('.conv-open'))[at - 1].click();
  await app.waitFor(async () => (await replyLabels()).length === 2, { what: 'the conversation again' });
  assert.deepEqual(await replyLabels(), ['mock-small · Mock A', 'mock-large · Mock B']);
  assert.equal(await modelLabel(), 'mock-large · Mock B');
  await shot('reply-labels');
  await app.exec(`document.documentElement.dataset.theme = 'dark'`);
  await shot('reply-labels-dark');
  await app.exec(`delete document.documentElement.dataset.theme`);
});

test('each key goes to its own provider: A never gets B’s, B gets it as Bearer, Regenerate with… switches', async () => {
  await newChat();
  await ask('A question for A only');
  await waitIdle();
  const a = await mockStats(stack.base);
  assert.equal(a.lastRequest.path, '/v1/chat/completions');
  assert.equal(a.lastRequest.authorization, false, 'A got no key at all, so not B’s');

  // Regenerate the same reply with B: B demands its key as a bearer token and answers.
  const completedB = (await mockStats(serverB.base)).completed;
  await (await app.find('.msg.assistant:last-child button[aria-haspopup=listbox]')).click();
  await app.waitFor(async () => (await app.find('#model-popover')).displayed(), { what: 'the picker for Regenerate with…' });
  await listsLoaded();
  const field = await app.find('#model-filter');
  await field.type('mock-small mock b');
  await field.type(Keys.ENTER);
  await app.waitFor(async () => (await mockStats(serverB.base)).completed > completedB, { what: 'B to answer' });
  await waitIdle();
  const b = await mockStats(serverB.base);
  assert.equal(b.lastRequest.body.model, 'mock-small');
  assert.equal(b.lastRequest.authorization, true);
  assert.match(await stack.lastReply('.content'), /Here is a short answer/, 'B accepted the key (it answers 401 to anything but “Bearer KEY_B”)');
  assert.equal((await mockStats(stack.base)).lastRequest.authorization, false);
  assert.deepEqual(await replyLabels(), ['mock-small'], 'one provider on this branch: the model alone');
  assert.match(await stack.lastReply('.msg-actions'), /2 \/ 2/, 'the first answer is kept as a version');
  assert.equal(await modelLabel(), 'mock-small · Mock B', 'Regenerate with… made B the conversation’s choice');
});

test('a local server found by the probe: Settings offers it, Add makes it a profile, and it answers', async () => {
  await openSettings();
  await app.waitFor(async () => /Ollama is running on this computer \(2 models\)/.test(await text('#s-local-offers')), { what: 'the offer in Settings' });
  await shot('settings-local-offer');
  await (await app.find('#s-local-offers button[aria-label="Add Ollama"]')).click();
  await app.waitFor(async () => (await app.findAll('#s-providers .provider[data-profile="ollama"]')).length === 1, { what: 'the Ollama profile' });
  assert.equal(await (await app.find('#s-local-offers')).displayed(), false, 'no offer left');
  const facts = await text('#s-providers .provider[data-profile="ollama"] .provider-facts');
  const [, model] = /^Ollama · [^ ]+ · (mock-\w+)$/.exec(facts) ?? [];
  assert.ok(model, `the profile is on the local server with the first model it lists: ${facts}`);
  assert.ok(facts.includes(new URL(local.base).host));
  await (await app.find('#s-cancel')).click();

  await newChat();
  await pickWithKeyboard('ollama', `ollama ${model}`);
  assert.equal(await modelLabel(), `${model} · Ollama`);
  await ask('Hello local model');
  await waitIdle();
  const seen = await mockStats(local.base);
  assert.equal(seen.lastRequest.path, '/v1/chat/completions');
  assert.equal(seen.lastRequest.body.messages.at(-1).content, 'Hello local model');
  assert.equal(seen.lastRequest.authorization, false);
  assert.match(await stack.lastReply('.content'), /Here is a short answer about “Hello local model”/);
  assert.equal(seen.lastRequest.body.model, model);
  assert.deepEqual(await replyLabels(), [model]);
});

test('a provider that does not answer shows why in its group; Escape closes the picker', async () => {
  await openSettings();
  await (await app.find('#s-add-provider')).click();
  await app.waitFor(async () => (await app.find('#provider-editor')).displayed(), { what: 'the add-provider form' });
  await app.exec(`const s = document.querySelector('#p-preset'); s.value = 'custom'; s.dispatchEvent(new Event('change'));`);
  const name = await app.find('#p-name');
  await name.clear();
  await name.type('Nobody home');
  // Port 9 (discard) on this machine: nothing listens there.
  await (await app.find('#p-base-url')).type('http://127.0.0.1:9/v1');
  await (await app.find('#p-model')).type('ghost-model');
  await (await app.find('#p-save')).click();
  await app.waitFor(async () => (await app.findAll('#s-providers .provider[data-profile="nobody-home"]')).length === 1, { what: 'the new profile' });
  await (await app.find('#s-cancel')).click();

  await (await app.find('#model-picker')).click();
  await app.waitFor(async () => /Could not reach the server/.test(await text('#model-options')), { what: 'the failed group’s error' });
  assert.match(await text('#model-status'), /1 of 4 providers did not answer/);
  await shot('model-picker-error');
  const field = await app.find('#model-filter');
  await field.type('nobody');
  assert.equal(await activeOption(), 'nobody-home ghost-model', 'the profile’s own model can still be picked');
  await field.type(Keys.ESCAPE);
  await app.waitFor(async () => !(await (await app.find('#model-popover')).displayed()), { what: 'the picker to close' });
  assert.equal(await focusedId(), 'model-picker', 'the focus is back on the button');
});

test('one conversation goes to Anthropic, then the local server, then back, each reply in its own protocol and labelled', async () => {
  // An Anthropic profile, added the way a user would: the preset, then the server's address.
  await openSettings();
  await (await app.find('#s-add-provider')).click();
  await app.waitFor(async () => (await app.find('#provider-editor')).displayed(), { what: 'the add-provider form' });
  await app.exec(`const s = document.querySelector('#p-preset'); s.value = 'anthropic'; s.dispatchEvent(new Event('change'));`);
  const name = await app.find('#p-name');
  await name.clear();
  await name.type('Claude');
  const url = await app.find('#p-base-url');
  await url.clear();
  await url.type(stack.base);
  const model = await app.find('#p-model');
  await model.clear();
  await model.type('mock-large');
  await (await app.find('#p-save')).click();
  await app.waitFor(async () => (await app.findAll('#s-providers .provider[data-profile="claude"]')).length === 1, { what: 'the Claude profile' });
  await (await app.find('#s-cancel')).click();

  await newChat();
  await ask('Where does this go first?');
  await waitIdle();
  assert.equal((await mockStats(stack.base)).lastRequest.path, '/v1/chat/completions');

  const hops = [
    ['claude', 'claude mock-large', 'Claude', stack.base, '/v1/messages'],
    ['ollama small', 'ollama mock-small', 'Ollama', local.base, '/v1/chat/completions'],
    ['mock a', 'mock-a mock-small', 'Mock A', stack.base, '/v1/chat/completions'],
  ];
  let turn = 1;
  for (const [filter, option, profile, base, path] of hops) {
    await pickWithKeyboard(filter, option);
    assert.match(await modelLabel(), new RegExp(`· ${profile}$`));
    await ask(`Question ${turn} for ${profile}`);
    await waitIdle();
    const seen = (await mockStats(base)).lastRequest;
    assert.equal(seen.path, path, `${profile} is asked in its own protocol`);
    const said = seen.body.messages.filter((m) => m.role !== 'system');
    assert.equal(said.length, 2 * turn + 1, `${profile} gets the whole conversation`);
    assert.match(await stack.lastReply('.content'), new RegExp(`here\\. Here is a short answer about “Question ${turn} for ${profile}”`));
    turn += 1;
  }
  const labels = await replyLabels();
  assert.equal(labels.length, 4);
  assert.match(labels[1], /mock-large · Claude/);
  assert.match(labels[2], /mock-small · Ollama/);
  assert.match(labels[3], /mock-small · Mock A/);
  await shot('journey-labels');
});
