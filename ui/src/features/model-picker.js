// The model picker: a popover listbox of every profile's models, grouped by profile, with a
// filter field that keeps the focus (arrow keys move, Enter picks, Escape closes and gives
// the focus back). A profile whose list could not be fetched shows why in its group, and
// Refresh asks every server again. Typed text that is not a listed model is offered as
// "Use “…”" in each group, for servers that list nothing or not everything.
//
// `createModelChoice` is the top bar's button: it shows the open conversation's profile and
// model ("model · profile"), or, for a new chat, the one held for its first message (the
// default until something is picked). A choice for a saved conversation is stored at once.

import * as ipc from '../ipc.js';
import { byId, el } from '../dom.js';
import { describeError, errorMessage } from '../errors.js';
import { profileName } from './providers.js';

/** @typedef {import('../ipc.js').ModelChoice} ModelChoice */
/** @typedef {import('../ipc.js').ProfileModels} ProfileModels */
/** @typedef {import('../ipc.js').Profile} Profile */
/** @typedef {import('../ipc.js').SettingsView} SettingsView */
/** @typedef {import('../ipc.js').ConversationSummary} ConversationSummary */
/** @typedef {{ profile: string, model: string, element: HTMLElement }} Entry */
/** @typedef {{ profile: Profile, models: string[], error?: ProfileModels['error'] }} Group */

/**
 * The groups the picker shows for `filter`: each profile's models that match every word of
 * it (against "model profile-name"), and the typed text when it is not a listed model. A
 * profile with nothing to show and no error is left out.
 * @param {Profile[]} profiles
 * @param {ProfileModels[] | null} lists null while they are being fetched
 * @param {string} filter
 * @returns {Array<Group & { typed: string | null }>}
 */
export function pickerGroups(profiles, lists, filter) {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const typed = filter.trim();
  return profiles.map((profile) => {
    const list = lists?.find((l) => l.profileId === profile.id);
    const listed = list?.models.length ? list.models : [profile.model].filter(Boolean);
    const haystack = (/** @type {string} */ m) => `${m} ${profile.name}`.toLowerCase();
    const models = listed.filter((m) => words.every((w) => haystack(m).includes(w)));
    return { profile, models, error: list?.error, typed: typed && !listed.includes(typed) ? typed : null };
  }).filter((g) => g.models.length || g.typed || g.error);
}

/**
 * @param {{ current: () => SettingsView | null }} deps the settings in effect (profiles, names)
 */
