// The frontend's only door to Rust. The types mirror the Rust ones (src-tauri/src/chat/event.rs,
// llm/error.rs, app/commands/*): keep them in step.

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

/**
 * @typedef {'no_api_key'|'keyring_unavailable'|'auth'|'rate_limited'|'quota'|'bad_request'|'context_too_long'|'server'|'network'|'timeout'|'protocol'|'cancelled'
 *   |'interrupted'|'insecure_key'|'too_large'} ErrorKind
 *   `interrupted`: the connection ended before the reply was complete; the text so far is kept.
 *   `insecure_key`: the stored key was withheld from a plain-http server that is not loopback
 *   and not allowed to receive it; the fix is in Settings.
 *   `too_large`: the reply (or one event of it) passed the size limit; the text so far is kept.
 *   Branch on the kind, never on the message: the message is for people and may change.
 * @typedef {{ kind: ErrorKind | string, message: string, status?: number, retryAfterSecs?: number }} ChatError
 *   `send_message` rejects with the same `{ kind, message }` when nothing could be sent
 *   (`no_api_key`, `keyring_unavailable`, `insecure_key`, …); other commands add kinds of their own.
 * @typedef {'stop'|'length'|'content_filter'|'tool_calls'|'cancelled'} FinishReason
 * @typedef {{ type: 'started', streamId: string, conversationId?: string, messageId?: string, model: string }
 *   | { type: 'delta', text: string }
 *   | { type: 'reasoning', text: string }
 *   | { type: 'usage', promptTokens: number, completionTokens: number }
 *   | { type: 'finished', finishReason: FinishReason }
 *   | { type: 'failed', error: ChatError }} ChatEvent
 * @typedef {{ streamId: string, conversationId: string, messageId: string, userMessageId: string }} SendAck
 * @typedef {{ kind: 'ask' } | { kind: 'regenerate', messageId: string } | { kind: 'edit', messageId: string }} SendMode
 * @typedef {{ id: string, title: string, createdAt: number, updatedAt: number, pinned: boolean, model: string, source: 'app'|'cli'|'quick_ask'|'import' }} ConversationSummary
 * @typedef {{ id: string, parentId: string | null, role: 'system'|'user'|'assistant', content: string, reasoning: string,
 *   status: 'complete'|'streaming'|'cancelled'|'interrupted'|'error', finishReason: string | null, errorKind: ErrorKind | null,
 *   errorMessage: string | null, model: string, promptTokens: number | null, completionTokens: number | null,
 *   createdAt: number, versions: string[] }} StoredMessage
 *   A reply that stopped early says why in `status` (`cancelled`, `interrupted` — also what a
 *   reply left `streaming` by a crash becomes — or `error` with `errorKind`), not in its text.
 * @typedef {{ conversation: ConversationSummary, systemPrompt: string, messages: StoredMessage[] }} ConversationView
 * @typedef {{ conversationId: string, messageId: string | null, title: string, snippet: string, updatedAt: number }} SearchHit
 * @typedef {{ conversationsAdded: number, conversationsSkipped: number, messagesAdded: number,
 *   rejected: { id: string, title: string, reason: string }[], cancelled: boolean }} ImportReport
 * @typedef {{ done: number, total: number }} ImportProgress
 * @typedef {{ id: string, name: string, baseUrl: string, model: string, allowCleartextKey?: boolean }} Profile
 *   `allowCleartextKey`: send the stored key to this profile's server even over plain http to
 *   another machine. Saving settings spreads the stored profile, so the flag is kept.
 * @typedef {{ profile: Profile, systemPrompt: string, temperature: number | null, theme: 'system'|'light'|'dark', onboarded: boolean, quickAskShortcut: string, closeToTray: boolean, startAtLogin: boolean, notifyWhenDone: boolean, checkForUpdates: boolean }} Settings
 * @typedef {{ settings: Settings, effectiveBaseUrl: string, baseUrlFromEnv: boolean, notice?: string, dataDir: string }} SettingsView
 * @typedef {{ present: boolean, source?: 'keyring'|'environment', lastFour?: string, origin?: string, keyringError?: string }} KeyStatus
 *   `origin`: the one server (`scheme://host[:port]`) a stored key is sent to.
 * @typedef {{ status: 'notConfigured' } | { status: 'upToDate', current: string } | { status: 'available', version: string, notes: string }
 *   | { status: 'failed', message: string }} UpdateStatus
 */

/**
 * Starts a reply. Events arrive on `onEvent` in order, `started` first, one `finished`
 * or `failed` last. The question is stored before anything is sent.
 * @param {{ conversationId?: string | null, text: string, mode?: SendMode, source?: 'app'|'quick_ask', onEvent: (e: ChatEvent) => void }} args
 * @returns {Promise<SendAck>}
 */
export function sendMessage({ conversationId, text, mode = { kind: 'ask' }, source = 'app', onEvent }) {
  /** @type {Channel<ChatEvent>} */
  const channel = new Channel();
  channel.onmessage = onEvent;
  return invoke('send_message', { conversationId: conversationId ?? null, text, mode, source, onEvent: channel });
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
export const onHistoryChanged = (handler) => listen('history://changed', (/** @type {import('@tauri-apps/api/event').Event<{ conversationIds: string[] }>} */ e) => handler(e.payload));

/** @param {(conversationId: string) => void} handler */
export const onOpenConversation = (handler) => listen('main://open-conversation', (e) => handler(String(e.payload)));

export const quitApp = () => invoke('quit_app');

/** @param {(message: string) => void} handler */
export const onSaveFailed = (handler) => listen('history://save-failed', (e) => handler(String(e.payload)));

/** @param {string} streamId @returns {Promise<boolean>} */
export const cancelStream = (streamId) => invoke('cancel_stream', { streamId });

/** @returns {Promise<SettingsView>} */
export const getSettings = () => invoke('get_settings');

/** @param {Settings} settings @returns {Promise<SettingsView>} */
export const saveSettings = (settings) => invoke('save_settings', { settings });

/** @param {string} [baseUrl] @returns {Promise<string[]>} */
export const listModels = (baseUrl) => invoke('list_models', { baseUrl: baseUrl || null });

/**
 * Stores a key for one server: `baseUrl`'s origin, else the base URL in effect. The key is
 * sent to that server alone.
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
export const onSettingsChanged = (handler) => listen('settings://changed', (/** @type {import('@tauri-apps/api/event').Event<SettingsView>} */ e) => handler(e.payload));

/** @returns {Promise<UpdateStatus>} */
export const checkForUpdates = () => invoke('check_for_updates');

/** Downloads, verifies and installs the update the last check found, then restarts. */
export const installUpdate = () => invoke('install_update');

/** "Check for updates…" from the tray menu. @param {() => void} handler */
export const onUpdateCheckRequested = (handler) => listen('updates://check', () => handler());
