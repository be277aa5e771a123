// Settings → Providers: every profile with its server, default model and key status, and
// what can be done to one — check its connection, edit it, remove it (and its key), make it
// the default; the form that adds or edits one; the local servers found on this machine,
// offered as one-click profiles; and the "Quick ask and new chats use" chooser.
//
// Adding, editing and removing a provider saves the settings at once (a key needs a saved
// profile to belong to); the default chooser is saved with the rest of the dialog. Keys are
// write-only here as everywhere: a status says where a key is stored and its last four
// characters, never the key.

import * as ipc from '../ipc.js';
import { button, byId, el } from '../dom.js';
import { describeError, errorMessage, toFailure } from '../errors.js';

/** @typedef {import('../ipc.js').Settings} Settings */
/** @typedef {import('../ipc.js').SettingsView} SettingsView */
/** @typedef {import('../ipc.js').Profile} Profile */
/** @typedef {import('../ipc.js').Preset} Preset */
/** @typedef {import('../ipc.js').Header} Header */
/** @typedef {import('../ipc.js').ApiKind} ApiKind */
/** @typedef {import('../ipc.js').KeyStatus} KeyStatus */
/** @typedef {import('../ipc.js').LocalServer} LocalServer */

/** The servers a kind uses when a profile names none. */
const USUAL_SERVER = new Map([
  ['openai', 'https://api.openai.com/v1'],
  ['responses', 'https://api.openai.com/v1'],
  ['anthropic', 'https://api.anthropic.com/v1'],
]);

/** @type {Map<ApiKind, string>} */
export const KIND_NAMES = new Map([
  ['openai', 'OpenAI Chat Completions'],
  ['responses', 'OpenAI Responses'],
  ['anthropic', 'Anthropic Messages'],
  ['azure', 'Azure OpenAI'],
]);

/** @param {string} value @returns {value is ApiKind} */
const isKind = (value) => KIND_NAMES.has(/** @type {ApiKind} */ (value));

/** @param {string} url @returns {URL | null} */
export function parseUrl(url) {
  try { return new URL(url); } catch { return null; }
}

