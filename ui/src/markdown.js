// Markdown for model output, which is untrusted: rendered with marked, then sanitized with
// DOMPurify. No script, no event handlers, no styles, no remote images (a markdown image
// could otherwise leak the conversation to a tracker), links only to http(s) and mailto.
// The CSP forbids inline script and remote images as well; this is the first line.

import { Marked } from 'marked';
import createDOMPurify from 'dompurify';

const FORBID_TAGS = [
  'style', 'script', 'form', 'input', 'button', 'textarea', 'select', 'option',
  'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base', 'svg', 'math',
];

const SAFE_LINK = /^(https?:|mailto:)/i;
const LOCAL_IMAGE = /^(data:image\/(png|gif|jpe?g|webp);|blob:)/i;
const CODE_LANGUAGE = /^language-[\w+#.-]{1,32}$/;

/**
 * @param {Window} win the window whose document renders (jsdom's in tests)
 * @returns {{ toFragment(src: string): DocumentFragment, toHtml(src: string): string }}
 */
export function createMarkdown(win) {
  const purify = createDOMPurify(win);
  const doc = win.document;
  const marked = new Marked({ gfm: true, breaks: false, async: false });

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
      a.removeAttribute('target');
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

  /** @param {string} src */
  function toFragment(src) {
    const html = /** @type {string} */ (marked.parse(src));
    const clean = purify.sanitize(html, {
      FORBID_TAGS,
      FORBID_ATTR: ['style', 'id', 'srcset', 'target'],
      ALLOW_DATA_ATTR: false,
      RETURN_DOM_FRAGMENT: true,
    });
    // DOMPurify builds the fragment in its own document; adopt it into ours.
    return tidy(/** @type {DocumentFragment} */ (doc.importNode(clean, true)));
  }

  /** @param {string} src */
  function toHtml(src) {
    const box = doc.createElement('div');
    box.append(toFragment(src));
    return box.innerHTML;
  }

  return { toFragment, toHtml };
}
