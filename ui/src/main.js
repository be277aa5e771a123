// The main window: welcome, conversation, composer, settings. Plain DOM; Rust does the work.

import * as ipc from './ipc.js';
import { createMarkdown } from './markdown.js';
import { StreamRenderer } from './stream-renderer.js';
import { decorateCodeBlocks } from './code-blocks.js';
import { describeError } from './errors.js';

const markdown = createMarkdown(window);

/** @template {HTMLElement} T @param {string} sel @returns {T} */
const $ = (sel) => /** @type {T} */ (document.querySelector(sel));

/** @param {string} tag @param {string} [className] @param {string} [text] */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const ui = {
  app: $('#app'),
  welcome: $('#welcome'),
  log: $('#conversation'),
  empty: $('#empty'),
  composer: /** @type {HTMLFormElement} */ ($('#composer')),
  input: /** @type {HTMLTextAreaElement} */ ($('#message')),
  send: /** @type {HTMLButtonElement} */ ($('#send')),
  stop: /** @type {HTMLButtonElement} */ ($('#stop')),
  modelLabel: $('#model-label'),
  notice: $('#notice'),
  settings: /** @type {HTMLDialogElement} */ ($('#settings')),
};

const state = {
  /** @type {ipc.SettingsView | null} */ view: null,
  /** @type {ipc.KeyStatus | null} */ key: null,
  /** @type {string | null} */ conversationId: null,
  /** @type {Exchange | null} */ active: null,
};

// ------------------------------------------------------------------ clipboard and links

/** @param {string} text */
async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = el('textarea');
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy failed');
}

document.addEventListener('click', (event) => {
  const link = /** @type {HTMLElement} */ (event.target).closest?.('a');
  if (!link) return;
  event.preventDefault();
  const href = link.getAttribute('href');
  if (href && /^(https?:|mailto:)/i.test(href)) {
    ipc.openExternal(href).catch((e) => showNotice(e.message ?? String(e)));
  }
});

// ------------------------------------------------------------------ notices and theme

/** @param {string} text */
function showNotice(text) {
  ui.notice.replaceChildren(el('span', '', text));
  const close = el('button', 'ghost', 'Dismiss');
  close.type = 'button';
  close.addEventListener('click', () => { ui.notice.hidden = true; });
  ui.notice.append(close);
  ui.notice.hidden = false;
}

/** @param {ipc.Settings['theme']} theme */
function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

/** @param {ipc.SettingsView} view */
function applyView(view) {
  state.view = view;
  applyTheme(view.settings.theme);
  ui.modelLabel.textContent = `${view.settings.profile.model} · ${hostOf(view.effectiveBaseUrl)}`;
}

// ------------------------------------------------------------------ the conversation

const nearBottom = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
function keepScrolled(wasNear) {
  if (wasNear) ui.log.scrollTop = ui.log.scrollHeight;
}

class Exchange {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
    /** @type {string | null} */ this.streamId = null;
    this.user = el('article', 'msg user');
    this.user.setAttribute('aria-label', 'You');
    this.user.append(el('div', 'bubble', text));
    this.reply = el('article', 'msg assistant');
    this.reply.setAttribute('aria-label', 'Palaver');
    ui.empty.hidden = true;
    ui.log.append(this.user, this.reply);
    this.reset();
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  reset() {
    this.thinking = /** @type {HTMLDetailsElement} */ (el('details', 'thinking'));
    this.thinking.hidden = true;
    this.thinking.append(el('summary', '', 'Thinking…'));
    this.reasoningText = el('div', 'reasoning');
    this.thinking.append(this.reasoningText);
    this.content = el('div', 'content');
    this.status = el('div', 'status');
    this.status.hidden = true;
    this.meta = el('div', 'meta');
    this.reply.replaceChildren(this.thinking, this.content, this.status, this.meta);
    this.reply.classList.add('waiting');
    this.reply.setAttribute('aria-busy', 'true');
    this.renderer = new StreamRenderer(this.content, markdown, {
      decorate: (block) => decorateCodeBlocks(block, copyText),
      onRender: () => keepScrolled(this.wasNearBottom),
    });
    this.wasNearBottom = true;
    this.pendingReasoning = '';
    this.reasoningScheduled = false;
  }

