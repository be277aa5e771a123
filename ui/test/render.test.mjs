// The stream renderer and the sanitizer, in jsdom: what a reader of a streaming reply sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { createMarkdown } from '../src/markdown.js';
import { StreamRenderer, safeCut } from '../src/stream-renderer.js';

function setup() {
  const dom = new JSDOM('<!doctype html><div id="c"></div>');
  const win = /** @type {any} */ (dom.window);
  const container = win.document.getElementById('c');
  const markdown = createMarkdown(win);
  // Frames are driven by the test: `frame()` runs what the renderer scheduled.
  let pending = [];
  // The clock stands still: no frame runs out of time, so what a frame renders is all it was given.
  const renderer = new StreamRenderer(container, markdown, { schedule: (fn) => pending.push(fn), now: () => 0 });
  const frame = () => { const fns = pending; pending = []; fns.forEach((f) => f()); };
  return { win, container, markdown, renderer, frame, pendingCount: () => pending.length };
}

test('many tokens in one frame are rendered once', () => {
  const { container, renderer, frame, pendingCount } = setup();
  for (const t of ['Hel', 'lo ', 'wor', 'ld']) renderer.append(t);
  assert.equal(pendingCount(), 1, 'one frame scheduled for four tokens');
  frame();
  assert.equal(renderer.renders, 1);
  assert.equal(container.textContent.trim(), 'Hello world');
});

/** Documents of every shape a model writes, each streamed below in pieces of every size. */
const DOCUMENTS = {
  paragraphs: 'Hello **bold** and `code` and [a link](https://x.y) with more words here.\nSecond line of the same paragraph with _em_ text.\n\nAnother paragraph.\n',
  'a long paragraph': Array.from({ length: 300 }, (_, i) => `word${i} ${i % 7 === 0 ? `**strong ${i}**` : ''} ${i % 11 === 0 ? `\`c${i}\`` : ''}`).join(' ') + '\n',
  'a long line of links and code': Array.from({ length: 200 }, (_, i) => `alpha${i} *e${i}* [l${i}](https://x.y/${i}) \`k${i}\``).join(' ') + '\n',
  lists: 'Intro:\n\n- one\n- two with **bold**\n- three\n  continued\n- four\n  - nested a\n  - nested b\n- five\n\nAfter.\n',
  'an ordered list': '1. first\n2. second\n3. third\n\n10. ten\n11. eleven\n',
  'a list item with paragraphs': '- item one\n\n  more of item one\n- item two\n\nend\n',
  'a list item with a fence': '1. Run:\n   ```bash\n   echo a\n\n   echo b\n   ```\n2. Then\n',
  'a lazy continuation': '- item\nlazy continuation\n- next\n',
  tables: '| a | b |\n|---|:-:|\n| 1 | **2** |\n| 3 | 4 |\n| 5 | 6 |\n\nDone.\n',
  'a table at the very end': '| a | b |\n|---|---|\n| 1 | 2 |',
  code: 'Text\n\n```rust\nfn main() {\n\n    println!("x");\n}\n```\n\nEnd\n',
  'a fence right after a paragraph': 'Look:\n```js\nlet a = 1;\n```\nafter\n',
  quotes: '> quoted **text**\n> more\n>\n> - a\n> - b\n\nout\n',
  'a fence in a quote': '> ```\n> code in quote\n> ```\n> after\n',
  headings: '# Title\n\nSome text\n## Sub\nMore text\n\n---\n\nEnd\n',
  'a setext heading': 'A heading\n---\n\ntext\n',
  'a list interrupting a paragraph': 'Paragraph text\n- item a\n- item b\n\nx\n',
  'hard line breaks': 'line one  \nline two\\\nline three\n',
  'emphasis across lines': 'This *spans\nlines* ok and **also\nthis** one.\n',
  'stars that are not emphasis': 'Compute 2 * 3 * 4 and a_b_c snake and 5*6.\n',
  'raw html': '<div>\nraw html\n</div>\n\ntext\n',
  prices: 'It costs $5 and $10 here.\n',
  math: 'The area is $\\pi r^2$ and $$x^2$$ inline, \\(a+b\\) and \\[c\\] too.\n\n$$\nE = mc^2\n$$\n\nDone for $5.\n',
  'display math right after a paragraph': 'So:\n$$\n\\sum_{i=1}^n i\n$$\nand \\[\nx\n\\]\n',
};

/** What a reader sees, without the block wrappers and the whitespace HTML ignores. */
function seen(element) {
  return element.innerHTML
    .replace(/<\/?div[^>]*>/g, '')
    // A long paragraph goes on in <p class="continued">: one paragraph to the reader.
    .replace(/<\/p><p class="continued(?: split)?">/g, '')
    .replace(/<p class="split">/g, '<p>')
    .replace(/\s+/g, ' ')
    .replace(/> </g, '><')
    .replace(/\s+</g, '<')
    // A list whose items are apart by a blank line wraps each in <p>: same text, more space.
    .replace(/<li><p>(.*?)<\/p><\/li>/g, '<li>$1</li>')
    .trim();
}

test('streamed in pieces of any size, over any frames, a reply ends as it renders whole', () => {
  const { win, markdown } = setup();
  for (const [name, text] of Object.entries(DOCUMENTS)) {
    const whole = win.document.createElement('div');
    whole.append(markdown.toFragment(text));
    for (let seed = 1; seed <= 25; seed++) {
      const container = win.document.createElement('div');
      let pending = [];
      const renderer = new StreamRenderer(container, markdown, { schedule: (fn) => pending.push(fn), now: () => 0 });
      let state = seed;
      const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let i = 0; i < text.length;) {
        const n = 1 + Math.floor(random() * 8);
        renderer.append(text.slice(i, i + n));
        i += n;
        if (random() < 0.5) { const fns = pending; pending = []; fns.forEach((f) => f()); }
      }
      renderer.finish();
      assert.equal(seen(container), seen(whole), `${name}, streamed with seed ${seed}`);
    }
  }
});

