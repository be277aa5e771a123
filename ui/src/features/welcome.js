// The first run: a person with no key and no settings yet sees the welcome screen instead of
// the chat, with two ways in — paste an OpenAI key (stored in the system keyring), or point
// Palaver at a local server (it must answer with its model list; it becomes a profile of its
// own, and the default). Either way the settings are marked onboarded and the chat appears.

import * as ipc from '../ipc.js';
import { byId } from '../dom.js';
import { describeError, errorMessage, toFailure } from '../errors.js';
import { profileFromPreset, uniqueName } from './providers.js';

/** @typedef {import('../ipc.js').Settings} Settings */
/** @typedef {import('../ipc.js').SettingsView} SettingsView */
/** @typedef {import('../ipc.js').Profile} Profile */
/** @typedef {{ profile?: Profile }} WelcomeChoice a profile the welcome screen adds, as the default */

/**
 * @param {{
 *   current: () => SettingsView | null,
 *   save: (settings: Settings) => Promise<void>,
 *   focusComposer: () => void,
 * }} deps the settings in effect, and how to save them
 */
export function createWelcome({ current, save, focusComposer }) {
  const screen = byId('welcome');
  const app = byId('app');
  const keyInput = byId('w-key', HTMLInputElement);
  const keyStatus = byId('w-key-status');
  const baseUrl = byId('w-base-url', HTMLInputElement);
  const localStatus = byId('w-local-status');

  function showChat() {
    screen.hidden = true;
    app.hidden = false;
    focusComposer();
  }

  /** @param {WelcomeChoice} choice */
  async function finish(choice) {
    const view = current();
    if (!view) return;
    const s = view.settings;
    const added = choice.profile;
    if (added) {
      await save({ ...s, profiles: [...s.profiles, added], onboarded: true });
      const saved = current()?.settings;
      const id = saved?.profiles.find((p) => p.name === added.name)?.id;
      if (saved && id) await save({ ...saved, defaultProfile: id });
    } else {
      await save({ ...s, onboarded: true });
    }
    showChat();
  }

  byId('w-key-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await ipc.setApiKey(keyInput.value, current()?.settings.defaultProfile);
      keyInput.value = '';
      await finish({});
    } catch (e) {
      keyStatus.textContent = errorMessage(e);
    }
  });

  byId('w-local-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const url = baseUrl.value.trim();
    localStatus.textContent = 'Connecting…';
    const view = current();
    if (!view) return;
    const custom = view.presets.find((p) => p.id === 'custom')
      ?? { id: 'custom', name: 'Local server', kind: /** @type {const} */ ('openai'), baseUrl: '', model: '', needsKey: false, localPort: null, keyUrl: '' };
    const profile = { ...profileFromPreset(custom, uniqueName(view.settings.profiles, 'Local server')), baseUrl: url };
    try {
      const models = await ipc.checkConnection(profile);
      await finish({ profile: { ...profile, model: models[0] ?? profile.model } });
    } catch (e) {
      localStatus.textContent = `${describeError(toFailure(e)).detail} Check that the server is running, then try again.`;
    }
  });

  /**
   * Shows the welcome screen on a first run (not onboarded, and no key from anywhere),
   * else the chat.
   * @param {SettingsView} view
   * @returns {Promise<boolean>} whether the welcome screen is shown
   */
  async function showOnFirstRun(view) {
    const key = await ipc.apiKeyStatus(view.settings.defaultProfile).catch(() => null);
    if (view.baseUrlFromEnv) baseUrl.value = view.effectiveBaseUrl;
    if (!view.settings.onboarded && !key?.present) {
      app.hidden = true;
      screen.hidden = false;
      keyInput.focus();
      return true;
    }
    showChat();
    return false;
  }

  return { showOnFirstRun };
}
