// The frontend's only door to Rust. Every type that crosses IPC is generated from the Rust
// type by ts-rs into ./bindings/ (`cargo run --example ipc-bindings`), so the two sides
// cannot drift: a field renamed in Rust fails `npm run typecheck` here. Event names come
// from the same place.

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import * as events from './bindings/events.js';

/**
 * @typedef {import('./bindings/ErrorKind').ErrorKind} ErrorKind
 *   Why a request failed. Branch on the kind, never on the message: the message is for
 *   people and may change.
 * @typedef {import('./bindings/ChatError').ChatError} ChatError
 * @typedef {import('./bindings/CommandErrorKind').CommandErrorKind} CommandErrorKind
 * @typedef {import('./bindings/CommandError').CommandError} CommandError
 *   What every command rejects with: `{ kind, message, … }`, `kind` from a closed set.
 * @typedef {import('./bindings/FinishReason').FinishReason} FinishReason
 * @typedef {import('./bindings/ChatEvent').ChatEvent} ChatEvent
 * @typedef {import('./bindings/SendAck').SendAck} SendAck
 * @typedef {import('./bindings/SendMode').SendMode} SendMode
 * @typedef {import('./bindings/Source').Source} Source
 * @typedef {import('./bindings/ConversationSummary').ConversationSummary} ConversationSummary
 * @typedef {import('./bindings/StoredMessage').StoredMessage} StoredMessage
 *   A reply that stopped early says why in `status` (`cancelled`, `interrupted` — also what a
 *   reply left `streaming` by a crash becomes — or `error` with `errorKind`), not in its text.
 * @typedef {import('./bindings/ConversationView').ConversationView} ConversationView
 * @typedef {import('./bindings/SearchHit').SearchHit} SearchHit
 * @typedef {import('./bindings/ImportReport').ImportReport} ImportReport
 * @typedef {import('./bindings/ImportProgress').ImportProgress} ImportProgress
 * @typedef {import('./bindings/HistoryChanged').HistoryChanged} HistoryChanged
 * @typedef {import('./bindings/Profile').Profile} Profile
 * @typedef {import('./bindings/Header').Header} Header
 * @typedef {import('./bindings/Preset').Preset} Preset
 * @typedef {import('./bindings/ApiKind').ApiKind} ApiKind
 * @typedef {import('./bindings/ModelChoice').ModelChoice} ModelChoice
 *   A profile (by id) and one of its models: what a conversation, or one reply, uses.
 * @typedef {import('./bindings/ProfileModels').ProfileModels} ProfileModels
 * @typedef {import('./bindings/LocalServer').LocalServer} LocalServer
 * @typedef {import('./bindings/Settings').Settings} Settings
 * @typedef {import('./bindings/SettingsView').SettingsView} SettingsView
 * @typedef {import('./bindings/KeyStatus').KeyStatus} KeyStatus
 * @typedef {import('./bindings/UpdateStatus').UpdateStatus} UpdateStatus
 * @typedef {import('./bindings/UiState').UiState} UiState
 */

/**
 * Starts a reply. Events arrive on `onEvent` in order, `started` first, one `finished`
 * or `failed` last. The question is stored before anything is sent. `model` picks the
 * profile and model for this reply and makes them the conversation's; without it the
 * conversation's own (or, for a new one, the default profile's) are used.
 * @param {{ conversationId?: string | null, text: string, mode?: SendMode, source?: Source, model?: ModelChoice | null, onEvent: (e: ChatEvent) => void }} args
 * @returns {Promise<SendAck>}
 */
export function sendMessage({ conversationId, text, mode = { kind: 'ask' }, source = 'app', model = null, onEvent }) {
  /** @type {Channel<ChatEvent>} */
  const channel = new Channel();
  channel.onmessage = onEvent;
  return invoke('send_message', { conversationId: conversationId ?? null, text, mode, source, model, onEvent: channel });
}

/** @param {number} [offset] @param {number} [limit] @returns {Promise<ConversationSummary[]>} */
export const listConversations = (offset = 0, limit = 200) => invoke('list_conversations', { offset, limit });

/** @param {string} id @returns {Promise<ConversationView>} */
export const getConversation = (id) => invoke('get_conversation', { id });

/** @param {string} messageId @returns {Promise<ConversationView>} */
export const showVersion = (messageId) => invoke('show_version', { messageId });

/** @param {string} id @param {string} title */
export const renameConversation = (id, title) => invoke('rename_conversation', { id, title });

/** @param {string} id @param {boolean} pinned */
export const setPinned = (id, pinned) => invoke('set_pinned', { id, pinned });

/** @param {string} id */
export const deleteConversation = (id) => invoke('delete_conversation', { id });

/** @param {string} query @returns {Promise<SearchHit[]>} */
export const searchHistory = (query) => invoke('search_history', { query });

/** @param {string | null} id one conversation, or null for everything @param {'markdown'|'json'} format @returns {Promise<string | null>} */
export const exportConversation = (id, format) => invoke('export_conversation', { id, format });

