// The frontend's only door to Rust. The types mirror the Rust ones (src-tauri/src/chat/event.rs,
// llm/error.rs, app/commands/*): keep them in step.

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

/**
 * @typedef {'no_api_key'|'keyring_unavailable'|'auth'|'rate_limited'|'quota'|'bad_request'|'context_too_long'|'server'|'network'|'timeout'|'protocol'|'cancelled'} ErrorKind
 * @typedef {{ kind: ErrorKind | string, message: string, status?: number, retryAfterSecs?: number }} ChatError
 * @typedef {'stop'|'length'|'content_filter'|'tool_calls'|'cancelled'} FinishReason
 * @typedef {{ type: 'started', streamId: string, conversationId?: string, messageId?: string, model: string }
 *   | { type: 'delta', text: string }
 *   | { type: 'reasoning', text: string }
 *   | { type: 'usage', promptTokens: number, completionTokens: number }
 *   | { type: 'finished', finishReason: FinishReason }
 *   | { type: 'failed', error: ChatError }} ChatEvent
 * @typedef {{ streamId: string, conversationId: string, messageId: string }} SendAck
 * @typedef {{ id: string, name: string, baseUrl: string, model: string }} Profile
 * @typedef {{ profile: Profile, systemPrompt: string, temperature: number | null, theme: 'system'|'light'|'dark', onboarded: boolean }} Settings
 * @typedef {{ settings: Settings, effectiveBaseUrl: string, baseUrlFromEnv: boolean, notice?: string, dataDir: string }} SettingsView
 * @typedef {{ present: boolean, source?: 'keyring'|'environment', lastFour?: string, keyringError?: string }} KeyStatus
 */

/**
 * Starts a reply. Events arrive on `onEvent` in order, `started` first, one `finished`
 * or `failed` last.
 * @param {{ conversationId?: string, text: string, retry?: boolean, onEvent: (e: ChatEvent) => void }} args
 * @returns {Promise<SendAck>}
 */
export function sendMessage({ conversationId, text, retry = false, onEvent }) {
  const channel = new Channel();
  channel.onmessage = onEvent;
  return invoke('send_message', { conversationId: conversationId ?? null, text, retry, onEvent: channel });
}

/** @param {string} streamId @returns {Promise<boolean>} */
export const cancelStream = (streamId) => invoke('cancel_stream', { streamId });

/** @returns {Promise<SettingsView>} */
export const getSettings = () => invoke('get_settings');

/** @param {Settings} settings @returns {Promise<SettingsView>} */
export const saveSettings = (settings) => invoke('save_settings', { settings });

/** @param {string} [baseUrl] @returns {Promise<string[]>} */
export const listModels = (baseUrl) => invoke('list_models', { baseUrl: baseUrl || null });

/** @param {string} key @param {string} [profile] @returns {Promise<KeyStatus>} */
export const setApiKey = (key, profile) => invoke('set_api_key', { key, profile: profile ?? null });

/** @param {string} [profile] @returns {Promise<KeyStatus>} */
export const clearApiKey = (profile) => invoke('clear_api_key', { profile: profile ?? null });

/** @param {string} [profile] @returns {Promise<KeyStatus>} */
export const apiKeyStatus = (profile) => invoke('api_key_status', { profile: profile ?? null });

/** @param {string} url @returns {Promise<void>} */
export const openExternal = (url) => invoke('open_external', { url });

/** @param {(view: SettingsView) => void} handler */
export const onSettingsChanged = (handler) => listen('settings://changed', (e) => handler(/** @type {SettingsView} */ (e.payload)));
