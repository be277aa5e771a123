// Math in replies: TeX between the usual delimiters becomes MathML, prices and code stay as
// they were written, and nothing a hostile formula asks for can navigate, load or run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { createMarkdown } from '../src/markdown.js';
import { StreamRenderer } from '../src/stream-renderer.js';

const { window } = new JSDOM('<!doctype html><body></body>');
const markdown = createMarkdown(/** @type {any} */ (window));

/** @param {string} src */
function render(src) {
  const box = window.document.createElement('div');
  box.append(markdown.toFragment(src));
  return box;
}

test('inline math in a sentence becomes inline MathML', () => {
  const box = render('Euler wrote $e^{i\\pi} + 1 = 0$ and \\(a^2 + b^2 = c^2\\) too.');
  const maths = box.querySelectorAll('p > span.math > math');
  assert.equal(maths.length, 2);
  assert.equal(maths[0].namespaceURI, 'http://www.w3.org/1998/Math/MathML');
  assert.equal(maths[0].getAttribute('display'), null);
  assert.ok(maths[0].querySelector('msup'), 'the power is typeset');
  assert.ok(!box.textContent.includes('$'), 'no dollar sign is left on screen');
  assert.match(box.querySelector('p').textContent, /^Euler wrote .* and .* too\.$/);
});

test('display math, between $$ or \\[ \\], is a block of its own', () => {
  for (const src of ['$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$', '\\[\n\\sum_{n=1}^\\infty \\frac{1}{n^2} = \\frac{\\pi^2}{6}\n\\]', 'Before\n$$x^2$$\nafter']) {
    const box = render(src);
    const math = box.querySelector('div.math.math-display > math');
    assert.ok(math, `typeset: ${src}`);
    assert.equal(math.getAttribute('display'), 'block');
    assert.ok(math.querySelector('mfrac, msup'), src);
  }
  assert.deepEqual([...render('Before\n$$x^2$$\nafter').querySelectorAll('p')].map((p) => p.textContent), ['Before', 'after']);
});

test('prices and other lone dollars stay text', () => {
  for (const src of ['It costs $5 and $10 with tax.', 'Between $5-$10.', 'From $5/$6, or $ 7 $.', 'Pay US$5 now', 'A \\$ sign and \\$x\\$', 'Totals: $1,000 and $2,000']) {
    const box = render(src);
    assert.equal(box.querySelectorAll('math, .math, .math-error').length, 0, src);
    assert.ok(box.textContent.includes('$'), src);
  }
});

test('code spans and code blocks keep their dollars', () => {
  const box = render('Use `$x$` in a span.\n\n```tex\n$$\\frac{a}{b}$$ and $y$\n```\n\n    $z$ indented');
  assert.equal(box.querySelectorAll('math').length, 0);
  assert.equal(box.querySelector('p code').textContent, '$x$');
  assert.equal(box.querySelector('pre code').textContent, '$$\\frac{a}{b}$$ and $y$\n');
  assert.match(box.querySelectorAll('pre code')[1].textContent, /^\$z\$ indented/);
});

test('a formula KaTeX cannot read shows its source, and the rest of the reply renders', () => {
  const box = render('Good $x^2$, bad $\\frac{a$, and **bold** after.');
  const bad = box.querySelector('code.math-error');
  assert.ok(bad);
  assert.equal(bad.textContent, '$\\frac{a$');
  assert.match(bad.getAttribute('title'), /KaTeX parse error/);
  assert.equal(box.querySelectorAll('math').length, 1);
  assert.equal(box.querySelector('strong').textContent, 'bold');
  const block = render('$$\n\\begin{matrix} a \\end{nope}\n$$');
  assert.equal(block.querySelector('.math-display > code.math-error').textContent, '$$\n\\begin{matrix} a \\end{nope}\n$$');
});

test('hostile TeX produces nothing that navigates, loads, runs or styles', () => {
  const hostile = [
    '$\\href{javascript:alert(1)}{click}$',
    '$\\url{https://evil.example/x}$',
    '\\(\\htmlClass{evil}{x} \\htmlStyle{background:url(https://evil.example)}{y} \\htmlId{main}{z} \\htmlData{a=b}{w}\\)',
    '$$\\includegraphics{https://evil.example/p.png}$$',
    '$\\def\\a{\\a\\a}\\a$',
    '$\\rule{100000em}{100000em}$',
    '$\\style{color:red}{x} \\class{c}{x} \\toggle{a}{b}\\endtoggle$',
    '$\\text{<img src=x onerror=alert(1)>}$',
    '<palaver-math onclick="alert(1)" style="color:red">$\\href{https://evil.example}{x}$</palaver-math>',
  ];
  for (const src of hostile) {
    const box = render(src);
    const html = box.innerHTML;
    for (const el of box.querySelectorAll('*')) {
      for (const attr of el.attributes) {
        assert.ok(!/^(href|xlink:href|src|style|on\w+|id|action)$/i.test(attr.name), `${src}: <${el.localName} ${attr.name}="${attr.value}">`);
        assert.ok(!/javascript:|evil\.example/i.test(attr.value) || attr.name === 'title', `${src}: <${el.localName} ${attr.name}="${attr.value}">`);
      }
    }
    assert.equal(box.querySelectorAll('a, img, script, maction, annotation-xml, palaver-math').length, 0, `${src}: ${html}`);
  }
});

test('math written while streaming is typeset once its block is there', () => {
  const dom = new JSDOM('<!doctype html><div id="c"></div>');
  const md = createMarkdown(/** @type {any} */ (dom.window));
  const container = /** @type {HTMLElement} */ (dom.window.document.getElementById('c'));
  const renderer = new StreamRenderer(container, md, { schedule: (fn) => fn() });
  const reply = 'The area is $\\pi r^2$.\n\n$$\nE = mc^2\n$$\n\nDone for $5.';
  for (const piece of reply.match(/[\s\S]{1,3}/g) ?? []) renderer.append(piece);
  renderer.finish();
  assert.equal(container.querySelectorAll('span.math > math').length, 1);
  assert.equal(container.querySelectorAll('div.math-display > math').length, 1);
  assert.match(container.textContent, /Done for \$5\./);
});
