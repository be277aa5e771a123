// TeX in model replies: `$…$` and `\(…\)` inline, `$$…$$` and `\[…\]` displayed, typeset by
// KaTeX as MathML, which WebKit draws natively. KaTeX's HTML output was rejected: it needs
// inline styles, which the CSP (`style-src 'self'`) blocks, and its own fonts.
//
// Typesetting happens after the reply's HTML is sanitized, in two steps. The marked extension
// only marks where the math is: a `<palaver-math>` (inline) or `<palaver-math-display>`
// (a block) whose text is the formula's source with its delimiters. The reply's sanitizer
// lets those two tags through bare, and `typesetMath` then replaces each with KaTeX's MathML,
// sanitized by a DOMPurify of its own that knows MathML and nothing else. So the reply's
// allowlists never admit `<math>`, and a model writing `<palaver-math>` itself gets what
// `$…$` gives it: a formula, sanitized the same way.
//
// A `$` opens math only when the next character is not a space, and closes it only when
// the character before is not a space and the one after is not a digit (pandoc's rule), so
// "$5 and $10" stays text. Code spans and code blocks are lexed by marked before any of
// this sees them. A formula KaTeX cannot read is shown as its source.

import katex from 'katex';
import createDOMPurify from 'dompurify';

export const INLINE_MATH_TAG = 'palaver-math';
export const DISPLAY_MATH_TAG = 'palaver-math-display';

/** Longer formulas are shown as source: a reply should not stall a frame on one formula. */
const MAX_TEX_CHARS = 20_000;

const INLINE_DOLLARS = /^\$(?![\s$])((?:\\[\s\S]|[^\\$])*?)(?<!\s)\$(?!\d)/;
const INLINE_DISPLAY_DOLLARS = /^\$\$(?!\$)((?:\\[\s\S]|[^\\$])+?)\$\$/;
const INLINE_PARENS = /^\\\(([\s\S]+?)\\\)/;
const INLINE_BRACKETS = /^\\\[([\s\S]+?)\\\]/;
const BLOCK_MATH = /^ {0,3}(\$\$(?:\\[\s\S]|[^\\$])+?\$\$|\\\[[\s\S]+?\\\])[ \t]*(?:\n+|$)/;
const BLOCK_START = /(?:^|\n) {0,3}(?:\$\$|\\\[)/;

/** @param {string} s */
function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The marked extension that marks math for `typesetMath`.
 * @returns {import('marked').MarkedExtension}
 */
export function mathExtension() {
  return {
    extensions: [
      {
        name: 'blockMath',
        level: 'block',
        start(src) {
          const m = BLOCK_START.exec(src);
          return m ? m.index + (m[0].startsWith('\n') ? 1 : 0) : undefined;
        },
        tokenizer(src) {
          const m = BLOCK_MATH.exec(src);
          if (!m) return undefined;
          return { type: 'blockMath', raw: m[0], text: m[1] };
        },
        renderer(token) {
          return `<${DISPLAY_MATH_TAG}>${escapeHtml(token.text)}</${DISPLAY_MATH_TAG}>\n`;
        },
      },
      {
        name: 'inlineMath',
        level: 'inline',
        start(src) {
          const i = src.search(/\$|\\[([]/);
          return i === -1 ? undefined : i;
        },
        tokenizer(src) {
          const m = INLINE_DISPLAY_DOLLARS.exec(src) ?? INLINE_DOLLARS.exec(src)
            ?? INLINE_PARENS.exec(src) ?? INLINE_BRACKETS.exec(src);
          if (!m) return undefined;
          return { type: 'inlineMath', raw: m[0], text: m[0] };
        },
        renderer(token) {
          return `<${INLINE_MATH_TAG}>${escapeHtml(token.text)}</${INLINE_MATH_TAG}>`;
        },
      },
    ],
  };
}

/**
 * A formula's TeX and whether it is displayed, from its source with delimiters.
 * @param {string} source
 * @param {boolean} block
 */
export function splitDelimiters(source, block) {
  const s = source.trim();
  if (s.startsWith('$$')) return { tex: s.slice(2, -2), display: true };
  if (s.startsWith('\\[')) return { tex: s.slice(2, -2), display: true };
  if (s.startsWith('\\(')) return { tex: s.slice(2, -2), display: block };
  if (s.startsWith('$')) return { tex: s.slice(1, -1), display: block };
  return { tex: s, display: block };
}

const KATEX_OPTIONS = {
  output: /** @type {const} */ ('mathml'),
  throwOnError: true,
  // No \href, \url, \includegraphics, \htmlClass, \htmlStyle, \htmlData, \htmlId: KaTeX
  // shows them as text.
  trust: false,
  strict: /** @type {const} */ ('ignore'),
  // Bounds on what a formula may cost: macro expansions, and any size it asks for (in em).
  maxExpand: 1000,
  maxSize: 20,
};

const MATHML_PURIFY = {
  USE_PROFILES: { mathMl: true },
  // KaTeX wraps its MathML in <semantics> with the TeX as an <annotation>, which is never drawn.
  ADD_TAGS: ['semantics', 'annotation'],
  FORBID_TAGS: ['maction', 'annotation-xml', 'mglyph'],
  FORBID_ATTR: ['href', 'xlink:href', 'src', 'style', 'class', 'id', 'name', 'xmlns:xlink'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  RETURN_DOM_FRAGMENT: /** @type {const} */ (true),
};

/** How many typeset formulas are kept: the block being written is re-rendered every frame. */
const CACHE_SIZE = 256;

/**
 * @param {Window & import('dompurify').WindowLike} win
 * @returns {(frag: DocumentFragment) => void} replaces the marks in `frag` with typeset math
 */
export function createTypesetter(win) {
  const purify = createDOMPurify(win);
  const doc = win.document;
  /** @type {Map<string, DocumentFragment | string>} a sanitized `<math>`, or KaTeX's complaint */
  const cache = new Map();

  /** @param {string} tex @param {boolean} display */
  function typeset(tex, display) {
    const key = `${display ? 'D' : 'I'}${tex}`;
    let hit = cache.get(key);
    if (hit === undefined) {
      try {
        if (tex.length > MAX_TEX_CHARS) throw new Error('This formula is too long to typeset.');
        const html = katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: display });
        const clean = purify.sanitize(html, MATHML_PURIFY);
        const math = clean.querySelector('math');
        if (!math) throw new Error('KaTeX produced no MathML.');
        hit = doc.createDocumentFragment();
        hit.append(doc.importNode(math, true));
      } catch (e) {
        hit = e instanceof Error ? e.message : String(e);
      }
      if (cache.size >= CACHE_SIZE) cache.delete(/** @type {string} */ (cache.keys().next().value));
      cache.set(key, hit);
    }
    return hit;
  }

  return (frag) => {
    for (const mark of frag.querySelectorAll(`${INLINE_MATH_TAG}, ${DISPLAY_MATH_TAG}`)) {
      const block = mark.localName === DISPLAY_MATH_TAG;
      const source = mark.textContent || '';
      const { tex, display } = splitDelimiters(source, block);
      const result = typeset(tex, display);
      let el;
      if (typeof result === 'string') {
        const code = doc.createElement('code');
        code.className = 'math-error';
        code.title = result;
        code.textContent = source.trim();
        el = code;
        if (block) {
          el = doc.createElement('div');
          el.className = 'math-display';
          el.append(code);
        }
      } else {
        el = doc.createElement(block ? 'div' : 'span');
        el.className = display ? 'math math-display' : 'math';
        el.append(result.cloneNode(true));
      }
      mark.replaceWith(el);
    }
  };
}