/** @param {string} url */
export function hostOf(url) {
  return parseUrl(url)?.host ?? url;
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

/**
 * The name a profile is shown by; an id no profile has is shown as it is.
 * @param {Settings | undefined} settings @param {string} id
 */
export function profileName(settings, id) {
  return settings?.profiles.find((p) => p.id === id)?.name ?? id;
}

/**
 * `base`, or `base 2`, `base 3`… whichever no profile is called yet (names are unique
 * whatever their case).
 * @param {Profile[]} profiles @param {string} base
 */
export function uniqueName(profiles, base) {
  const taken = new Set(profiles.map((p) => p.name.trim().toLowerCase()));
  if (!taken.has(base.toLowerCase())) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base} ${i}`.toLowerCase())) return `${base} ${i}`;
}

/**
 * A new profile made from a preset; the backend gives it its id when it is saved.
 * @param {Preset} preset @param {string} name
 * @returns {Profile}
 */
export function profileFromPreset(preset, name) {
  return {
    id: '',
    name,
    kind: preset.kind,
    preset: preset.id,
    baseUrl: preset.baseUrl,
    model: preset.model,
    headers: [],
    apiVersion: preset.kind === 'azure' ? '2024-10-21' : '',
    maxTokens: null,
    allowCleartextKey: false,
  };
}

/**
 * The profile a local server found by the probe becomes: its preset, its address, its
 * first model.
 * @param {Preset[]} presets @param {Profile[]} profiles @param {LocalServer} server
 * @returns {Profile}
 */
export function profileForLocalServer(presets, profiles, server) {
  const preset = presets.find((p) => p.id === server.preset);
  const base = preset
    ? profileFromPreset(preset, uniqueName(profiles, preset.name))
    : profileFromPreset({ id: 'custom', name: server.name, kind: 'openai', baseUrl: '', model: '', needsKey: false, localPort: null, keyUrl: '' }, uniqueName(profiles, server.name));
  return { ...base, baseUrl: server.baseUrl, model: server.models[0] ?? base.model };
}

/** @param {Header[]} headers one per line, as "Name: value" */
export const headersToText = (headers) => headers.map((h) => `${h.name}: ${h.value}`).join('\n');

/**
 * @param {string} text "Name: value" lines; blank lines are ignored
 * @returns {Header[]}
 */
export function headersFromText(text) {
  return text.split('\n').filter((line) => line.trim()).map((line) => {
    const at = line.indexOf(':');
    return at < 0 ? { name: line.trim(), value: '' } : { name: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
  });
}

/**
 * Where a profile's requests go: its own URL, else (for the default profile) the one in
 * effect, else its preset's or its kind's usual server.
 * @param {SettingsView} view @param {Profile} profile
 */
export function serverOf(view, profile) {
  if (profile.baseUrl) return profile.baseUrl;
  if (profile.id === view.settings.defaultProfile) return view.effectiveBaseUrl;
  return view.presets.find((p) => p.id === profile.preset)?.baseUrl || USUAL_SERVER.get(profile.kind) || '';
}

/**
 * One line on a profile's key, for the providers list.
 * @param {KeyStatus} status
 */
export function keySummary(status) {
  if (status.present && status.source === 'keyring') return `Key stored (…${status.lastFour}) for ${status.origin}`;
  if (status.present) return `Key from the environment (…${status.lastFour})`;
  if (status.keyringError) return `The system keyring is not available: ${status.keyringError}`;
  return 'No key';
}

/**
 * The key's status in the form, against the server the form points at.
 * @param {KeyStatus} status @param {string} server the form's base URL, else the profile's server
 */
export function describeKey(status, server) {
  if (status.present && status.source === 'keyring') {
    const target = parseUrl(server)?.origin;
    const elsewhere = status.origin && target && target !== status.origin
      ? ` It is not sent to ${target}: save a key for that server to use it there.`
      : '';
    return `Stored in the system keyring (…${status.lastFour}), for ${status.origin}.${elsewhere}`;
  }
  if (status.present) return `From the environment (…${status.lastFour}). Saving a key here stores it in the system keyring instead.`;
  if (status.keyringError) return `The system keyring is not available: ${status.keyringError}`;
  return 'No key stored. Local servers usually need none.';
}

/**
 * @param {{
 *   current: () => SettingsView | null,
 *   save: (settings: Settings) => Promise<void>,
 * }} deps the settings in effect, and how to save them (which applies them too)
 */
export function createProviders({ current, save }) {
  const list = byId('s-providers');
  const offers = byId('s-local-offers');
  const status = byId('s-providers-status');
  const defaultProfile = byId('s-default-profile', HTMLSelectElement);
  const defaultModel = byId('s-default-model', HTMLInputElement);
  const defaultModels = byId('s-default-models', HTMLDataListElement);
  const editor = byId('provider-editor', HTMLDialogElement);
  const form = {
    title: byId('p-title'),
    preset: byId('p-preset', HTMLSelectElement),
    keyLink: byId('p-key-link'),
    keyUrl: byId('p-key-url', HTMLAnchorElement),
    name: byId('p-name', HTMLInputElement),
    baseUrl: byId('p-base-url', HTMLInputElement),
    model: byId('p-model', HTMLInputElement),
    models: byId('p-models', HTMLDataListElement),
    check: byId('p-check', HTMLButtonElement),
    checkStatus: byId('p-check-status'),
    keyStatus: byId('p-key-status'),
    key: byId('p-key', HTMLInputElement),
    clearKey: byId('p-clear-key', HTMLButtonElement),
    cleartext: byId('p-cleartext'),
    allowCleartext: byId('p-allow-cleartext', HTMLInputElement),
    kind: byId('p-kind', HTMLSelectElement),
    headers: byId('p-headers', HTMLTextAreaElement),
    apiVersionRow: byId('p-api-version-row'),
    apiVersion: byId('p-api-version', HTMLInputElement),
    maxTokens: byId('p-max-tokens', HTMLInputElement),
    error: byId('p-error'),
  };
  /** The profile being edited; a new one has the id ''. @type {Profile | null} */
  let editing = null;
  /** @type {KeyStatus | null} */
  let editingKey = null;
  /** @type {LocalServer[]} */
  let found = [];

  /** @param {string} id */
  const presetOf = (id) => current()?.presets.find((p) => p.id === id);

  /** The profile as the form holds it. @returns {Profile} */
  function formProfile() {
    const base = editing ?? profileFromPreset(/** @type {Preset} */ (presetOf(form.preset.value)), '');
    const max = Number(form.maxTokens.value);
    return {
      ...base,
      name: form.name.value.trim(),
      kind: isKind(form.kind.value) ? form.kind.value : base.kind,
      preset: form.preset.value,
      baseUrl: form.baseUrl.value.trim(),
      model: form.model.value.trim(),
      headers: headersFromText(form.headers.value),
      apiVersion: form.kind.value === 'azure' ? form.apiVersion.value.trim() : '',
      maxTokens: form.maxTokens.value.trim() && Number.isInteger(max) && max > 0 ? max : null,
      allowCleartextKey: !form.cleartext.hidden && form.allowCleartext.checked,
    };
  }

  /** The server the form points at: its base URL, else the profile's usual one. */
  function formServer() {
    const view = current();
    return form.baseUrl.value.trim() || (view ? serverOf(view, { ...formProfile(), baseUrl: '' }) : '');
  }

  function showFormParts() {
    const preset = presetOf(form.preset.value);
    form.keyLink.hidden = !preset?.keyUrl;
    if (preset?.keyUrl) {
      form.keyUrl.href = preset.keyUrl;
      form.keyUrl.textContent = `Get a ${preset.name} key`;
    }
    form.apiVersionRow.hidden = form.kind.value !== 'azure';
    form.cleartext.hidden = !isCleartextRemote(formServer());
    form.baseUrl.placeholder = preset?.baseUrl || USUAL_SERVER.get(form.kind.value) || 'https://…';
    if (editingKey) form.keyStatus.textContent = describeKey(editingKey, formServer());
  }

  /** @param {Preset} preset */
  function fillFromPreset(preset) {
    const view = current();
    const name = form.name.value.trim();
    const taken = view?.settings.profiles.filter((p) => p.id !== editing?.id) ?? [];
    // A name the user typed stays; one the previous preset gave is replaced.
    if (!name || view?.presets.some((p) => name === p.name || name.startsWith(`${p.name} `))) form.name.value = uniqueName(taken, preset.name);
    form.kind.value = preset.kind;
    form.baseUrl.value = preset.baseUrl;
    form.model.value = preset.model;
    form.apiVersion.value = preset.kind === 'azure' ? (form.apiVersion.value || '2024-10-21') : '';
    form.models.replaceChildren();
    form.checkStatus.textContent = '';
    showFormParts();
  }

  /**
   * Opens the form on a profile, or on a new one.
   * @param {Profile | null} profile
   */
  async function edit(profile) {
    const view = current();
    if (!view) return;
    editing = profile;
    editingKey = null;
    form.title.textContent = profile ? `Edit ${profile.name}` : 'Add provider';
    form.preset.replaceChildren(...view.presets.map((p) => Object.assign(el('option', '', p.name), { value: p.id })));
    form.error.textContent = '';
    form.checkStatus.textContent = '';
    form.key.value = '';
    form.models.replaceChildren();
    if (profile) {
      if (!view.presets.some((p) => p.id === profile.preset)) form.preset.append(Object.assign(el('option', '', 'Custom'), { value: profile.preset }));
      form.preset.value = profile.preset;
      form.name.value = profile.name;
      form.kind.value = profile.kind;
      form.baseUrl.value = profile.baseUrl;
      form.model.value = profile.model;
      form.headers.value = headersToText(profile.headers);
      form.apiVersion.value = profile.apiVersion;
      form.maxTokens.value = profile.maxTokens === null ? '' : String(profile.maxTokens);
      form.allowCleartext.checked = profile.allowCleartextKey;
      form.keyStatus.textContent = 'Looking for a key…';
    } else {
      form.preset.value = view.presets[0]?.id ?? '';
      form.name.value = '';
      form.headers.value = '';
      form.maxTokens.value = '';
      form.apiVersion.value = '';
      form.allowCleartext.checked = false;
      const preset = presetOf(form.preset.value);
      if (preset) fillFromPreset(preset);
      form.keyStatus.textContent = 'No key stored. Paste one below if the provider needs it.';
    }
    form.clearKey.disabled = true;
    showFormParts();
    editor.showModal();
    form.preset.focus();
    if (profile) {
      try {
        showKey(await ipc.apiKeyStatus(profile.id));
      } catch (e) {
        form.keyStatus.textContent = errorMessage(e);
      }
    }
  }

  /** @param {KeyStatus} key */
  function showKey(key) {
    editingKey = key;
    form.keyStatus.textContent = describeKey(key, formServer());
    form.clearKey.disabled = !(key.present && key.source === 'keyring');
  }

  form.preset.addEventListener('change', () => {
    const preset = presetOf(form.preset.value);
    if (preset) fillFromPreset(preset);
  });
  form.kind.addEventListener('change', showFormParts);
  form.baseUrl.addEventListener('input', () => {
    form.checkStatus.textContent = '';
    showFormParts();
  });

  form.check.addEventListener('click', async () => {
    form.checkStatus.textContent = 'Asking the server…';
    try {
      // An empty base URL is the preset's or the kind's usual server, named here so the
      // check cannot go to another profile's.
      const models = await ipc.checkConnection({ ...formProfile(), baseUrl: formServer() });
      form.models.replaceChildren(...models.map((m) => Object.assign(el('option'), { value: m })));
      form.checkStatus.textContent = models.length ? `Connected: ${models.length} models available; type to filter, or enter any name.` : 'Connected. The server lists no models; enter a name.';
    } catch (e) {
      const { title, detail } = describeError(toFailure(e));
      form.checkStatus.textContent = `${title}: ${detail}`;
    }
  });

  form.clearKey.addEventListener('click', async () => {
    if (!editing) return;
    try {
      showKey(await ipc.clearApiKey(editing.id));
      renderList();
    } catch (e) {
      form.keyStatus.textContent = errorMessage(e);
    }
  });

  byId('p-cancel').addEventListener('click', () => editor.close());
  byId('s-add-provider').addEventListener('click', () => { edit(null); });

  byId('p-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const view = current();
    if (!view) return;
    const profile = formProfile();
    if (!profile.name) { form.error.textContent = 'Give the provider a name.'; form.name.focus(); return; }
    const profiles = editing
      ? view.settings.profiles.map((p) => (p.id === editing?.id ? profile : p))
      : [...view.settings.profiles, profile];
    try {
      await save({ ...view.settings, profiles });
      const saved = editing
        ? current()?.settings.profiles.find((p) => p.id === editing?.id)
        : current()?.settings.profiles.find((p) => p.name.toLowerCase() === profile.name.toLowerCase());
      if (saved && form.key.value.trim()) {
        await ipc.setApiKey(form.key.value, saved.id, saved.baseUrl || undefined);
        form.key.value = '';
      }
      editor.close();
      status.textContent = editing ? `Saved ${profile.name}.` : `Added ${profile.name}.`;
      render();
    } catch (e) {
      form.error.textContent = errorMessage(e);
    }
  });

  /** @param {Profile} profile @param {HTMLElement} line */
  async function checkListed(profile, line) {
    line.textContent = 'Asking the server…';
    try {
      const models = await ipc.checkConnection(profile);
      line.textContent = `Connected: ${models.length} models.`;
      line.className = 'small check-line ok';
    } catch (e) {
      const { title, detail } = describeError(toFailure(e));
      line.textContent = `${title}: ${detail}`;
      line.className = 'small check-line error-text';
    }
  }

  /** @param {Profile} profile @param {HTMLElement} actions */
  function confirmRemove(profile, actions) {
    const old = [...actions.children];
    const question = el('span', 'small', `Remove ${profile.name} and its key?`);
    const cancel = button('ghost small-button', 'Cancel', () => { actions.replaceChildren(...old); /** @type {HTMLElement | undefined} */ (old.at(-1))?.focus(); });
    const remove = button('danger small-button', 'Remove', async () => {
      const view = current();
      if (!view) return;
      try {
        await save({ ...view.settings, profiles: view.settings.profiles.filter((p) => p.id !== profile.id) });
        status.textContent = `Removed ${profile.name}.`;
        render();
      } catch (e) {
        status.textContent = errorMessage(e);
        actions.replaceChildren(...old);
      }
    });
    actions.replaceChildren(question, cancel, remove);
    cancel.focus();
  }

  /** @param {Profile} profile */
  async function makeDefault(profile) {
    const view = current();
    if (!view) return;
    try {
      await save({ ...view.settings, defaultProfile: profile.id });
      render();
    } catch (e) {
      status.textContent = errorMessage(e);
    }
  }

  function renderList() {
    const view = current();
    if (!view) return;
    const s = view.settings;
    list.replaceChildren(...s.profiles.map((profile) => {
      const item = el('li', 'provider');
      item.dataset.profile = profile.id;
      const head = el('div', 'provider-head');
      head.append(el('strong', 'provider-name', profile.name));
      if (profile.id === s.defaultProfile) head.append(el('span', 'badge', 'Default'));
      const preset = view.presets.find((p) => p.id === profile.preset);
      const facts = [preset?.name ?? KIND_NAMES.get(profile.kind) ?? profile.kind, hostOf(serverOf(view, profile)), profile.model || 'no default model'];
      const key = el('div', 'small key-line muted', '…');
      const check = el('div', 'small check-line');
      check.setAttribute('role', 'status');
      const actions = el('div', 'row provider-actions');
      const label = (/** @type {string} */ verb) => `${verb} ${profile.name}`;
      const checkButton = button('ghost small-button', 'Check connection', () => checkListed(profile, check));
      checkButton.setAttribute('aria-label', label('Check connection of'));
      const editButton = button('ghost small-button', 'Edit…', () => edit(profile));
      editButton.setAttribute('aria-label', label('Edit'));
      actions.append(checkButton, editButton);
      if (profile.id !== s.defaultProfile) {
        const defaultButton = button('ghost small-button', 'Make default', () => makeDefault(profile));
        defaultButton.setAttribute('aria-label', label('Make default:'));
        actions.append(defaultButton);
      }
      const removeButton = button('ghost small-button danger-text', 'Remove', () => confirmRemove(profile, actions));
      removeButton.setAttribute('aria-label', label('Remove'));
      removeButton.disabled = s.profiles.length < 2;
      actions.append(removeButton);
      item.append(head, el('div', 'small muted provider-facts', facts.join(' · ')), key, check, actions);
      ipc.apiKeyStatus(profile.id).then((k) => { key.textContent = keySummary(k); }, (e) => { key.textContent = errorMessage(e); });
      return item;
    }));
  }

  function renderOffers() {
    const view = current();
    offers.replaceChildren(...found.map((server) => {
      const offer = el('div', 'offer');
      const models = server.models.length === 1 ? '1 model' : `${server.models.length} models`;
      offer.append(el('span', '', `${server.name} is running on this computer (${models}).`));
      const add = button('small-button', 'Add', async () => {
        add.disabled = true;
        const added = await addLocalServer(server).catch((e) => { status.textContent = errorMessage(e); return null; });
        if (added) status.textContent = `Added ${added.name}.`;
        add.disabled = false;
      });
      add.setAttribute('aria-label', `Add ${server.name}`);
      offer.append(add);
      return offer;
    }));
    offers.hidden = !view || found.length === 0;
  }

  function renderDefaultChooser() {
    const view = current();
    if (!view) return;
    const s = view.settings;
    defaultProfile.replaceChildren(...s.profiles.map((p) => Object.assign(el('option', '', p.name), { value: p.id })));
    defaultProfile.value = s.defaultProfile;
    defaultModel.value = s.profiles.find((p) => p.id === s.defaultProfile)?.model ?? '';
    fillDefaultModels();
  }

  async function fillDefaultModels() {
    const id = defaultProfile.value;
    const lists = await ipc.listAllModels().catch(() => []);
    if (defaultProfile.value !== id) return;
    const models = lists.find((l) => l.profileId === id)?.models ?? [];
    defaultModels.replaceChildren(...models.map((m) => Object.assign(el('option'), { value: m })));
  }

  defaultProfile.addEventListener('change', () => {
    defaultModel.value = current()?.settings.profiles.find((p) => p.id === defaultProfile.value)?.model ?? '';
    fillDefaultModels();
  });

  function render() {
    renderList();
    renderOffers();
    renderDefaultChooser();
  }

  /**
   * Adds a local server found by the probe as a profile, saved at once.
   * @param {LocalServer} server
   * @returns {Promise<Profile | null>} the profile added
   */
  async function addLocalServer(server) {
    const view = current();
    if (!view) return null;
    const profile = profileForLocalServer(view.presets, view.settings.profiles, server);
    await save({ ...view.settings, profiles: [...view.settings.profiles, profile] });
    found = found.filter((f) => f.baseUrl !== server.baseUrl);
    render();
    return current()?.settings.profiles.find((p) => p.name === profile.name) ?? null;
  }

  /** Asks which local servers answer, and offers those that are not a profile yet. */
  async function probe() {
    found = await ipc.probeLocalServers().catch(() => []);
    renderOffers();
    return found;
  }

  return {
    render,
    probe,
    addLocalServer,
    /** @param {Settings} settings @returns {Settings} with the default chooser's choice */
    withDefaultChoice(settings) {
      const id = defaultProfile.value || settings.defaultProfile;
      const model = defaultModel.value.trim();
      return {
        ...settings,
        defaultProfile: id,
        profiles: settings.profiles.map((p) => (p.id === id && model ? { ...p, model } : p)),
      };
    },
    isEditing: () => editor.open,
  };
}
