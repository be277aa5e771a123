// End to end: math and diagrams in a reply, as the real app's WebKit draws them under the
// real CSP. The mock server's `[echo]` tag streams back exactly the markdown a test sends.
// Run through .ci/e2e; PALAVER_SCREENSHOTS=dir keeps pictures of each, light and dark.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keys } from './webdriver.mjs';
import { startStack } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./webdriver.mjs').Session} */
let app;

const LAST = `[...document.querySelectorAll('.msg.assistant')].pop()`;

before(async () => {
  stack = await startStack({ env: () => ({ OPENAI_API_KEY: 'sk-e2e-render-000000000000' }) });
  app = await stack.startApp();
  await app.waitFor(async () => (await app.find('#message')).displayed(), { what: 'the chat' });
  // What went wrong in the page, for the assertions and for whoever reads a failure.
  await app.exec(`
    window.__problems = [];
    window.addEventListener('error', (e) => window.__problems.push('error: ' + e.message));
    window.addEventListener('unhandledrejection', (e) => window.__problems.push('rejection: ' + (e.reason?.message ?? e.reason)));
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '')));`);
});

after(async () => {
  if (app) {
    const csp = await app.exec('return [...new Set(window.__csp ?? [])]').catch(() => []);
    if (csp.length) console.log(`# CSP reports in the page (expected: mermaid lays out in a hidden box whose inline styles are refused): ${csp.join('; ')}`);
  }
  await stack?.stop();
});

/** Sends `markdown` for the mock to echo, exactly, and waits for the whole reply. @param {string} markdown */
async function echo(markdown) {
  const before = (await app.findAll('.msg.assistant')).length;
  await app.exec(`const m = document.querySelector('#message'); m.value = arguments[0]; m.dispatchEvent(new Event('input'));`, `[echo]${markdown}`);
  await (await app.find('#message')).type(Keys.ENTER);
  await app.waitFor(async () => (await app.findAll('.msg.assistant')).length > before, { what: 'a reply to appear' });
  await stack.waitIdle();
}

async function noPageErrors() {
  assert.deepEqual(await app.exec('return window.__problems'), []);
}

/** @param {string} name @param {string} selector scrolled into view first */
async function shotOf(name, selector) {
  await app.exec(`document.querySelector(arguments[0])?.scrollIntoView({ block: 'center' })`, selector);
  await new Promise((r) => setTimeout(r, 300));
  await stack.shot(name);
}

const MATH = String.raw`Euler's identity, $e^{i\pi} + 1 = 0$, and the Pythagorean theorem \(a^2 + b^2 = c^2\). Prices stay text: $5 and $10.

$$
\int_0^1 x^2\,dx = \frac{1}{3}, \qquad \sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}
$$

A matrix: $\begin{pmatrix} a & b \\ c & d \end{pmatrix}$, and code stays code: ` + '`$x$`' + `.
`;

test('math in a reply is typeset', async () => {
  await echo(MATH);
  const found = await app.exec(`const c = ${LAST}.querySelector('.content');
    const size = (el) => { const r = el?.getBoundingClientRect(); return r ? [Math.round(r.width), Math.round(r.height)] : null; };
    return {
      inline: c.querySelectorAll('span.math > math:not([display])').length,
      display: c.querySelectorAll('div.math-display > math[display="block"]').length,
      inlineSize: size(c.querySelector('span.math > math')),
      displaySize: size(c.querySelector('div.math-display > math')),
      fraction: !!c.querySelector('.math-display mfrac'),
      errors: c.querySelectorAll('.math-error').length,
      code: c.querySelector('p code')?.textContent,
      text: c.innerText,
    };`);
  assert.equal(found.inline, 3, 'three inline formulas');
  assert.equal(found.display, 1, 'one displayed formula');
  assert.ok(found.inlineSize[0] > 20 && found.inlineSize[1] > 8, `inline math has a size: ${found.inlineSize}`);
  assert.ok(found.displaySize[0] > 100 && found.displaySize[1] > 20, `display math has a size: ${found.displaySize}`);
  assert.ok(found.fraction);
  assert.equal(found.errors, 0);
  assert.equal(found.code, '$x$');
  assert.match(found.text, /Prices stay text: \$5 and \$10\./);
  for (const source of ['$e^', '\\pi', '\\frac', '$$', '\\(', 'pmatrix']) assert.ok(!found.text.includes(source), `no raw ${source} on screen: ${found.text}`);
  await shotOf('math-light', '.msg.assistant:last-child .math-display');
  await noPageErrors();
});

const FLOW = `graph TD
  A[Question] --> B{Streaming?}
  B -->|yes| C[Render the open block]
  B -->|no| D[Render once]
  C --> E[Freeze finished blocks]
  D --> E`;
const SEQUENCE = `sequenceDiagram
  participant UI
  participant Rust
  UI->>Rust: send_message
  Rust-->>UI: delta
  Rust-->>UI: finished`;

