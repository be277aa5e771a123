// Search over every conversation (Ctrl+K or the Search button): titles and messages, the
// matches marked in each snippet. Enter opens the first hit, the arrow keys walk the list.
// A result that arrives after a newer query was typed is dropped.

import * as ipc from '../ipc.js';
import { button, byId, el } from '../dom.js';
import { errorMessage } from '../errors.js';
import { snippetParts } from '../groups.js';

/** @typedef {import('../ipc.js').SearchHit} SearchHit */

const PROMPT = 'Type to search titles and messages.';

/**
 * @param {{ pick: (conversationId: string, messageId: string | null) => void }} deps
 *   `pick`: a hit was chosen; the dialog is already closed
 */
export function createSearch({ pick }) {
  const dialog = byId('search', HTMLDialogElement);
  const input = byId('search-input', HTMLInputElement);
  const results = byId('search-results');
  const status = byId('search-status');
  let timer = 0;
  let seq = 0;

  function open() {
    input.value = '';
    results.replaceChildren();
    status.textContent = PROMPT;
    dialog.showModal();
    input.focus();
  }

  /** @param {SearchHit} hit */
  function hitButton(hit) {
    const b = button('search-hit', '', () => {
      dialog.close();
      pick(hit.conversationId, hit.messageId);
    });
    b.setAttribute('role', 'listitem');
    const snippet = el('span', 'snippet');
    for (const part of snippetParts(hit.snippet)) snippet.append(part.marked ? el('mark', '', part.text) : document.createTextNode(part.text));
    b.append(el('strong', '', hit.title), snippet);
    return b;
  }

  async function run() {
    const query = input.value;
    const mine = ++seq;
    if (!query.trim()) {
      results.replaceChildren();
      status.textContent = PROMPT;
      return;
    }
    /** @type {SearchHit[]} */
    let hits;
    try {
      hits = await ipc.searchHistory(query);
    } catch (e) {
      status.textContent = errorMessage(e);
      return;
    }
    if (mine !== seq) return; // a newer query is on its way
    results.replaceChildren(...hits.map(hitButton));
    status.textContent = hits.length ? `${hits.length} result${hits.length === 1 ? '' : 's'}` : 'Nothing found.';
  }

  const firstHit = () => {
    const hit = results.querySelector('.search-hit');
    return hit instanceof HTMLElement ? hit : null;
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      firstHit()?.click();
    }
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      firstHit()?.focus();
    }
  });
  results.addEventListener('keydown', (e) => {
    const current = document.activeElement;
    if (!current) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      const next = current.nextElementSibling;
      if (next instanceof HTMLElement) next.focus();
    }
    if (e.key === 'ArrowUp') {
      e.preventDefault();
      const prev = current.previousElementSibling;
      (prev instanceof HTMLElement ? prev : input).focus();
    }
  });
  byId('open-search').addEventListener('click', open);

  return { open, isOpen: () => dialog.open };
}
