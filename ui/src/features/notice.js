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
   * @param {{ actions?: HTMLButtonElement[], dismiss?: string, onDismiss?: () => void }} [options]
   *   `onDismiss` hears the dismiss button
   */
  function show(text, { actions = [], dismiss = 'Dismiss', onDismiss } = {}) {
    bar.replaceChildren(el('span', '', text));
    bar.append(...actions, button('ghost', dismiss, () => { bar.hidden = true; onDismiss?.(); }));
    bar.hidden = false;
  }
  /** Puts the notice away. */
  function hide() {
    bar.hidden = true;
  }
  return { show, hide };
}

/** @typedef {ReturnType<typeof createNotice>} Notice */