/**
 * Streams `count` tokens at about 33 a frame (2,000 tokens/s at 60 frames/s), and returns the
 * renderer: how much markdown its busiest frame rendered, and the container.
 */
function streamAtFrameRate(tokens) {
  const { container, renderer, frame } = setup();
  let arrived = 0;
  let mostInAFrame = 0;
  tokens.forEach((t, i) => {
    renderer.append(t);
    arrived += t.length;
    if (i % 33 === 32) {
      frame();
      mostInAFrame = Math.max(mostInAFrame, arrived);
      arrived = 0;
    }
  });
  frame();
  return { container, renderer, mostInAFrame };
}

test('a frame costs what arrived since the last one, however long the paragraph, list, table, quote or code', () => {
  const repeat = (n, f) => Array.from({ length: n }, (_, i) => f(i));
  const shapes = {
    paragraph: repeat(20_000, (i) => (i % 9 === 0 ? `**w${i}** ` : `w${i} `)),
    list: repeat(4_000, (i) => `- item ${i} with *some* words\n`),
    table: ['| a | b | c |\n|---|---|---|\n', ...repeat(4_000, (i) => `| ${i} | \`x${i}\` | **y** |\n`)],
    quote: repeat(4_000, (i) => `> quoted line ${i} of a long quote\n`),
    code: ['```js\n', ...repeat(4_000, (i) => `const v${i} = ${i};\n`)],
  };
  for (const [shape, tokens] of Object.entries(shapes)) {
    const { renderer, mostInAFrame } = streamAtFrameRate(tokens);
    const length = renderer.text.length;
    assert.ok(length > 70_000, `${shape}: ${length} characters`);
    // The reply is over 70,000 characters; a frame renders what arrived in it and a line or
    // so before, never the paragraph, list, table, quote or code block from its start.
    const bound = 2 * mostInAFrame + 600;
    assert.ok(renderer.maxFrameParsed < bound, `${shape}: a frame rendered ${renderer.maxFrameParsed} characters of ${length} (${mostInAFrame} arrived in the busiest frame)`);
    // And the whole reply is rendered about once in all: nothing from its start again and again.
    assert.ok(renderer.parsed < length * 6, `${shape}: ${renderer.parsed} characters rendered for ${length}`);
  }
});

test('what is on screen is never drawn again: not by later tokens, not by the end of the reply', () => {
  const { container, renderer, frame } = setup();
  renderer.append('Intro with **bold** words that go on for a while.\n\n- first item\n- second item\n- thi');
  frame();
  const strong = container.querySelector('strong');
  const firstItem = container.querySelector('li');
  assert.equal(firstItem.textContent, 'first item');
  for (let i = 0; i < 50; i++) { renderer.append(`rd item ${i}\n- more`); frame(); }
  renderer.append('\n\n| a | b |\n|---|---|\n| 1 | 2 |\n');
  frame();
  const cell = container.querySelector('td');
  renderer.append('| 3 | 4 |');
  frame();
  renderer.finish();
  assert.equal(container.querySelector('strong'), strong, 'the same node: not rendered again');
  assert.equal(container.querySelector('li'), firstItem);
  assert.equal(container.querySelector('td'), cell);
  assert.equal(container.querySelectorAll('li').length, 53);
  assert.equal(container.querySelectorAll('tbody tr').length, 2);
});

