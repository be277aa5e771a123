// What the main window remembers between runs — the conversation it showed — kept by Rust in
// ui-state.json (tauri-plugin-store), apart from the settings the terminal shares. Losing it
// only means starting on a new chat, so failures are quiet.

import * as ipc from '../ipc.js';

export function createWindowState() {
  /** @type {string | null} */
  let saved = null;
  return {
    /** The conversation open when the window last closed, if any. */
    async lastConversation() {
      try {
        saved = (await ipc.getUiState()).lastConversation;
      } catch {
        saved = null;
      }
      return saved;
    },
    /** @param {string | null} conversationId the conversation now shown, null for a new chat */
    remember(conversationId) {
      if (conversationId === saved) return;
      saved = conversationId;
      ipc.saveUiState({ lastConversation: conversationId }).catch(() => {});
    },
  };
}