  /** @param {ipc.ChatEvent} event */
  handle(event) {
    this.wasNearBottom = nearBottom();
    switch (event.type) {
      case 'started':
        this.streamId = event.streamId;
        break;
      case 'delta':
        this.reply.classList.remove('waiting');
        if (!this.thinking.hidden) this.thinking.querySelector('summary').textContent = 'Thought';
        this.renderer.append(event.text);
        break;
      case 'reasoning':
        this.reply.classList.remove('waiting');
        this.thinking.hidden = false;
        this.pendingReasoning += event.text;
        if (!this.reasoningScheduled) {
          this.reasoningScheduled = true;
          requestAnimationFrame(() => {
            this.reasoningScheduled = false;
            this.reasoningText.append(this.pendingReasoning);
            this.pendingReasoning = '';
          });
        }
        break;
      case 'usage':
        this.meta.textContent = `${event.promptTokens} tokens in, ${event.completionTokens} out`;
        break;
      case 'finished':
        this.end();
        if (event.finishReason === 'cancelled') this.note('Stopped. The reply so far is kept.');
        else if (event.finishReason === 'length') this.note('The reply reached the model’s length limit.');
        else if (event.finishReason === 'content_filter') this.note('The provider’s content filter stopped the reply.');
        break;
      case 'failed':
        this.end();
        this.fail(event.error);
        break;
    }
  }

  end() {
    this.renderer.finish();
    if (this.pendingReasoning) this.reasoningText.append(this.pendingReasoning);
    this.pendingReasoning = '';
    this.thinking.querySelector('summary').textContent = 'Thought';
    this.reply.classList.remove('waiting');
    this.reply.removeAttribute('aria-busy');
    if (state.active === this) setStreaming(null);
  }

  /** @param {string} text */
  note(text) {
    this.status.hidden = false;
    this.status.className = 'status note';
    this.status.replaceChildren(el('span', '', text));
    keepScrolled(this.wasNearBottom);
  }

  /** @param {{ kind: string, message: string, retryAfterSecs?: number }} error */
  fail(error) {
    const { title, detail, action } = describeError(error);
    this.status.hidden = false;
    this.status.className = 'status error';
    this.status.setAttribute('role', 'alert');
    const text = el('div', 'error-text');
    text.append(el('strong', '', title), el('span', 'error-detail', detail));
    const buttons = el('div', 'error-actions');
    const retry = el('button', '', 'Retry');
    retry.type = 'button';
    retry.addEventListener('click', () => send(this.text, this));
    buttons.append(retry);
    if (action === 'settings') {
      const open = el('button', 'ghost', 'Open settings');
      open.type = 'button';
      open.addEventListener('click', () => openSettings());
      buttons.append(open);
    }
    this.status.replaceChildren(text, buttons);
    keepScrolled(this.wasNearBottom);
  }
}

/** @param {Exchange | null} exchange */
function setStreaming(exchange) {
  state.active = exchange;
  const busy = exchange !== null;
  ui.stop.hidden = !busy;
  ui.send.hidden = busy;
  ui.app.classList.toggle('streaming', busy);
}

/**
 * @param {string} text
 * @param {Exchange} [retryOf]
 */
async function send(text, retryOf) {
  if (state.active) return;
  const exchange = retryOf ?? new Exchange(text);
  if (retryOf) exchange.reset();
  setStreaming(exchange);
  try {
    const ack = await ipc.sendMessage({
      conversationId: state.conversationId ?? undefined,
      text,
      retry: Boolean(retryOf),
      onEvent: (event) => exchange.handle(event),
    });
    state.conversationId = ack.conversationId;
    exchange.streamId = ack.streamId;
  } catch (error) {
    // Nothing was sent. The question stays on screen, and in the composer if it is empty.
    exchange.end();
    exchange.fail(/** @type {any} */ (error));
    if (!ui.input.value) ui.input.value = text;
    autosize();
  }
}