test('a mermaid diagram is drawn when its fence closes', async () => {
  await echo(`Two diagrams:\n\n\`\`\`mermaid\n${FLOW}\n\`\`\`\n\nAnd the stream:\n\n\`\`\`mermaid\n${SEQUENCE}\n\`\`\`\n\nThat is all.`);
  const drawn = await app.waitFor(async () => app.exec(`const imgs = [...${LAST}.querySelectorAll('.diagram img.diagram-img')];
    if (imgs.length < 2 || !imgs.every((i) => i.complete && i.naturalWidth > 0)) return null;
    return imgs.map((i) => { const r = i.getBoundingClientRect(); return { w: r.width, h: r.height, src: i.src.slice(0, 24) }; });`),
  { timeout: 30000, what: 'both diagrams to be drawn' });
  for (const d of drawn) {
    assert.ok(d.w > 50 && d.h > 50, `a diagram has a size: ${JSON.stringify(d)}`);
    assert.equal(d.src, 'data:image/svg+xml;chars');
  }
  const page = await app.exec(`const r = ${LAST};
    return { svgs: document.querySelectorAll('.content svg').length, sandboxes: document.querySelectorAll('.mermaid-sandbox').length,
             sources: [...r.querySelectorAll('.diagram pre code')].map((c) => c.textContent), hidden: [...r.querySelectorAll('.diagram pre')].map((p) => p.hidden),
             text: r.querySelector('.content').innerText };`);
  assert.equal(page.svgs, 0, 'no SVG in the page itself: the diagrams are images');
  assert.equal(page.sandboxes, 0, 'the layout box is gone');
  assert.deepEqual(page.sources, [`${FLOW}\n`, `${SEQUENCE}\n`], 'the sources are kept');
  assert.deepEqual(page.hidden, [true, true]);
  assert.match(page.text, /That is all\./);
  await shotOf('mermaid-light', '.msg.assistant:last-child .diagram');

  await app.exec(`${LAST}.querySelector('.diagram .diagram-toggle').click()`);
  assert.equal(await app.exec(`const pre = ${LAST}.querySelector('.diagram pre'); return !pre.hidden && pre.getBoundingClientRect().height > 50`), true, 'Source shows the source');
  assert.match(await app.exec(`return ${LAST}.querySelector('.diagram pre').innerText`), /B -->\|yes\| C\[Render the open block\]/);
  await shotOf('mermaid-source-light', '.msg.assistant:last-child .diagram pre');
  await app.exec(`${LAST}.querySelector('.diagram .diagram-toggle').click()`);
  await noPageErrors();
});

test('a broken diagram shows its source and the error', async () => {
  const broken = 'graph TD\n  A[Start --> B\n  B --> }}';
  await echo(`Before the diagram.\n\n\`\`\`mermaid\n${broken}\n\`\`\`\n\nAfter the diagram, **still rendered**.`);
  const shown = await app.waitFor(async () => app.exec(`const f = ${LAST}.querySelector('.diagram');
    const error = f?.querySelector('.diagram-error');
    if (!error) return null;
    return { message: error.innerText, source: f.querySelector('pre code').textContent, preHidden: f.querySelector('pre').hidden,
             imgs: f.querySelectorAll('img').length, text: ${LAST}.querySelector('.content').innerText,
             bold: ${LAST}.querySelector('.content strong')?.textContent };`),
  { timeout: 30000, what: 'the diagram error' });
  assert.match(shown.message, /could not be drawn/);
  assert.match(shown.message, /parse error|syntax error|lexical error|expecting/i, shown.message);
  assert.equal(shown.source, `${broken}\n`);
  assert.equal(shown.preHidden, false, 'the source is on screen');
  assert.equal(shown.imgs, 0);
  assert.match(shown.text, /^Before the diagram\./);
  assert.equal(shown.bold, 'still rendered');
  assert.equal(await app.exec(`return document.querySelectorAll('[id^="palaver-diagram"], .mermaid-sandbox').length`), 0, 'mermaid left nothing behind');
  await shotOf('mermaid-broken-light', '.msg.assistant:last-child .diagram');
  await noPageErrors();
});

test('in the dark theme the diagrams are drawn again, each as it comes into view, and math follows the text colour', async () => {
  await app.exec(`document.documentElement.dataset.theme = 'dark'`);
  let state = '';
  // Diagrams are drawn when they come near the view: bring each one there in turn.
  await app.waitFor(async () => {
    state = await app.exec(`document.querySelector('.diagram:not(.diagram-failed):not([data-theme="dark"])')?.scrollIntoView({ block: 'center' });
      return JSON.stringify([...document.querySelectorAll('.diagram')].map((f) => ({
      theme: f.dataset.theme, failed: f.classList.contains('diagram-failed'), img: !!f.querySelector('img')?.complete, note: f.querySelector('.diagram-view').innerText.slice(0, 200) })))`);
    const frames = JSON.parse(state).filter((f) => !f.failed);
    return frames.length >= 2 && frames.every((f) => f.theme === 'dark' && f.img);
  }, { timeout: 30000, what: 'the diagrams in the dark theme' }).catch((e) => { throw new Error(`${e.message}; diagrams: ${state}`); });
  const colours = await app.exec(`const m = document.querySelector('.math-display math');
    return { math: getComputedStyle(m).color, body: getComputedStyle(document.body).color };`);
  assert.equal(colours.math, colours.body, 'math is drawn in the text colour');
  await shotOf('mermaid-dark', '.diagram:not(.diagram-failed)');
  await shotOf('mermaid-broken-dark', '.diagram.diagram-failed');
  await shotOf('math-dark', '.math-display');
  await app.exec(`delete document.documentElement.dataset.theme`);
  await noPageErrors();
});
