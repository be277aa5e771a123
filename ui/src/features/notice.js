// The notice bar under the top bar: one message at a time, optional action buttons, and a
// button that puts it away. For what concerns the whole window (a save that failed, an update,
// an export's file); a reply's own trouble is told in the reply.

import { button, el } from '../dom.js';

/**
 * @param {HTMLElement} bar the `role="status"` element the notices go in
 */
export function createNotice(bar) {
  /**
   * @param {string} text
   * @param {{ actions?: HTMLButtonElement[], dismiss?: string }} [options]
   */
  function show(text, { actions = [], dismiss = 'Dismiss' } = {}) {
    bar.replaceChildren(el('span', '', text));
    bar.append(...actions, button('ghost', dismiss, () => { bar.hidden = true; }));
    bar.hidden = false;
  }
  return { show };
}

/** @typedef {ReturnType<typeof createNotice>} Notice */
