// The stream renderer and the sanitizer, in jsdom: what a reader of a streaming reply sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { createMarkdown } from '../src/markdown.js';
import { StreamRenderer, lastBlockBoundary } from '../src/stream-renderer.js';

function setup() {
  const dom = new JSDOM('<!doctype html><div id="c"></div>');
  const win = /** @type {any} */ (dom.window);
  const container = win.document.getElementById('c');
  const markdown = createMarkdown(win);
  // Frames are driven by the test: `frame()` runs what the renderer scheduled.
  let pending = [];
  const renderer = new StreamRenderer(container, markdown, { schedule: (fn) => pending.push(fn) });
  const frame = () => { const fns = pending; pending = []; fns.forEach((f) => f()); };
  return { win, container, markdown, renderer, frame, pendingCount: () => pending.length };
}

test('many tokens in one frame are rendered once', () => {
  const { renderer, frame, pendingCount } = setup();
  for (const t of ['Hel', 'lo ', 'wor', 'ld']) renderer.append(t);
  assert.equal(pendingCount(), 1, 'one frame scheduled for four tokens');
  frame();
  assert.equal(renderer.renders, 1);
  assert.equal(renderer.live.textContent.trim(), 'Hello world');
});

test('finished blocks freeze: rendered once and never replaced', () => {
  const { container, renderer, frame } = setup();
  renderer.append('# Title\n\nFirst paragraph.\n\nSecond');
  frame();
  const frozen = [...container.querySelectorAll('.block:not(.live)')];
  assert.equal(frozen.length, 1, 'the two finished blocks were frozen together in one frame');
  assert.equal(frozen[0].querySelector('h1').textContent, 'Title');
  assert.equal(frozen[0].querySelector('p').textContent, 'First paragraph.');
  renderer.append('\n\nThird');
  frame();
  frozen.push(container.querySelectorAll('.block:not(.live)')[1]);
  const rendersBefore = renderer.renders;
  for (let i = 0; i < 50; i++) { renderer.append(' more'); frame(); }
  const after = [...container.querySelectorAll('.block:not(.live)')];
  assert.equal(after[0], frozen[0], 'the same DOM node: not re-rendered');
  assert.equal(after[1], frozen[1]);
  assert.equal(renderer.renders - rendersBefore, 50, 'only the live block re-renders');
  assert.match(renderer.live.textContent.trim(), /^Third( more){50}$/);
});

test('a blank line inside a code fence does not end the block', () => {
  const text = 'Intro\n\n```python\nx = 1\n\ny = 2\n```\n\nAfter\n';
  assert.equal(lastBlockBoundary(text, 0), text.indexOf('After'));
  assert.equal(lastBlockBoundary('```\na\n\nb\n', 0), 0);
});

test('an open code fence streams as plain text, then is highlighted when it closes', () => {
  const { container, renderer, frame } = setup();
  renderer.decorate = (block) => block.setAttribute('data-decorated', 'yes');
  renderer.append('```rust\nfn main() {\n    let x = "<b>";\n');
  frame();
  const pre = renderer.live.querySelector('pre.streaming-code code');
  assert.ok(pre, 'shown as code while open');
  assert.equal(pre.textContent, 'fn main() {\n    let x = "<b>";\n');
  assert.equal(renderer.live.querySelector('b'), null, 'code text is not parsed as HTML');
  renderer.append('}\n```\n\nDone.');
  frame();
  const block = container.querySelector('.block[data-decorated]');
  assert.ok(block.querySelector('pre code.language-rust'));
  assert.equal(renderer.live.textContent.trim(), 'Done.');
});

test('finish renders the last block and removes the live one', () => {
  const { container, renderer, frame } = setup();
  renderer.append('| a | b |\n|---|---|\n| 1 | 2 |');
  frame();
  renderer.finish();
  assert.equal(container.querySelector('.live'), null);
  assert.equal(container.querySelectorAll('table td').length, 2);
  renderer.append('ignored after the end');
  assert.ok(!container.textContent.includes('ignored'));
});

test('a 100,000-token reply renders each finished block once', () => {
  const { container, renderer, frame } = setup();
  let paragraphs = 0;
  for (let i = 0; i < 100_000; i++) {
    renderer.append(`w${i} `);
    if (i % 100 === 99) { renderer.append('\n\n'); paragraphs++; }
    if (i % 10 === 0) frame();
  }
  renderer.finish();
  assert.equal(container.querySelectorAll('.block').length, paragraphs);
  // Each frame renders the live tail plus newly finished blocks — never the whole reply.
  assert.ok(renderer.renders < 10_000 + paragraphs + 2, `renders: ${renderer.renders}`);
});

