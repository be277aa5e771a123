// Mermaid diagrams in finished ```mermaid blocks, drawn as pictures.
//
// Mermaid is big, so it is imported the first time a diagram needs it, into a chunk of its
// own. It runs with `securityLevel: 'strict'` and labels as SVG text (no `<foreignObject>`
// HTML). Its SVG is not put into the page: it is sanitized with DOMPurify's SVG profile and
// shown as an `<img>` of a `data:` URL. An SVG drawn as an image runs no script, loads
// nothing and follows no link, and its own `<style>` applies, which in the page the CSP
// (`style-src 'self'`) would block. The source stays in the block: "Source" shows it and
// Copy copies it.
//
// Diagrams are drawn one at a time, when they come near the visible part of the page, each
// in a task of its own rather than in the animation frame that appends tokens; each drawn
// picture is kept for its source and theme, so a reply shown again costs nothing. A source mermaid cannot read is shown as code with
// mermaid's message; a source above MAX_DIAGRAM_CHARS is shown as code, not drawn. When
// the app's theme changes, the diagrams on screen are drawn again in the new one.

import createDOMPurify from 'dompurify';

export const MAX_DIAGRAM_CHARS = 50_000;

/** Mermaid's labels are measured in the page and drawn in the image: one font for both. */
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", sans-serif';

