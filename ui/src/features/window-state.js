// What the main window remembers between runs — the conversation it showed, the local-server
// offers turned down — kept by Rust in ui-state.json (tauri-plugin-store), apart from the
// settings the terminal shares. Losing it only means starting on a new chat and being
// offered a local server again, so failures are quiet.

import * as ipc from '../ipc.js';

/** @typedef {import('../ipc.js').UiState} UiState */

export function createWindowState() {
  /** @type {UiState} */
  let state = { lastConversation: null, dismissedLocalServers: [] };
  /** @type {Promise<UiState> | null} */
  let loading = null;
  const load = () => {
    loading ??= ipc.getUiState().then((read) => { state = read; return state; }, () => state);
    return loading;
  };
  const save = () => { ipc.saveUiState(state).catch(() => {}); };
  return {
    /** The conversation open when the window last closed, if any. */
    async lastConversation() {
      return (await load()).lastConversation;
    },
    /** @param {string | null} conversationId the conversation now shown, null for a new chat */
    remember(conversationId) {
      if (conversationId === state.lastConversation) return;
      state = { ...state, lastConversation: conversationId };
      save();
    },
    /** The base URLs of local servers whose offer was turned down. */
    async dismissedLocalServers() {
      return (await load()).dismissedLocalServers;
    },
    /** @param {string[]} urls */
    dismissLocalServers(urls) {
      state = { ...state, dismissedLocalServers: [...new Set([...state.dismissedLocalServers, ...urls])] };
      save();
    },
  };
}
