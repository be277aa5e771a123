// The conversation view both windows draw replies with — the main window's log and quick ask —
// in jsdom: what a reader sees while a reply streams in, and how it says it ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { createMarkdown } from '../src/markdown.js';
import { createConversationView } from '../src/features/conversation.js';

const { window } = new JSDOM('<!doctype html><body></body>');
// The views make their elements in the page's document, as in the webview.
globalThis.document = window.document;

function setup() {
  // Frames are driven by the test: `frame()` runs what the view scheduled.
  let pending = [];
  const views = createConversationView({
    markdown: createMarkdown(/** @type {any} */ (window)),
    copy: async () => {},
    schedule: (fn) => pending.push(fn),
  });
  const frame = () => { const fns = pending; pending = []; fns.forEach((f) => f()); };
  const host = document.createElement('div');
  document.body.replaceChildren(host);
  return { views, frame, host };
}

/** The events of a reply that thinks first, then answers. */
const thinkingReply = (finishReason) => [
  { type: 'started', streamId: 's1', conversationId: 'c1', messageId: 'm1', model: 'demo' },
  { type: 'reasoning', text: 'Let me think. ' },
  { type: 'reasoning', text: 'The user wants a demo.' },
  { type: 'delta', text: 'Here is **the answer**' },
  { type: 'delta', text: ', cut short' },
  { type: 'finished', finishReason },
];

test('quick ask: the reasoning shows apart from the answer, and a reply cut at the length limit says so', () => {
  const { views, frame, host } = setup();
  // As quick ask draws it: the answer in its box, the ending in the status line under it.
  const status = document.createElement('div');
  document.body.append(status);
  const reply = views.streamReply(host, { status });
  const [started, r1, r2, d1, d2, finished] = thinkingReply('length');
  for (const event of [started, r1, r2]) reply.handle(event);
  frame();
  const thinking = host.querySelector('details.thinking');
  assert.equal(thinking.hidden, false, 'the reasoning shows while the model thinks');
  assert.equal(thinking.querySelector('summary').textContent, 'Thinking…');
  assert.equal(host.getAttribute('aria-busy'), 'true');
  reply.handle(d1);
  reply.handle(d2);
  frame();
  assert.equal(thinking.querySelector('summary').textContent, 'Thought', 'the summary says the thinking is over');
  reply.handle(finished);
  assert.equal(thinking.querySelector('.reasoning').textContent, 'Let me think. The user wants a demo.');
  const content = host.querySelector('.content');
  assert.equal(content.textContent.trim(), 'Here is the answer, cut short');
  assert.equal(content.querySelector('strong').textContent, 'the answer', 'the answer is markdown');
  assert.ok(!content.textContent.includes('Let me think'), 'the reasoning is not in the answer');
  assert.equal(status.hidden, false);
  assert.equal(status.textContent, 'The reply reached the model’s length limit.');
  assert.equal(host.hasAttribute('aria-busy'), false, 'the reply is no longer busy');
});

test('every early ending is told, in the reply’s own status when it has no status line', () => {
  const endings = {
    cancelled: 'Stopped. The reply so far is kept.',
    length: 'The reply reached the model’s length limit.',
    content_filter: 'The provider’s content filter stopped the reply.',
    stop: null,
    tool_calls: null,
  };
  for (const [finishReason, said] of Object.entries(endings)) {
    const { views, frame, host } = setup();
    const reply = views.streamReply(host);
    for (const event of thinkingReply(finishReason)) reply.handle(event);
    frame();
    const status = host.querySelector('.status');
    if (said === null) assert.equal(status.hidden, true, `${finishReason}: nothing to say`);
    else assert.equal(status.hidden ? '' : status.textContent, said, finishReason);
  }
});

test('a failed reply explains the error; Retry and Open settings only where the window offers them', () => {
  const error = { kind: 'auth', message: 'Incorrect API key provided.' };
  {
    const { views, host } = setup();
    let retried = 0;
    const reply = views.streamReply(host, { actions: { retry: () => { retried += 1; }, openSettings: () => {} } });
    reply.handle({ type: 'delta', text: 'Partial' });
    reply.handle({ type: 'failed', error });
    const status = host.querySelector('.status');
    assert.equal(status.getAttribute('role'), 'alert');
    assert.equal(status.querySelector('strong').textContent, 'The server did not accept the API key');
    assert.deepEqual([...status.querySelectorAll('button')].map((b) => b.textContent), ['Retry', 'Open settings']);
    status.querySelector('button').click();
    assert.equal(retried, 1);
    assert.equal(host.querySelector('.content').textContent.trim(), 'Partial', 'the text so far is kept');
  }
  {
    const { views, host } = setup();
    const reply = views.streamReply(host);
    reply.handle({ type: 'failed', error });
    const status = host.querySelector('.status');
    assert.equal(status.textContent, 'The server did not accept the API key: Incorrect API key provided.');
    assert.equal(status.querySelectorAll('button').length, 0);
  }
});

test('token counts show only where the window asks for them', () => {
  const usage = { type: 'usage', promptTokens: 12, completionTokens: 34 };
  const { views, host } = setup();
  views.streamReply(host, { usage: true }).handle(usage);
  assert.equal(host.querySelector('.meta').textContent, '12 tokens in, 34 out');
  const other = setup();
  other.views.streamReply(other.host).handle(usage);
  assert.equal(other.host.querySelector('.meta'), null);
});

const stored = (fields) => ({
  id: 'm2', parentId: 'm1', role: 'assistant', content: 'Stored **text**', reasoning: '', status: 'complete',
  finishReason: 'stop', errorKind: null, errorMessage: null, model: 'demo', promptTokens: null,
  completionTokens: null, createdAt: 0, versions: ['m2'], ...fields,
});

test('a stored reply shows its reasoning folded and says how it ended', () => {
  const { views } = setup();
  const thought = views.storedReply(stored({ reasoning: 'Mulling it over.', finishReason: 'length' }), {});
  const details = thought.querySelector('details.thinking');
  assert.equal(details.open, false, 'folded');
  assert.equal(details.querySelector('summary').textContent, 'Thought');
  assert.equal(details.querySelector('.reasoning').textContent, 'Mulling it over.');
  assert.equal(thought.querySelector('.content strong').textContent, 'text');
  assert.equal(thought.querySelector('.status').textContent, 'The reply reached the model’s length limit.');
  assert.equal(thought.dataset.id, 'm2');

  const plain = views.storedReply(stored({}), {});
  assert.equal(plain.querySelector('details.thinking'), null, 'no reasoning, no section');
  assert.equal(plain.querySelector('.status').hidden, true);

  const stopped = views.storedReply(stored({ status: 'cancelled', finishReason: 'cancelled' }), {});
  assert.equal(stopped.querySelector('.status').textContent, 'Stopped. The reply so far is kept.');
  const interrupted = views.storedReply(stored({ status: 'interrupted', finishReason: null, errorKind: 'interrupted' }), {});
  assert.match(interrupted.querySelector('.status').textContent, /^Interrupted — .* The text so far is kept\.$/);
  // Reopened later, a reply the content filter stopped still says so, as it did live.
  const filtered = views.storedReply(stored({ finishReason: 'content_filter' }), {});
  assert.equal(filtered.querySelector('.status').textContent, 'The provider’s content filter stopped the reply.');
});