function stop() {
  const active = state.active;
  if (active?.streamId) ipc.cancelStream(active.streamId).catch(() => {});
}

function newChat() {
  if (state.active) stop();
  state.conversationId = null;
  for (const node of [...ui.log.children]) if (node !== ui.empty) node.remove();
  ui.empty.hidden = false;
  ui.input.focus();
}

function autosize() {
  ui.input.style.height = 'auto';
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 240)}px`;
}

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.input.value;
  if (!text.trim() || state.active) return;
  ui.input.value = '';
  autosize();
  send(text);
});

ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.input.addEventListener('input', autosize);
ui.stop.addEventListener('click', stop);
$('#new-chat').addEventListener('click', newChat);
$('#open-settings').addEventListener('click', () => openSettings());

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.active && !ui.settings.open) {
    event.preventDefault();
    stop();
  }
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'n') {
    event.preventDefault();
    newChat();
  }
});

// ------------------------------------------------------------------ settings

const form = {
  name: /** @type {HTMLInputElement} */ ($('#s-name')),
  baseUrl: /** @type {HTMLInputElement} */ ($('#s-base-url')),
  model: /** @type {HTMLInputElement} */ ($('#s-model')),
  models: $('#s-models'),
  loadModels: $('#s-load-models'),
  modelStatus: $('#s-model-status'),
  keyStatus: $('#s-key-status'),
  key: /** @type {HTMLInputElement} */ ($('#s-key')),
  saveKey: $('#s-save-key'),
  clearKey: /** @type {HTMLButtonElement} */ ($('#s-clear-key')),
  system: /** @type {HTMLTextAreaElement} */ ($('#s-system')),
  temperature: /** @type {HTMLInputElement} */ ($('#s-temperature')),
  theme: /** @type {HTMLSelectElement} */ ($('#s-theme')),
  error: $('#s-error'),
  dataDir: $('#s-data-dir'),
  save: $('#s-save'),
  cancel: $('#s-cancel'),
};

/** @param {ipc.KeyStatus} status */
function describeKey(status) {
  if (status.present && status.source === 'keyring') return `Stored in the system keyring (…${status.lastFour}).`;
  if (status.present) return `From the environment, OPENAI_API_KEY (…${status.lastFour}). Saving a key here stores it in the system keyring instead.`;
  if (status.keyringError) return `The system keyring is not available: ${status.keyringError}`;
  return 'No key stored. Local servers usually need none.';
}

async function refreshKey() {
  state.key = await ipc.apiKeyStatus(state.view?.settings.profile.id);
  form.keyStatus.textContent = describeKey(state.key);
  form.clearKey.disabled = !(state.key.present && state.key.source === 'keyring');
}

async function openSettings() {
  const view = state.view;
  if (!view) return;
  const s = view.settings;
  form.name.value = s.profile.name;
  form.baseUrl.value = s.profile.baseUrl;
  form.baseUrl.placeholder = view.baseUrlFromEnv ? `${view.effectiveBaseUrl} (from OPENAI_BASE_URL)` : view.effectiveBaseUrl;
  form.model.value = s.profile.model;
  form.system.value = s.systemPrompt;
  form.temperature.value = s.temperature === null ? '' : String(s.temperature);
  form.theme.value = s.theme;
  form.error.textContent = '';
  form.key.value = '';
  form.dataDir.textContent = `Data and settings live in ${view.dataDir}`;
  ui.settings.showModal();
  await refreshKey().catch((e) => { form.keyStatus.textContent = e.message ?? String(e); });
}

form.loadModels.addEventListener('click', async () => {
  form.modelStatus.textContent = 'Asking the server…';
  try {
    const models = await ipc.listModels(form.baseUrl.value.trim());
    form.models.replaceChildren(...models.map((m) => Object.assign(el('option'), { value: m })));
    form.modelStatus.textContent = models.length ? `${models.length} models available; type to filter, or enter any name.` : 'The server lists no models; enter a name.';
  } catch (e) {
    form.modelStatus.textContent = describeError(/** @type {any} */ (e)).detail;
  }
});

form.saveKey.addEventListener('click', async () => {
  const key = form.key.value;
  if (!key.trim()) { form.keyStatus.textContent = 'Paste a key first.'; return; }
  try {
    state.key = await ipc.setApiKey(key, state.view?.settings.profile.id);
    form.key.value = '';
    form.keyStatus.textContent = describeKey(state.key);
    form.clearKey.disabled = false;
  } catch (e) {
    form.keyStatus.textContent = /** @type {any} */ (e).message ?? String(e);
  }
});

form.clearKey.addEventListener('click', async () => {
  try {
    state.key = await ipc.clearApiKey(state.view?.settings.profile.id);
    form.keyStatus.textContent = describeKey(state.key);
    form.clearKey.disabled = true;
  } catch (e) {
    form.keyStatus.textContent = /** @type {any} */ (e).message ?? String(e);
  }
});

form.cancel.addEventListener('click', () => ui.settings.close());
$('.settings-form').addEventListener('submit', (event) => {
  event.preventDefault();
  form.save.click();
});

form.save.addEventListener('click', async () => {
  if (!state.view) return;
  const t = form.temperature.value.trim();
  /** @type {ipc.Settings} */
  const settings = {
    ...state.view.settings,
    profile: { ...state.view.settings.profile, name: form.name.value.trim() || 'Default', baseUrl: form.baseUrl.value.trim(), model: form.model.value.trim() },
    systemPrompt: form.system.value,
    temperature: t === '' ? null : Number(t),
    theme: /** @type {any} */ (form.theme.value),
    onboarded: true,
  };
  try {
    applyView(await ipc.saveSettings(settings));
    ui.settings.close();
  } catch (e) {
    form.error.textContent = /** @type {any} */ (e).message ?? String(e);
  }
});

form.theme.addEventListener('change', () => applyTheme(/** @type {any} */ (form.theme.value)));
ui.settings.addEventListener('close', () => state.view && applyTheme(state.view.settings.theme));

// ------------------------------------------------------------------ first run

function showChat() {
  ui.welcome.hidden = true;
  ui.app.hidden = false;
  ui.input.focus();
}

async function finishWelcome(patch) {
  if (!state.view) return;
  const settings = { ...state.view.settings, ...patch, profile: { ...state.view.settings.profile, ...(patch.profile ?? {}) }, onboarded: true };
  applyView(await ipc.saveSettings(settings));
  showChat();
}

$('#w-key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('#w-key'));
  const status = $('#w-key-status');
  try {
    state.key = await ipc.setApiKey(input.value, state.view?.settings.profile.id);
    input.value = '';
    await finishWelcome({});
  } catch (e) {
    status.textContent = /** @type {any} */ (e).message ?? String(e);
  }
});

$('#w-local-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const baseUrl = /** @type {HTMLInputElement} */ ($('#w-base-url')).value.trim();
  const status = $('#w-local-status');
  status.textContent = 'Connecting…';
  try {
    const models = await ipc.listModels(baseUrl);
    await finishWelcome({ profile: { name: 'Local server', baseUrl, model: models[0] ?? state.view?.settings.profile.model } });
  } catch (e) {
    status.textContent = `${describeError(/** @type {any} */ (e)).detail} Check that the server is running, then try again.`;
  }
});

// ------------------------------------------------------------------ start

async function boot() {
  ipc.onSettingsChanged(applyView);
  const view = await ipc.getSettings();
  applyView(view);
  if (view.notice) showNotice(view.notice);
  state.key = await ipc.apiKeyStatus(view.settings.profile.id).catch(() => null);
  const local = /** @type {HTMLInputElement} */ ($('#w-base-url'));
  if (view.baseUrlFromEnv) local.value = view.effectiveBaseUrl;
  if (!view.settings.onboarded && !state.key?.present) {
    ui.app.hidden = true;
    ui.welcome.hidden = false;
    $('#w-key').focus();
  } else {
    showChat();
  }
}

boot().catch((e) => showNotice(`Palaver could not start: ${e.message ?? e}`));
