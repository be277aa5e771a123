// Mermaid's SVG is only ever shown as an image, and even so it is cut down first: a hostile
// diagram source (or a mermaid bug) must not get a script, a link or a remote load through.
// Mermaid itself does not lay out in jsdom, so this tests the sanitizer and the block's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { sanitizeSvg, MAX_DIAGRAM_CHARS } from '../src/diagrams.js';
import { decorateCodeBlocks } from '../src/code-blocks.js';
import { createMarkdown } from '../src/markdown.js';

const { window } = new JSDOM('<!doctype html><body></body>');
const win = /** @type {any} */ (window);

const HOSTILE = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 200 100" width="100%" style="max-width: 200px;" onload="alert(1)">
  <style>.node rect { fill: #eee; } @import url(https://evil.example/s.css);</style>
  <script>alert(1)</script>
  <defs><marker id="arrow"><path d="M0,0 L10,5 z"/></marker></defs>
  <g class="node" onclick="alert(2)"><rect width="50" height="20" fill="url(https://evil.example/f)"/><text x="5" y="15">A &amp; B</text></g>
  <path d="M0,0 L50,50" marker-end="url(#arrow)"/>
  <foreignObject width="100" height="50"><div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:alert(3)">click</a><img src="https://evil.example/p.png"/></div></foreignObject>
  <a xlink:href="https://evil.example/a"><text>link</text></a>
  <use xlink:href="https://evil.example/sprite.svg#x"/><use href="#arrow"/>
  <image href="https://evil.example/i.png" width="10" height="10"/>
  <image xlink:href="http://evil.example/j.png"/>
  <animate attributeName="href" to="javascript:alert(4)"/>
  <set attributeName="onclick" to="alert(5)"/>
  <text x="1" y="90" style="fill: red">\u00a0spaced</text>
</svg>`;

test('a hostile SVG loses everything that could run, navigate or load', () => {
  const clean = sanitizeSvg(HOSTILE, win);
  assert.ok(clean);
  const { xml } = clean;
  for (const bad of ['<script', 'onload', 'onclick', 'foreignObject', 'javascript:', 'evil.example', '<image', '<a ', '<animate', '<set', '@import']) {
    assert.ok(!xml.includes(bad), `${bad} is gone from ${xml}`);
  }
  const doc = new window.DOMParser().parseFromString(xml, 'image/svg+xml');
  assert.equal(doc.querySelector('parsererror'), null, 'the result is well-formed XML, as an image must be');
  const root = doc.documentElement;
  assert.equal(root.localName, 'svg');
  assert.equal(root.getAttribute('width'), '200');
  assert.equal(root.getAttribute('height'), '100');
  assert.ok(root.querySelector('text'), 'the labels are kept');
  assert.equal(root.querySelector('path[marker-end]').getAttribute('marker-end'), 'url(#arrow)', 'references inside the SVG are kept');
  const uses = [...root.querySelectorAll('use')].map((u) => u.getAttribute('href') ?? u.getAttributeNS('http://www.w3.org/1999/xlink', 'href'));
  assert.deepEqual(uses, [null, '#arrow']);
  assert.equal(root.querySelector('rect').getAttribute('fill'), null, 'a fill from another URL is dropped');
});

test('an SVG with nothing drawable in it gives nothing', () => {
  assert.equal(sanitizeSvg('<script>alert(1)</script>', win), null);
});

test('a ```mermaid block becomes a diagram frame that keeps its source, and a huge one is not drawn', () => {
  const md = createMarkdown(win);
  const block = window.document.createElement('div');
  window.document.body.append(block);
  const huge = `graph TD\n${'A-->B\n'.repeat(MAX_DIAGRAM_CHARS / 6 + 1)}`;
  block.append(md.toFragment(`\`\`\`mermaid\ngraph TD; A-->B\n\`\`\`\n\n\`\`\`mermaid\n${huge}\`\`\`\n\n\`\`\`js\nlet a;\n\`\`\``));
  const copied = [];
  decorateCodeBlocks(block, async (text) => { copied.push(text); });
  const [small, big] = block.querySelectorAll('.diagram');
  assert.equal(block.querySelectorAll('.codeblock').length, 3, 'the JavaScript block is decorated as before');
  assert.equal(small.querySelector('pre code').textContent, 'graph TD; A-->B\n');
  assert.equal(small.querySelector('pre').hidden, true, 'the source waits behind the Source button');
  assert.equal(small.querySelector('.diagram-view').textContent, 'Rendering diagram…');
  small.querySelector('.diagram-toggle').click();
  assert.equal(small.querySelector('pre').hidden, false);
  [...small.querySelectorAll('button')].find((b) => b.textContent === 'Copy').click();
  assert.deepEqual(copied, ['graph TD; A-->B\n']);
  assert.match(big.querySelector('.diagram-view').textContent, /not drawn: its source is over 50 KB/);
  assert.equal(big.querySelector('pre').hidden, false);
  assert.equal(big.getAttribute('aria-busy'), null);
  // The queued drawing would import mermaid, which needs a real browser: not run here.
  block.remove();
});