test('a long paragraph shows each word as it arrives, cut only where nothing is open', () => {
  const { container, renderer, frame } = setup();
  const words = Array.from({ length: 400 }, (_, i) => (i === 100 ? 'a `code span with many words in it that is long` here' : `w${i}`));
  for (const w of words) { renderer.append(`${w} `); frame(); }
  assert.equal(container.querySelectorAll('p:not(.continued)').length, 1, 'one paragraph, shown whole as it grows');
  assert.match(container.textContent, /w399\s*$/);
  assert.equal(container.querySelectorAll('code').length, 1, 'the code span was not cut in two');
  assert.equal(safeCut('one `two three` four five six seven eight nine ten eleven twelve', 0) > 0, true);
  assert.equal(safeCut('one `two three four five six seven eight nine ten eleven twelve', 0), 4, 'not within an open code span');
  assert.equal(safeCut('**bold words that go on and on and on', 0), 0);
  assert.equal(safeCut('math $x + y + z$', 0), 5, 'not within a formula');
});

test('an open code fence streams as plain text, then is highlighted when it closes', () => {
  const { container, renderer, frame } = setup();
  renderer.decorate = (block) => block.setAttribute('data-decorated', 'yes');
  renderer.append('```rust\nfn main() {\n    let x = "<b>";\n');
  frame();
  const code = container.querySelector('pre.streaming-code code');
  assert.ok(code, 'shown as code while open');
  assert.equal(code.textContent, 'fn main() {\n    let x = "<b>";');
  assert.equal(container.querySelector('b'), null, 'code text is not parsed as HTML');
  assert.equal(container.querySelector('[data-decorated]'), null, 'not highlighted while open');
  renderer.append('}\n```\n\nDone.');
  frame();
  const block = container.querySelector('.block[data-decorated]');
  assert.equal(block.querySelector('pre code.language-rust'), code, 'the same element, now finished');
  assert.equal(code.textContent, 'fn main() {\n    let x = "<b>";\n}\n');
  assert.equal(container.lastElementChild.textContent.trim(), 'Done.');
});

test('a paragraph that turns out to be a table header becomes the table', () => {
  const { container, renderer, frame } = setup();
  renderer.append('| name | value |\n');
  frame();
  assert.equal(container.querySelector('table'), null);
  renderer.append('|---|---|\n| x');
  frame();
  assert.equal(container.querySelectorAll('th').length, 2);
  assert.equal(container.querySelector('td')?.textContent, 'x', 'the row being written is shown');
  renderer.append(' | 1 |\n| y | 2 |\n');
  frame();
  assert.deepEqual([...container.querySelectorAll('td')].map((td) => td.textContent), ['x', '1', 'y', '2']);
});

test('finish renders the rest and leaves nothing provisional', () => {
  const { container, renderer, frame } = setup();
  renderer.append('| a | b |\n|---|---|\n| 1 | 2 |');
  frame();
  renderer.finish();
  assert.equal(container.querySelector('.live'), null);
  assert.equal(container.querySelectorAll('table td').length, 2);
  renderer.append('ignored after the end');
  assert.ok(!container.textContent.includes('ignored'));
});

/**
 * A renderer on a simulated clock on which each markdown call takes 1 ms. `frames()` runs
 * frames until none is scheduled, and returns how long each took.
 */
function onSimulatedClock() {
  const { container, markdown } = setup();
  let pending = [];
  let clock = 0;
  const timed = {
    toFragment: (s) => { clock += 1; return markdown.toFragment(s); },
    inlineFragment: (s) => { clock += 1; return markdown.inlineFragment(s); },
  };
  const renderer = new StreamRenderer(container, timed, { schedule: (fn) => pending.push(fn), now: () => clock });
  const frames = () => {
    const took = [];
    while (pending.length) {
      const start = clock;
      const fns = pending; pending = []; fns.forEach((f) => f());
      took.push(clock - start);
    }
    return took;
  };
  return { container, renderer, frames };
}

test('a reply that arrives all at once is worked off in slices, never one frozen frame', () => {
  const { container, renderer, frames } = onSimulatedClock();
  const block = '## Part\n\nSome words in a paragraph.\n\n- a\n- b\n\n';
  renderer.append(block.repeat(2_000));
  const took = frames();
  for (const ms of took) assert.ok(ms <= 45, `a frame took ${ms} ms`);
  assert.ok(took.length > 1, 'spread over frames');
  renderer.finish();
  assert.equal(container.querySelectorAll('h2').length, 2_000);
  assert.equal(container.querySelectorAll('li').length, 4_000);
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

test('a paragraph that arrives all at once is taken a piece at a time, and a word too long to cut is still shown', () => {
  const { container, renderer, frames } = onSimulatedClock();
  renderer.append(Array.from({ length: 40_000 }, (_, i) => `w${i}`).join(' '));
  const took = frames().length;
  assert.ok(took > 3, `worked off over ${took} frames`);
  assert.ok(container.querySelectorAll('p').length > 50, 'in short <p>s');
  assert.match(container.textContent, /w39999$/);
  renderer.finish();
  const blob = setup();
  blob.renderer.append('x'.repeat(20_000));
  blob.frame();
  assert.equal(blob.container.textContent.length, 20_000, 'shown whole, not held back for ever');
});