export function createModelPicker({ current }) {
  const popover = byId('model-popover');
  const filter = byId('model-filter', HTMLInputElement);
  const options = byId('model-options');
  const status = byId('model-status');
  const refresh = byId('model-refresh', HTMLButtonElement);
  /** @type {ProfileModels[] | null} */
  let lists = null;
  /** @type {Entry[]} */
  let entries = [];
  let active = -1;
  /** @type {{ anchor: HTMLElement, choice: ModelChoice | null, onPick: (choice: ModelChoice) => void } | null} */
  let request = null;

  /** @param {number} index */
  function setActive(index) {
    entries[active]?.element.setAttribute('aria-selected', 'false');
    active = entries.length ? (index + entries.length) % entries.length : -1;
    const entry = entries[active];
    if (!entry) { filter.removeAttribute('aria-activedescendant'); return; }
    entry.element.setAttribute('aria-selected', 'true');
    filter.setAttribute('aria-activedescendant', entry.element.id);
    entry.element.scrollIntoView({ block: 'nearest' });
  }

  function render() {
    const profiles = current()?.settings.profiles ?? [];
    const chosen = request?.choice;
    entries = [];
    const groups = pickerGroups(profiles, lists, filter.value);
    options.replaceChildren(...groups.map((g, gi) => {
      const group = el('div', 'model-group');
      group.setAttribute('role', 'group');
      const header = el('div', 'model-group-name', g.profile.name);
      header.id = `model-group-${gi}`;
      group.setAttribute('aria-labelledby', header.id);
      group.append(header);
      if (g.error) {
        const { title, detail } = describeError(g.error);
        group.append(el('div', 'model-group-error small', `${title}: ${detail}`));
      }
      /** @param {string} model @param {string} text @param {string} className */
      const option = (model, text, className) => {
        const node = el('div', className, text);
        node.id = `model-option-${entries.length}`;
        node.setAttribute('role', 'option');
        node.setAttribute('aria-selected', 'false');
        node.dataset.profile = g.profile.id;
        node.dataset.model = model;
        if (chosen && chosen.profile === g.profile.id && chosen.model === model) node.classList.add('current');
        const index = entries.length;
        node.addEventListener('click', () => { setActive(index); pick(); });
        entries.push({ profile: g.profile.id, model, element: node });
        group.append(node);
      };
      for (const model of g.models) option(model, model, 'model-option');
      if (g.typed) option(g.typed, `Use “${g.typed}”`, 'model-option typed');
      return group;
    }));
    if (!groups.length) options.append(el('p', 'muted small empty-list', lists ? 'No model matches.' : 'Loading models…'));
    // The current choice first; once something is typed, the first listed model that
    // matches, else the typed text itself.
    const chosenAt = entries.findIndex((e) => e.element.classList.contains('current'));
    const firstListed = entries.findIndex((e) => !e.element.classList.contains('typed'));
    setActive(!filter.value.trim() && chosenAt >= 0 ? chosenAt : Math.max(0, firstListed));
  }

  /** @param {boolean} fresh ask every server again */
  async function load(fresh) {
    status.textContent = fresh || !lists ? 'Asking the servers…' : '';
    try {
      lists = await ipc.listAllModels(fresh);
      const failed = lists.filter((l) => l.error).length;
      status.textContent = failed ? `${failed} of ${lists.length} providers did not answer.` : '';
    } catch (e) {
      status.textContent = errorMessage(e);
      lists = lists ?? [];
    }
    if (request) render();
  }

  function pick() {
    const entry = entries[active];
    if (!entry || !request) return;
    const { onPick } = request;
    close(true);
    onPick({ profile: entry.profile, model: entry.model });
  }

  /** @param {boolean} returnFocus */
  function close(returnFocus) {
    if (!request) return;
    const { anchor } = request;
    request = null;
    popover.hidden = true;
    anchor.setAttribute('aria-expanded', 'false');
    if (returnFocus) anchor.focus();
  }

  function place() {
    if (!request) return;
    const rect = request.anchor.getBoundingClientRect();
    const width = Math.min(380, window.innerWidth - 16);
    popover.style.width = `${width}px`;
    popover.style.left = `${Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8))}px`;
    const below = rect.bottom + 4;
    const roomBelow = window.innerHeight - below - 8;
    if (roomBelow >= 240 || roomBelow >= rect.top) {
      popover.style.top = `${below}px`;
      popover.style.bottom = '';
      popover.style.maxHeight = `${roomBelow}px`;
    } else {
      popover.style.top = '';
      popover.style.bottom = `${window.innerHeight - rect.top + 4}px`;
      popover.style.maxHeight = `${rect.top - 12}px`;
    }
  }

  /**
   * Opens the picker under (or above) `anchor`; `onPick` hears the choice.
   * @param {{ anchor: HTMLElement, choice: ModelChoice | null, onPick: (choice: ModelChoice) => void }} next
   */
  function open(next) {
    if (request) close(false);
    request = next;
    next.anchor.setAttribute('aria-expanded', 'true');
    filter.value = '';
    popover.hidden = false;
    place();
    render();
    filter.focus();
    load(false);
  }

  filter.addEventListener('input', render);
  filter.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setActive(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      pick();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
    }
  });
  refresh.addEventListener('click', () => { load(true); filter.focus(); });
  // A click inside that is not on a field or a button leaves the focus in the filter.
  popover.addEventListener('mousedown', (event) => {
    if (event.target !== filter && !(event.target instanceof HTMLButtonElement)) event.preventDefault();
  });
  // A click elsewhere, or the focus leaving, closes it.
  document.addEventListener('mousedown', (event) => {
    if (request && event.target instanceof Node && !popover.contains(event.target) && !request.anchor.contains(event.target)) close(false);
  });
  popover.addEventListener('focusout', (event) => {
    if (request && !(event.relatedTarget instanceof Node && popover.contains(event.relatedTarget))) close(false);
  });
  window.addEventListener('resize', place);

  return { open, close: () => close(true), isOpen: () => request !== null };
}

/** @typedef {ReturnType<typeof createModelPicker>} ModelPicker */

/**
 * The top bar's model button and the choice it shows: the open conversation's, or the one
 * held for a new chat's first message.
 * @param {{ picker: ModelPicker, current: () => SettingsView | null, showNotice: (text: string) => void }} deps
 */
export function createModelChoice({ picker, current, showNotice }) {
  const pickerButton = byId('model-picker', HTMLButtonElement);
  const label = byId('model-label');
  /** @type {{ id: string, choice: ModelChoice | null } | null} */
  let conversation = null;
  /** @type {ModelChoice | null} */
  let held = null;

  /** The default profile and its model. @returns {ModelChoice | null} */
  function defaultChoice() {
    const s = current()?.settings;
    const profile = s?.profiles.find((p) => p.id === s.defaultProfile) ?? s?.profiles[0];
    return profile ? { profile: profile.id, model: profile.model } : null;
  }

  /** What the next reply uses. */
  function choice() {
    if (conversation) return conversation.choice ?? defaultChoice();
    return held ?? defaultChoice();
  }

  function show() {
    const c = choice();
    label.textContent = c ? `${c.model || 'default model'} · ${profileName(current()?.settings, c.profile)}` : 'No provider';
  }

  /** @param {ModelChoice} next */
  async function pick(next) {
    if (conversation) {
      const at = conversation;
      try {
        await ipc.setConversationModel(at.id, next);
        at.choice = next;
      } catch (e) {
        showNotice(errorMessage(e));
      }
    } else {
      held = next;
    }
    show();
  }

  pickerButton.addEventListener('click', () => {
    if (picker.isOpen()) picker.close();
    else open();
  });

  function open() {
    picker.open({ anchor: pickerButton, choice: choice(), onPick: pick });
  }

  return {
    open,
    show,
    /**
     * The conversation now open (null: a new chat, which starts on the default).
     * @param {ConversationSummary | null} summary
     */
    showConversation(summary) {
      if (summary) {
        // A conversation on a profile that no longer exists replies from the default.
        const known = current()?.settings.profiles.some((p) => p.id === summary.profile);
        conversation = { id: summary.id, choice: known ? { profile: summary.profile, model: summary.model } : null };
      } else {
        conversation = null;
        held = null;
      }
      show();
    },
    /** The choice held for a new chat's first message, if one was picked. */
    held: () => (conversation ? null : held),
  };
}
