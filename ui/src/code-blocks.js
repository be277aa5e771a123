// Finished code blocks get syntax highlighting, a language label and a Copy button;
// ```mermaid blocks become diagrams (diagrams.js).

import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { decorateDiagram } from './diagrams.js';

const LANGUAGES = { bash, c, cpp, css, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);

/** Above this size a block is not highlighted: colour is not worth a frozen frame. */
const MAX_HIGHLIGHT_CHARS = 100_000;

/**
 * @param {HTMLElement} block a finished markdown block
 * @param {(text: string) => Promise<void>} copy writes to the clipboard
 */
export function decorateCodeBlocks(block, copy) {
  const doc = block.ownerDocument;
  for (const code of block.querySelectorAll('pre > code')) {
    const pre = /** @type {HTMLElement} */ (code.parentElement);
    const language = (code.getAttribute('class') || '').replace(/^language-/, '');
    if (language === 'mermaid') {
      decorateDiagram(pre, copy);
      continue;
    }
    if (language && hljs.getLanguage(language) && (code.textContent || '').length <= MAX_HIGHLIGHT_CHARS) {
      const result = hljs.highlight(code.textContent || '', { language, ignoreIllegals: true });
      code.innerHTML = result.value; // hljs escapes the code it wraps in spans
      code.classList.add('hljs');
    }
    const frame = doc.createElement('div');
    frame.className = 'codeblock';
    const bar = doc.createElement('div');
    bar.className = 'codeblock-bar';
    const label = doc.createElement('span');
    label.textContent = language || 'text';
    const button = doc.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', `Copy ${language || 'code'}`);
    button.addEventListener('click', async () => {
      try {
        await copy(code.textContent || '');
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Copy failed';
      }
      setTimeout(() => { button.textContent = 'Copy'; }, 1500);
    });
    bar.append(label, button);
    pre.replaceWith(frame);
    frame.append(bar, pre);
  }
}
