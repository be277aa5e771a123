// Markdown for model output, which is untrusted: rendered with marked, then sanitized with
// DOMPurify. No script, no event handlers, no styles, no remote images (a markdown image
// could otherwise leak the conversation to a tracker), links only to http(s) and mailto.
// The CSP forbids inline script and remote images as well; this is the first line.
//
// The sanitizer keeps only what is listed here: the tags markdown produces and the inline
// HTML models often write, each with the attributes it needs. Nothing kept may navigate,
// load or submit by itself: the one way out of the window is a click on an `<a>`, which
// both windows hand to the system browser (openLinksInBrowser in dom.js). The deny lists
// name what would break that, so that widening the allowlist later cannot let it back in
// (DOMPurify's FORBID_* wins over its ALLOWED_*).

import { Marked } from 'marked';
import createDOMPurify from 'dompurify';
import { DISPLAY_MATH_TAG, INLINE_MATH_TAG, createTypesetter, mathExtension } from './math.js';

/**
 * The attributes each tag may keep; an allowed tag not listed here keeps none.
 * @type {Record<string, string[]>}
 */
const ATTRIBUTES_BY_TAG = {
  a: ['href', 'title'],
  img: ['src', 'alt', 'title'],
  code: ['class'],
  ol: ['start'],
  th: ['align', 'colspan', 'rowspan'],
  td: ['align', 'colspan', 'rowspan'],
  abbr: ['title'],
  details: ['open'],
};

const ALLOWED_TAGS = [
  ...Object.keys(ATTRIBUTES_BY_TAG),
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre',
  'ul', 'li', 'dl', 'dt', 'dd', 'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr',
  'em', 'strong', 'del', 's', 'ins', 'b', 'i', 'u', 'mark', 'small', 'sub', 'sup', 'kbd',
  'q', 'cite', 'span', 'div', 'summary',
  // Where math goes: bare marks, replaced after sanitizing by MathML sanitized on its own
  // (math.js); no attribute is kept on them, and `math` itself stays forbidden here.
  INLINE_MATH_TAG, DISPLAY_MATH_TAG,
];

const ALLOWED_ATTR = [...new Set(Object.values(ATTRIBUTES_BY_TAG).flat())];

/** Tags that navigate, load, submit, run code, or bring SVG/MathML links (`<a>`, `<use>`). */
const FORBID_TAGS = [
  'script', 'style', 'noscript', 'template',
  'area', 'map', 'base', 'meta', 'link', 'portal',
  'form', 'input', 'button', 'textarea', 'select', 'option', 'fieldset', 'dialog',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'param',
  'audio', 'video', 'source', 'track', 'picture', 'image',
  'svg', 'math', 'use',
];

/** Attributes that fetch or send something when rendered or clicked, or clobber the page. */
const FORBID_ATTR = [
  'action', 'formaction', 'ping', 'srcset', 'poster', 'background', 'lowsrc', 'dynsrc',
  'usemap', 'xlink:href', 'data', 'codebase', 'manifest', 'http-equiv', 'download',
  'style', 'id', 'name', 'form', 'target', 'is',
];

/** The URLs DOMPurify keeps (plus data: on <img>, which tidy() narrows to a few types). */
const SAFE_LINK = /^(https?:|mailto:)/i;
const LOCAL_IMAGE = /^data:image\/(png|gif|jpe?g|webp);/i;
const CODE_LANGUAGE = /^language-[\w+#.-]{1,32}$/;

/**
 * @param {Window & import('dompurify').WindowLike} win the window whose document renders (jsdom's in tests)
 * @returns {{ toFragment(src: string): DocumentFragment, inlineFragment(src: string): DocumentFragment, toHtml(src: string): string }}
 */
export function createMarkdown(win) {
  const purify = createDOMPurify(win);
  purify.addHook('uponSanitizeAttribute', (node, data) => {
    const allowed = ATTRIBUTES_BY_TAG[node.nodeName.toLowerCase()];
    if (!allowed || !allowed.includes(data.attrName)) data.keepAttr = false;
  });
  const doc = win.document;
  const marked = new Marked({
    gfm: true,
    breaks: false,
    async: false,
    // A task list keeps its ticks as text: form controls are not allowed through.
    renderer: { checkbox: ({ checked }) => (checked ? '☑ ' : '☐ ') },
  });
  marked.use(mathExtension());
  const typesetMath = createTypesetter(win);

  /** @param {DocumentFragment} frag */
  function tidy(frag) {
    for (const el of frag.querySelectorAll('[class]')) {
      const keep = el.tagName === 'CODE' && CODE_LANGUAGE.test(el.getAttribute('class') || '');
      if (!keep) el.removeAttribute('class');
    }
    for (const a of frag.querySelectorAll('a')) {
      const href = a.getAttribute('href') || '';
      if (SAFE_LINK.test(href)) {
        a.setAttribute('rel', 'noopener noreferrer');
        a.setAttribute('title', href);
      } else {
        a.removeAttribute('href');
      }
    }
    for (const img of frag.querySelectorAll('img')) {
      if (!LOCAL_IMAGE.test(img.getAttribute('src') || '')) {
        const note = doc.createElement('span');
        note.className = 'blocked-image';
        const alt = img.getAttribute('alt');
        note.textContent = alt ? `[image: ${alt}]` : '[image]';
        note.title = 'Remote images are not loaded';
        img.replaceWith(note);
      }
    }
    return frag;
  }

  /**
   * Sanitized, adopted into our document and tidied; `src` is what it shows if DOMPurify
   * returns nothing.
   * @param {string} html
   * @param {string} src
   */
  function clean(html, src) {
    const purified = purify.sanitize(html, {
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      FORBID_TAGS,
      FORBID_ATTR,
      ALLOWED_URI_REGEXP: SAFE_LINK,
      // DOMPurify checks every attribute it does not know as a URL; these are not URLs.
      ADD_URI_SAFE_ATTR: ['align', 'colspan', 'rowspan', 'start', 'open'],
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
      RETURN_DOM_FRAGMENT: true,
    });
    if (!purified) {
      // HTML that starts with <frameset> parses into a document without a body, and
      // DOMPurify returns nothing; the block is shown as the text it is.
      const text = doc.createDocumentFragment();
      text.append(src);
      return text;
    }
    // DOMPurify builds the fragment in its own document; adopt it into ours.
    const frag = tidy(/** @type {DocumentFragment} */ (doc.importNode(purified, true)));
    typesetMath(frag);
    return frag;
  }

  /** A markdown document (or any run of whole blocks of one). @param {string} src */
  function toFragment(src) {
    return clean(/** @type {string} */ (marked.parse(src)), src);
  }

  /**
   * A piece of a paragraph: its inline markdown (emphasis, code spans, links), no block.
   * @param {string} src
   */
  function inlineFragment(src) {
    return clean(/** @type {string} */ (marked.parseInline(src)), src);
  }

  /** @param {string} src */
  function toHtml(src) {
    const box = doc.createElement('div');
    box.append(toFragment(src));
    return box.innerHTML;
  }

  return { toFragment, inlineFragment, toHtml };
}