// ---------------------------------------------------------------- sanitization

test('script tags are stripped', () => {
  const { markdown } = setup();
  const html = markdown.toHtml('Hi\n\n<script>window.pwned = 1</script>\n\n<p>ok</p>');
  assert.ok(!/script/i.test(html), html);
  assert.match(html, /ok/);
});

test('event handler attributes are stripped', () => {
  const { markdown } = setup();
  const html = markdown.toHtml('<img src="data:image/png;base64,AAAA" onerror="alert(1)"> <a href="https://x.example" onclick="alert(2)">x</a> <div onmouseover="alert(3)">y</div>');
  assert.ok(!/on(error|click|mouseover)/i.test(html), html);
});

test('javascript: links lose their target', () => {
  const { markdown } = setup();
  const frag = markdown.toFragment('[click me](javascript:alert(1)) and <a href="JaVaScRiPt:alert(2)">two</a> and [ok](https://example.com)');
  const links = [...frag.querySelectorAll('a')];
  assert.equal(links.length, 3);
  assert.equal(links[0].getAttribute('href'), null);
  assert.equal(links[1].getAttribute('href'), null);
  assert.equal(links[2].getAttribute('href'), 'https://example.com');
  assert.equal(links[2].getAttribute('rel'), 'noopener noreferrer');
});

test('remote images are not loaded', () => {
  const { markdown } = setup();
  const frag = markdown.toFragment('![tracker](https://tracker.example/pixel.png?conversation=secret) <img src="//evil.example/x.gif">');
  assert.equal(frag.querySelectorAll('img').length, 0);
  assert.equal(frag.querySelector('.blocked-image').textContent, '[image: tracker]');
  const local = markdown.toFragment('![dot](data:image/png;base64,iVBORw0KGgo=)');
  assert.equal(local.querySelectorAll('img').length, 1);
});

test('styles, forms and frames are removed', () => {
  const { markdown } = setup();
  const html = markdown.toHtml('<style>body{display:none}</style><form action="https://x"><input name=a></form><iframe src="https://x"></iframe><p style="position:fixed">p</p>');
  assert.ok(!/<(style|form|input|iframe)/i.test(html), html);
  assert.ok(!/style=/i.test(html), html);
});

test('markdown features render: lists, tables, code with language', () => {
  const { markdown } = setup();
  const frag = markdown.toFragment('- a\n- b\n\n1. one\n2. two\n\n| h |\n|---|\n| c |\n\n```js\nlet a = 1;\n```');
  assert.equal(frag.querySelectorAll('ul li').length, 2);
  assert.equal(frag.querySelectorAll('ol li').length, 2);
  assert.equal(frag.querySelectorAll('table td').length, 1);
  assert.equal(frag.querySelector('pre code').getAttribute('class'), 'language-js');
});

// ---------------------------------------------------------------- sidebar helpers

import { groupByRecency, snippetParts } from '../src/groups.js';

test('conversations group by recency with pinned on top', () => {
  const now = new Date(2026, 10, 21, 15, 0);
  const at = (d, h = 12) => new Date(2026, 10, d, h).getTime();
  const groups = groupByRecency([
    { id: 'p', pinned: true, updatedAt: at(1) },
    { id: 'a', pinned: false, updatedAt: at(21, 9) },
    { id: 'b', pinned: false, updatedAt: at(20) },
    { id: 'c', pinned: false, updatedAt: at(16) },
    { id: 'd', pinned: false, updatedAt: new Date(2026, 8, 3).getTime() },
  ], now);
  assert.deepEqual(groups.map((g) => [g.label, g.items.map((i) => i.id)]), [
    ['Pinned', ['p']], ['Today', ['a']], ['Yesterday', ['b']], ['Previous 7 days', ['c']], ['September 2026', ['d']],
  ]);
});

test('snippets split at their match markers, never as HTML', () => {
  assert.deepEqual(snippetParts('…use \u0002<b>nginx\u0003 as a proxy'), [
    { text: '…use ', marked: false }, { text: '<b>nginx', marked: true }, { text: ' as a proxy', marked: false },
  ]);
});
