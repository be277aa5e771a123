// The settings in effect and the dialog that changes them: the providers (providers.js),
// replies, quick ask, appearance, updates. It owns the current SettingsView — applied at start,
// after a save, and when another window saved — which sets the theme and tells whoever
// listens (the model picker's label) that the settings changed.

import * as ipc from '../ipc.js';
import { byId, query } from '../dom.js';
import { errorMessage } from '../errors.js';
import { createProviders } from './providers.js';

/** @typedef {import('../ipc.js').Settings} Settings */
/** @typedef {import('../ipc.js').SettingsView} SettingsView */

const DEFAULT_SHORTCUT = 'CommandOrControl+Shift+Space';

/** @param {Settings['theme']} theme */
function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

/** @param {string} value @returns {value is Settings['theme']} */
const isTheme = (value) => value === 'system' || value === 'light' || value === 'dark';

export { isCleartextRemote } from './providers.js';

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
 * @param {{
 *   checkForUpdates: (options: { asked: boolean }) => Promise<string>,
 *   onApply?: (view: SettingsView) => void,
 * }} deps `onApply` hears every settings view applied
 */
export function createSettings({ checkForUpdates, onApply }) {
  const dialog = byId('settings', HTMLDialogElement);
  const form = {
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

  /** @param {SettingsView} next */
  function apply(next) {
    view = next;
    applyTheme(next.settings.theme);
    onApply?.(next);
  }

  /** @param {Settings} settings */
  async function save(settings) {
    apply(await ipc.saveSettings(settings));
  }

  const providers = createProviders({ current: () => view, save });

  async function open() {
    if (!view) return;
    const s = view.settings;
    form.system.value = s.systemPrompt;
    form.temperature.value = s.temperature === null ? '' : String(s.temperature);
    form.theme.value = s.theme;
    form.shortcut.value = s.quickAskShortcut;
    form.closeToTray.checked = s.closeToTray;
    form.startAtLogin.checked = s.startAtLogin;
    form.notify.checked = s.notifyWhenDone;
    form.checkUpdates.checked = s.checkForUpdates;
    form.error.textContent = '';
    form.dataDir.textContent = `Data and settings live in ${view.dataDir}`;
    providers.render();
    dialog.showModal();
    providers.probe();
  }

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
      ...providers.withDefaultChoice(view.settings),
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
    /** Local servers that answer and are not a profile yet. */
    probeLocalServers: providers.probe,
    addLocalServer: providers.addLocalServer,
  };
}