const SVG_PURIFY = {
  USE_PROFILES: { svg: true, svgFilters: true },
  // Mermaid's styles are in an SVG <style>, which the svg profile allows. The SVG is only
  // ever an image, but it is still cut down to what draws: no links, no embedded HTML, no
  // external images, no animation that could rewrite attributes.
  // <use> draws a symbol of the same SVG (mermaid's actor and embedded icons); its href is
  // kept only when it points inside (the hook below).
  ADD_TAGS: ['use'],
  FORBID_TAGS: ['a', 'script', 'foreignObject', 'image', 'feImage', 'animate', 'animateMotion', 'animateTransform', 'set', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['src', 'action', 'formaction'],
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: /** @type {const} */ (true),
};

/** A url() that points anywhere but into the same SVG (`url(#marker)`). */
const OUTSIDE_URL = /url\(\s*(?!['"]?#)/i;
const SCRIPT_URL = /^\s*(javascript|vbscript|data):/i;

/** @type {WeakMap<Window, ReturnType<typeof createDOMPurify>>} */
const purifiers = new WeakMap();

/** @param {Window & import('dompurify').WindowLike} win */
function purifierFor(win) {
  let purify = purifiers.get(win);
  if (!purify) {
    purify = createDOMPurify(win);
    purify.addHook('uponSanitizeAttribute', (_node, data) => {
      const value = data.attrValue || '';
      const local = data.attrName.replace(/^xlink:/, '');
      // References inside the SVG (markers, gradients, <use>) are kept; anything else goes.
      if (local === 'href') data.keepAttr = value.startsWith('#');
      else if (OUTSIDE_URL.test(value) || SCRIPT_URL.test(value)) data.keepAttr = false;
    });
    purify.addHook('uponSanitizeElement', (node, data) => {
      if (data.tagName === 'style' && (/@import/i.test(node.textContent || '') || OUTSIDE_URL.test(node.textContent || ''))) {
        node.textContent = '';
      }
    });
    purifiers.set(win, purify);
  }
  return purify;
}

/**
 * Mermaid's SVG made safe to show as an image: sanitized, serialized as XML (an image is
 * parsed as XML, not HTML) with its size taken from its viewBox. Null if no SVG is left.
 * @param {string} svg
 * @param {Window & import('dompurify').WindowLike} win
 * @returns {{ xml: string, width: number, height: number } | null}
 */
export function sanitizeSvg(svg, win) {
  const frag = purifierFor(win).sanitize(svg, SVG_PURIFY);
  const root = frag.querySelector('svg');
  if (!root) return null;
  const box = (root.getAttribute('viewBox') || '').trim().split(/[\s,]+/).map(Number);
  let width = box.length === 4 && box[2] > 0 ? box[2] : Number.parseFloat(root.getAttribute('width') || '');
  let height = box.length === 4 && box[3] > 0 ? box[3] : Number.parseFloat(root.getAttribute('height') || '');
  if (!(width > 0 && height > 0)) { width = 600; height = 400; }
  root.setAttribute('width', String(Math.ceil(width)));
  root.setAttribute('height', String(Math.ceil(height)));
  root.removeAttribute('style');
  root.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const xml = new (/** @type {Window & typeof globalThis} */ (win)).XMLSerializer().serializeToString(root);
  return { xml, width: Math.ceil(width), height: Math.ceil(height) };
}

/** @param {Document} doc @returns {'dark' | 'light'} */
function currentTheme(doc) {
  const chosen = doc.documentElement.dataset.theme;
  if (chosen === 'dark' || chosen === 'light') return chosen;
  return doc.defaultView?.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** @type {Promise<typeof import('mermaid').default> | null} */
let mermaidLoading = null;
/** @type {'dark' | 'light' | null} */
let initializedTheme = null;
let renderCount = 0;

/**
 * What frozen-prototype.mjs turns `obj.toString = f` into, in mermaid's dependencies: `obj`
 * gets an own property first, as it would have if Object.prototype were not frozen.
 * @param {any} obj @param {string} name
 */
function ownProperty(obj, name) {
  if (obj !== null && (typeof obj === 'object' || typeof obj === 'function') && !Object.prototype.hasOwnProperty.call(obj, name)) {
    Object.defineProperty(obj, name, { value: undefined, writable: true, enumerable: true, configurable: true });
  }
  return name;
}

/** @param {'dark' | 'light'} theme */
async function loadMermaid(theme) {
  if (!Object.prototype.hasOwnProperty.call(globalThis, '__palaverOwn')) {
    Object.defineProperty(globalThis, '__palaverOwn', { value: ownProperty });
  }
  mermaidLoading ??= import('mermaid').then((m) => m.default);
  const mermaid = await mermaidLoading;
  if (initializedTheme !== theme) {
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: theme === 'dark' ? 'dark' : 'default',
      htmlLabels: false,
      flowchart: { htmlLabels: false },
      fontFamily: FONT_FAMILY,
      maxTextSize: MAX_DIAGRAM_CHARS,
      suppressErrorRendering: true,
    });
    initializedTheme = theme;
  }
  return mermaid;
}

/** Pictures already drawn, by theme and source. @type {Map<string, { url: string, width: number, height: number } | { error: string }>} */
const drawn = new Map();
const DRAWN_KEPT = 64;

/**
 * Draws one diagram: a data: URL of its sanitized SVG, or mermaid's complaint.
 * @param {string} source
 * @param {'dark' | 'light'} theme
 * @param {Document} doc
 */
async function draw(source, theme, doc) {
  const key = `${theme}\n${source}`;
  const known = drawn.get(key);
  if (known) return known;
  const win = /** @type {Window & typeof globalThis} */ (doc.defaultView);
  // Mermaid measures its labels in the page: a box out of sight, in the font it draws with.
  const sandbox = doc.createElement('div');
  sandbox.className = 'mermaid-sandbox';
  sandbox.setAttribute('aria-hidden', 'true');
  doc.body.append(sandbox);
  /** @type {{ url: string, width: number, height: number } | { error: string }} */
  let result;
  try {
    const mermaid = await loadMermaid(theme);
    renderCount += 1;
    const { svg } = await mermaid.render(`palaver-diagram-${renderCount}`, source, sandbox);
    const clean = sanitizeSvg(svg, win);
    if (!clean) throw new Error('The diagram came out empty.');
    result = { url: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(clean.xml)}`, width: clean.width, height: clean.height };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    result = { error: message || 'Mermaid could not read this diagram.' };
  } finally {
    sandbox.remove();
  }
  if (drawn.size >= DRAWN_KEPT) drawn.delete(/** @type {string} */ (drawn.keys().next().value));
  drawn.set(key, result);
  return result;
}

/** @type {Promise<void>} */
let queue = Promise.resolve();

/** A task of its own, so that a diagram never lengthens the frame that appended tokens. */
const nextTask = () => new Promise((resolve) => { setTimeout(resolve, 0); });

/**
 * Draws the diagram of `frame` after the ones already waiting.
 * @param {HTMLElement} frame
 */
function enqueue(frame) {
  const doc = frame.ownerDocument;
  queue = queue.then(async () => {
    await nextTask();
    // A block taken off the page before its turn (another conversation opened) is not drawn.
    if (!frame.isConnected) return;
    const source = frame.querySelector('pre > code')?.textContent || '';
    const theme = currentTheme(doc);
    const result = await draw(source, theme, doc);
    show(frame, result, theme);
  }).catch((e) => { console.error('diagram', e); });
}

/**
 * @param {HTMLElement} frame
 * @param {{ url: string, width: number, height: number } | { error: string }} result
 * @param {'dark' | 'light'} theme
 */
function show(frame, result, theme) {
  const doc = frame.ownerDocument;
  const view = /** @type {HTMLElement} */ (frame.querySelector('.diagram-view'));
  const pre = /** @type {HTMLElement} */ (frame.querySelector('pre'));
  const toggle = /** @type {HTMLButtonElement} */ (frame.querySelector('.diagram-toggle'));
  frame.dataset.theme = theme;
  frame.removeAttribute('aria-busy');
  if ('error' in result) {
    frame.classList.add('diagram-failed');
    const note = doc.createElement('p');
    note.className = 'diagram-error';
    note.setAttribute('role', 'note');
    note.textContent = `This diagram could not be drawn: ${result.error.trim().slice(0, 600)}`;
    view.replaceChildren(note);
    pre.hidden = false;
    toggle.hidden = true;
    return;
  }
  frame.classList.remove('diagram-failed');
  const img = doc.createElement('img');
  img.className = 'diagram-img';
  img.alt = 'Diagram (the Source button shows its mermaid source)';
  img.width = result.width;
  img.height = result.height;
  img.src = result.url;
  view.replaceChildren(img);
  toggle.hidden = false;
}

/**
 * Turns a finished mermaid code block into a diagram with its source at hand.
 * @param {HTMLElement} pre the block's `<pre>`, holding its `<code>`
 * @param {(text: string) => Promise<void>} copy
 */
export function decorateDiagram(pre, copy) {
  const doc = pre.ownerDocument;
  const code = /** @type {HTMLElement} */ (pre.querySelector('code'));
  const source = code.textContent || '';
  const frame = doc.createElement('div');
  frame.className = 'codeblock diagram';
  const bar = doc.createElement('div');
  bar.className = 'codeblock-bar';
  const label = doc.createElement('span');
  label.textContent = 'mermaid';
  const toggle = doc.createElement('button');
  toggle.type = 'button';
  toggle.className = 'copy diagram-toggle';
  toggle.textContent = 'Source';
  toggle.setAttribute('aria-pressed', 'false');
  toggle.addEventListener('click', () => {
    pre.hidden = !pre.hidden;
    toggle.setAttribute('aria-pressed', String(!pre.hidden));
  });
  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'copy';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', 'Copy mermaid source');
  button.addEventListener('click', async () => {
    try {
      await copy(source);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  });
  const view = doc.createElement('div');
  view.className = 'diagram-view';
  bar.append(label, toggle, button);
  pre.replaceWith(frame);
  frame.append(bar, view, pre);

  if (source.length > MAX_DIAGRAM_CHARS) {
    const note = doc.createElement('p');
    note.className = 'diagram-note';
    note.textContent = `This diagram is not drawn: its source is over ${MAX_DIAGRAM_CHARS / 1000} KB.`;
    view.append(note);
    toggle.hidden = true;
    return;
  }
  pre.hidden = true;
  frame.setAttribute('aria-busy', 'true');
  const waiting = doc.createElement('p');
  waiting.className = 'diagram-note';
  waiting.textContent = 'Rendering diagram…';
  view.append(waiting);
  watchTheme(doc);
  whenNearView(frame, () => enqueue(frame));
}

/**
 * Runs `then` once `frame` is in the page and near the visible part of it: a long stored
 * conversation does not draw every diagram it holds on opening.
 * @param {HTMLElement} frame
 * @param {() => void} then
 */
function whenNearView(frame, then) {
  const win = /** @type {Window & typeof globalThis} */ (frame.ownerDocument.defaultView);
  if (!win.IntersectionObserver) {
    then();
    return;
  }
  const observer = new win.IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    observer.disconnect();
    then();
  }, { rootMargin: '600px 0px' });
  observer.observe(frame);
}

/** @type {WeakSet<Document>} */
const watched = new WeakSet();

/** Draws the diagrams on screen again when the theme they were drawn in is no longer the app's. @param {Document} doc */
function watchTheme(doc) {
  if (watched.has(doc)) return;
  watched.add(doc);
  const redraw = () => {
    const theme = currentTheme(doc);
    for (const frame of doc.querySelectorAll('.diagram[data-theme]:not(.diagram-failed)')) {
      if (/** @type {HTMLElement} */ (frame).dataset.theme !== theme) enqueue(/** @type {HTMLElement} */ (frame));
    }
  };
  new (/** @type {Window & typeof globalThis} */ (doc.defaultView)).MutationObserver(redraw)
    .observe(doc.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  doc.defaultView?.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', redraw);
}
