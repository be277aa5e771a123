// The settings in effect and the dialog that changes them: the server profile and its key,
// replies, quick ask, appearance, updates. It owns the current SettingsView — applied at start,
// after a save, and when another window saved — which sets the theme and the model label in
// the top bar. The key is write-only here: the dialog shows where it is stored and its last
// four characters, never the key.

import * as ipc from '../ipc.js';
import { byId, el, query } from '../dom.js';
import { describeError, errorMessage, toFailure } from '../errors.js';

/** @typedef {import('../ipc.js').Settings} Settings */
/** @typedef {import('../ipc.js').SettingsView} SettingsView */
/** @typedef {import('../ipc.js').KeyStatus} KeyStatus */

const DEFAULT_SHORTCUT = 'CommandOrControl+Shift+Space';

/** @param {Settings['theme']} theme */
function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

/** @param {string} value @returns {value is Settings['theme']} */
const isTheme = (value) => value === 'system' || value === 'light' || value === 'dark';

/** @param {string} url */
function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

/** @param {string} url @returns {URL | null} */
function parseUrl(url) {
  try { return new URL(url); } catch { return null; }
}

/**
 * Plain http to another machine: a key sent there travels in cleartext.
 * @param {string} url
 */
export function isCleartextRemote(url) {
  const u = parseUrl(url);
  if (!u || u.protocol !== 'http:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return !loopback;
}

const KEY_NAMES = new Map([[' ', 'Space'], ['ArrowUp', 'Up'], ['ArrowDown', 'Down'], ['ArrowLeft', 'Left'], ['ArrowRight', 'Right']]);

/**
 * The quick-ask shortcut a key press makes, as the global-shortcut plugin reads it
 * ("CommandOrControl+Shift+Space"); null while only modifiers are down.
 * @param {Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>} keys
 */
export function shortcutFromKeys(keys) {
  if (['Control', 'Shift', 'Alt', 'Meta'].includes(keys.key)) return null;
  const parts = [];
  if (keys.ctrlKey || keys.metaKey) parts.push('CommandOrControl');
  if (keys.altKey) parts.push('Alt');
  if (keys.shiftKey) parts.push('Shift');
  parts.push(KEY_NAMES.get(keys.key) ?? (keys.key.length === 1 ? keys.key.toUpperCase() : keys.key));
  return parts.join('+');
}

/**
 * @param {{ checkForUpdates: (options: { asked: boolean }) => Promise<string> }} deps
 */
export function createSettings({ checkForUpdates }) {
  const dialog = byId('settings', HTMLDialogElement);
  const modelLabel = byId('model-label');
  const form = {
    name: byId('s-name', HTMLInputElement),
    baseUrl: byId('s-base-url', HTMLInputElement),
    model: byId('s-model', HTMLInputElement),
    models: byId('s-models', HTMLDataListElement),
    loadModels: byId('s-load-models', HTMLButtonElement),
    modelStatus: byId('s-model-status'),
    keyStatus: byId('s-key-status'),
    cleartext: byId('s-cleartext'),
    allowCleartext: byId('s-allow-cleartext', HTMLInputElement),
    key: byId('s-key', HTMLInputElement),
    saveKey: byId('s-save-key', HTMLButtonElement),
    clearKey: byId('s-clear-key', HTMLButtonElement),
    system: byId('s-system', HTMLTextAreaElement),
    temperature: byId('s-temperature', HTMLInputElement),
    theme: byId('s-theme', HTMLSelectElement),
    shortcut: byId('s-shortcut', HTMLInputElement),
    closeToTray: byId('s-close-to-tray', HTMLInputElement),
    startAtLogin: byId('s-start-at-login', HTMLInputElement),
    notify: byId('s-notify', HTMLInputElement),
    checkUpdates: byId('s-check-updates', HTMLInputElement),
    updateStatus: byId('s-update-status'),
    error: byId('s-error'),
    dataDir: byId('s-data-dir'),
    save: byId('s-save', HTMLButtonElement),
  };
  /** @type {SettingsView | null} */
  let view = null;
  /** @type {KeyStatus | null} */
  let key = null;

  /** @param {SettingsView} next */
  function apply(next) {
    view = next;
    applyTheme(next.settings.theme);
    modelLabel.textContent = `${next.settings.profile.model} · ${hostOf(next.effectiveBaseUrl)}`;
  }

  /** @param {Settings} settings */
  async function save(settings) {
    apply(await ipc.saveSettings(settings));
  }

  /** The server the form points at: its base URL, else the one in effect. */
  function formBaseUrl() {
    return form.baseUrl.value.trim() || view?.effectiveBaseUrl || '';
  }

  function showCleartextChoice() {
    form.cleartext.hidden = !isCleartextRemote(formBaseUrl());
  }

  /** @param {KeyStatus} status */
  function describeKey(status) {
    if (status.present && status.source === 'keyring') {
      const target = parseUrl(formBaseUrl())?.origin;
      const elsewhere = status.origin && target && target !== status.origin
        ? ` It is not sent to ${target}: save a key for that server to use it there.`
        : '';
      return `Stored in the system keyring (…${status.lastFour}), for ${status.origin}.${elsewhere}`;
    }
    if (status.present) return `From the environment, OPENAI_API_KEY (…${status.lastFour}). Saving a key here stores it in the system keyring instead.`;
    if (status.keyringError) return `The system keyring is not available: ${status.keyringError}`;
    return 'No key stored. Local servers usually need none.';
  }

  /** @param {KeyStatus} status */
  function showKey(status) {
    key = status;
    form.keyStatus.textContent = describeKey(status);
    form.clearKey.disabled = !(status.present && status.source === 'keyring');
  }

  async function open() {
    if (!view) return;
    const s = view.settings;
    form.name.value = s.profile.name;
    form.baseUrl.value = s.profile.baseUrl;
    form.allowCleartext.checked = s.profile.allowCleartextKey ?? false;
    form.baseUrl.placeholder = view.baseUrlFromEnv ? `${view.effectiveBaseUrl} (from OPENAI_BASE_URL)` : view.effectiveBaseUrl;
    form.model.value = s.profile.model;
    form.system.value = s.systemPrompt;
    form.temperature.value = s.temperature === null ? '' : String(s.temperature);
    form.theme.value = s.theme;
    form.shortcut.value = s.quickAskShortcut;
    form.closeToTray.checked = s.closeToTray;
    form.startAtLogin.checked = s.startAtLogin;
    form.notify.checked = s.notifyWhenDone;
    form.checkUpdates.checked = s.checkForUpdates;
    form.error.textContent = '';
    form.key.value = '';
    form.dataDir.textContent = `Data and settings live in ${view.dataDir}`;
    showCleartextChoice();
    dialog.showModal();
    try {
      showKey(await ipc.apiKeyStatus(view.settings.profile.id));
    } catch (e) {
      form.keyStatus.textContent = errorMessage(e);
    }
  }

  form.baseUrl.addEventListener('input', () => {
    showCleartextChoice();
    form.modelStatus.textContent = '';
    if (key) form.keyStatus.textContent = describeKey(key);
  });

  form.loadModels.addEventListener('click', async () => {
    form.modelStatus.textContent = 'Asking the server…';
    try {
      const models = await ipc.listModels(form.baseUrl.value.trim());
      form.models.replaceChildren(...models.map((m) => Object.assign(el('option'), { value: m })));
      form.modelStatus.textContent = models.length ? `${models.length} models available; type to filter, or enter any name.` : 'The server lists no models; enter a name.';
    } catch (e) {
      form.modelStatus.textContent = describeError(toFailure(e)).detail;
    }
  });

  form.saveKey.addEventListener('click', async () => {
    if (!form.key.value.trim()) { form.keyStatus.textContent = 'Paste a key first.'; return; }
    try {
      showKey(await ipc.setApiKey(form.key.value, view?.settings.profile.id, formBaseUrl()));
      form.key.value = '';
    } catch (e) {
      form.keyStatus.textContent = errorMessage(e);
    }
  });

  form.clearKey.addEventListener('click', async () => {
    try {
      showKey(await ipc.clearApiKey(view?.settings.profile.id));
    } catch (e) {
      form.keyStatus.textContent = errorMessage(e);
    }
  });

  byId('s-cancel').addEventListener('click', () => dialog.close());
  // Enter in a field saves, as the Save button does.
  query('.settings-form', HTMLFormElement, dialog).addEventListener('submit', (event) => {
    event.preventDefault();
    form.save.click();
  });

  form.save.addEventListener('click', async () => {
    if (!view) return;
    const t = form.temperature.value.trim();
    const theme = form.theme.value;
    /** @type {Settings} */
    const settings = {
      ...view.settings,
      profile: { ...view.settings.profile, name: form.name.value.trim() || 'Default', baseUrl: form.baseUrl.value.trim(), model: form.model.value.trim(), allowCleartextKey: form.allowCleartext.checked },
      systemPrompt: form.system.value,
      temperature: t === '' ? null : Number(t),
      theme: isTheme(theme) ? theme : view.settings.theme,
      quickAskShortcut: form.shortcut.value,
      closeToTray: form.closeToTray.checked,
      startAtLogin: form.startAtLogin.checked,
      notifyWhenDone: form.notify.checked,
      checkForUpdates: form.checkUpdates.checked,
      onboarded: true,
    };
    try {
      await save(settings);
      dialog.close();
    } catch (e) {
      form.error.textContent = errorMessage(e);
    }
  });

  byId('s-check-now').addEventListener('click', async () => {
    form.updateStatus.textContent = 'Checking…';
    form.updateStatus.textContent = await checkForUpdates({ asked: true });
  });

  // The shortcut field records the combination pressed while it has focus.
  form.shortcut.addEventListener('focus', () => { form.shortcut.placeholder = 'Press the keys…'; });
  form.shortcut.addEventListener('keydown', (event) => {
    if (event.key === 'Tab' || event.key === 'Escape') return;
    event.preventDefault();
    const shortcut = shortcutFromKeys(event);
    if (shortcut) form.shortcut.value = shortcut;
  });
  byId('s-shortcut-reset').addEventListener('click', () => { form.shortcut.value = DEFAULT_SHORTCUT; });

  // The theme is tried out as it is picked, and put back if the dialog closes unsaved.
  form.theme.addEventListener('change', () => { if (isTheme(form.theme.value)) applyTheme(form.theme.value); });
  dialog.addEventListener('close', () => { if (view) applyTheme(view.settings.theme); });

  return {
    apply,
    save,
    open,
    current: () => view,
    isOpen: () => dialog.open,
  };
}