/**
 * Imports a file picked in the open dialog; `onProgress` hears after each conversation.
 * `null` when the dialog was cancelled.
 * @param {(p: ImportProgress) => void} onProgress
 * @returns {Promise<ImportReport | null>}
 */
export function importHistory(onProgress) {
  /** @type {Channel<ImportProgress>} */
  const channel = new Channel();
  channel.onmessage = (p) => onProgress(p);
  return invoke('import_history', { onProgress: channel });
}

/** Stops a running import; what was imported stays. @returns {Promise<boolean>} */
export const cancelImport = () => invoke('cancel_import');

/** @param {(e: { conversationIds: string[] }) => void} handler */
export const onHistoryChanged = (handler) => listen(events.HISTORY_CHANGED, (/** @type {import('@tauri-apps/api/event').Event<HistoryChanged>} */ e) => handler(e.payload));

/** @param {(conversationId: string) => void} handler */
export const onOpenConversation = (handler) => listen(events.OPEN_CONVERSATION, (e) => handler(String(e.payload)));

export const quitApp = () => invoke('quit_app');

/** @param {(message: string) => void} handler */
export const onSaveFailed = (handler) => listen(events.SAVE_FAILED, (e) => handler(String(e.payload)));

/** @param {string} streamId @returns {Promise<boolean>} */
export const cancelStream = (streamId) => invoke('cancel_stream', { streamId });

/** @returns {Promise<SettingsView>} */
export const getSettings = () => invoke('get_settings');

/** @param {Settings} settings @returns {Promise<SettingsView>} */
export const saveSettings = (settings) => invoke('save_settings', { settings });

/**
 * The models of a profile as a form holds it (saved or not), or the error a request to its
 * server meets.
 * @param {Profile} profile @returns {Promise<string[]>}
 */
export const checkConnection = (profile) => invoke('check_connection', { profile });

/**
 * Every profile's models, or the error that kept each list from coming; lists are reused
 * for ten minutes unless `refresh`.
 * @param {boolean} [refresh] @returns {Promise<ProfileModels[]>}
 */
export const listAllModels = (refresh = false) => invoke('list_all_models', { refresh });

/** Local servers answering on this machine that no profile points at yet. @returns {Promise<LocalServer[]>} */
export const probeLocalServers = () => invoke('probe_local_servers');

/**
 * Makes `model` on `profile` the conversation's choice for its next replies.
 * @param {string} conversationId @param {ModelChoice} choice @returns {Promise<void>}
 */
export const setConversationModel = (conversationId, { profile, model }) => invoke('set_conversation_model', { conversationId, profile, model });

/**
 * Stores a key for one profile and one server: `baseUrl`'s origin, else the profile's
 * server. The key is sent to that server alone.
 * @param {string} key @param {string} [profile] @param {string} [baseUrl] @returns {Promise<KeyStatus>}
 */
export const setApiKey = (key, profile, baseUrl) => invoke('set_api_key', { key, profile: profile ?? null, baseUrl: baseUrl || null });

/** @param {string} [profile] @returns {Promise<KeyStatus>} */
export const clearApiKey = (profile) => invoke('clear_api_key', { profile: profile ?? null });

/** @param {string} [profile] @returns {Promise<KeyStatus>} */
export const apiKeyStatus = (profile) => invoke('api_key_status', { profile: profile ?? null });

/** @param {string} url @returns {Promise<void>} */
export const openExternal = (url) => invoke('open_external', { url });

/** @param {(view: SettingsView) => void} handler */
export const onSettingsChanged = (handler) => listen(events.SETTINGS_CHANGED, (/** @type {import('@tauri-apps/api/event').Event<SettingsView>} */ e) => handler(e.payload));

/** @returns {Promise<UpdateStatus>} */
export const checkForUpdates = () => invoke('check_for_updates');

/** Downloads, verifies and installs the update the last check found, then restarts. */
export const installUpdate = () => invoke('install_update');

/** "Check for updates…" from the tray menu. @param {() => void} handler */
export const onUpdateCheckRequested = (handler) => listen(events.UPDATE_CHECK_REQUESTED, () => handler());

/** Hides the quick-ask window (a reply in progress keeps streaming). @returns {Promise<void>} */
export const hideQuickAsk = () => invoke('hide_quick_ask');

/** Continues a conversation in the main window. @param {string} conversationId @returns {Promise<void>} */
export const openInMain = (conversationId) => invoke('open_in_main', { conversationId });

/** The quick-ask window was shown. @param {() => void} handler */
export const onQuickAskShown = (handler) => listen(events.QUICK_ASK_SHOWN, () => handler());

/** What the main window keeps between runs. @returns {Promise<UiState>} */
export const getUiState = () => invoke('get_ui_state');

/** @param {UiState} state @returns {Promise<void>} */
export const saveUiState = (state) => invoke('save_ui_state', { state });

/** Quick ask's "Open settings": the main window, its settings open. @returns {Promise<void>} */
export const openSettingsInMain = () => invoke('open_settings_in_main');

/** Quick ask asked the main window to open its settings. @param {() => void} handler */
export const onOpenSettings = (handler) => listen(events.OPEN_SETTINGS, () => handler());
