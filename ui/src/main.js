// The main window: welcome, conversation, composer, settings. Plain DOM; Rust does the work.

import * as ipc from './ipc.js';
import { createMarkdown } from './markdown.js';
import { StreamRenderer } from './stream-renderer.js';
import { decorateCodeBlocks } from './code-blocks.js';
import { describeError } from './errors.js';
import { groupByRecency, snippetParts } from './groups.js';

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
  sidebar: $('#sidebar'),
  list: $('#conversation-list'),
  title: $('#conversation-title'),
  search: /** @type {HTMLDialogElement} */ ($('#search')),
  searchInput: /** @type {HTMLInputElement} */ ($('#search-input')),
  searchResults: $('#search-results'),
  searchStatus: $('#search-status'),
};

const state = {
  /** @type {ipc.SettingsView | null} */ view: null,
  /** @type {ipc.KeyStatus | null} */ key: null,
  /** @type {string | null} */ conversationId: null,
  /** @type {Exchange | null} */ active: null,
  /** @type {ipc.ConversationView | null} */ conversation: null,
  /** @type {ipc.ConversationSummary[]} */ list: [],
};

/** How many messages are rendered at once; earlier ones on request. */
const SLICE = 40;

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

/**
 * The notice bar under the top bar: a message, optional action buttons, and a button
 * that puts it away.
 * @param {string} text
 * @param {{ actions?: HTMLButtonElement[], dismiss?: string }} [options]
 */
function showNotice(text, { actions = [], dismiss = 'Dismiss' } = {}) {
  ui.notice.replaceChildren(el('span', '', text));
  const close = el('button', 'ghost', dismiss);
  close.type = 'button';
  close.addEventListener('click', () => { ui.notice.hidden = true; });
  ui.notice.append(...actions, close);
  ui.notice.hidden = false;
}

/**
 * Looks for a new release. A check the person asked for always says how it went; the one
 * at start-up speaks only when there is something to install.
 * @param {{ asked: boolean }} options
 * @returns {Promise<string>} what to tell the person
 */
async function checkForUpdates({ asked }) {
  /** @type {ipc.UpdateStatus} */
  let result;
  try {
    result = await ipc.checkForUpdates();
  } catch (e) {
    result = { status: 'failed', message: /** @type {any} */ (e).message ?? String(e) };
  }
  if (result.status === 'available') {
    const install = el('button', '', 'Install and restart');
    install.type = 'button';
    install.addEventListener('click', async () => {
      install.disabled = true;
      install.textContent = 'Installing…';
      try {
        await ipc.installUpdate();
      } catch (e) {
        showNotice(/** @type {any} */ (e).message ?? String(e));
      }
    });
    showNotice(`Palaver ${result.version} is available.`, { actions: [/** @type {HTMLButtonElement} */ (install)], dismiss: 'Later' });
    return `Palaver ${result.version} is available.`;
  }
  const message = {
    notConfigured: 'This copy of Palaver was not built by the Palaver release pipeline, so it does not update itself: updates come from where you installed it.',
    upToDate: `Palaver ${'current' in result ? result.current : ''} is the newest version.`,
    failed: 'message' in result ? result.message : '',
  }[result.status];
  if (asked && !ui.settings.open) showNotice(message);
  return message;
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
  /**
   * A reply being streamed, shown after its question.
   * @param {string} text the question
   * @param {boolean} showQuestion false when the question is already on screen (regenerate)
   */
  constructor(text, showQuestion = true) {
    this.text = text;
    /** @type {string | null} */ this.streamId = null;
    /** @type {string | null} */ this.messageId = null;
    this.reply = el('article', 'msg assistant');
    this.reply.setAttribute('aria-label', 'Palaver');
    ui.empty.hidden = true;
    if (showQuestion) ui.log.append(userArticle(text));
    ui.log.append(this.reply);
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
        this.messageId = event.messageId ?? null;
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
    const wasActive = state.active === this;
    this.renderer.finish();
    if (this.pendingReasoning) this.reasoningText.append(this.pendingReasoning);
    this.pendingReasoning = '';
    this.thinking.querySelector('summary').textContent = 'Thought';
    this.reply.classList.remove('waiting');
    this.reply.removeAttribute('aria-busy');
    if (wasActive) {
      setStreaming(null);
      // Show the stored version: ids, versions and actions come from the history.
      if (state.conversationId) openConversation(state.conversationId, { stayAtBottom: true });
    }
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
    showError(this.status, error, () => {
      if (this.messageId) send(this.text, { kind: 'regenerate', messageId: this.messageId });
      else send(this.text);
    });
    keepScrolled(this.wasNearBottom);
  }
}

/**
 * An error in place: what it means, the server's words, Retry, and the settings when the
 * fix is there.
 * @param {HTMLElement} status
 * @param {{ kind: string, message: string, retryAfterSecs?: number }} error
 * @param {() => void} retry
 */
function showError(status, error, retry) {
  const { title, detail, action } = describeError(error);
  status.hidden = false;
  status.className = 'status error';
  status.setAttribute('role', 'alert');
  const text = el('div', 'error-text');
  text.append(el('strong', '', title), el('span', 'error-detail', detail));
  const buttons = el('div', 'error-actions');
  const again = el('button', '', 'Retry');
  again.type = 'button';
  again.addEventListener('click', retry);
  buttons.append(again);
  if (action === 'settings') {
    const open = el('button', 'ghost', 'Open settings');
    open.type = 'button';
    open.addEventListener('click', () => openSettings());
    buttons.append(open);
  }
  status.replaceChildren(text, buttons);
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
 * Sends a question, another answer to one, or an edited one.
 * @param {string} text
 * @param {ipc.SendMode} [mode]
 */
async function send(text, mode = { kind: 'ask' }) {
  if (state.active) return;
  if (mode.kind !== 'ask') removeFrom(mode.messageId);
  const exchange = new Exchange(text, mode.kind !== 'regenerate');
  setStreaming(exchange);
  try {
    const ack = await ipc.sendMessage({
      conversationId: state.conversationId,
      text,
      mode,
      onEvent: (event) => exchange.handle(event),
    });
    state.conversationId = ack.conversationId;
    exchange.streamId = ack.streamId;
    exchange.messageId = ack.messageId;
    markActiveInList();
  } catch (error) {
    // Nothing was sent. The question stays on screen, and in the composer if it is empty.
    state.active = null;
    exchange.end();
    setStreaming(null);
    exchange.fail(/** @type {any} */ (error));
    if (!ui.input.value && mode.kind === 'ask') ui.input.value = text;
    autosize();
  }
}

/** Removes a message's article and everything after it (a new version replaces them). */
function removeFrom(messageId) {
  const article = ui.log.querySelector(`article[data-id="${CSS.escape(messageId)}"]`);
  if (!article) return;
  let node = /** @type {Element | null} */ (article);
  while (node) {
    const next = node.nextElementSibling;
    node.remove();
    node = next;
  }
}

function stop() {
  const active = state.active;
  if (active?.streamId) ipc.cancelStream(active.streamId).catch(() => {});
}

function clearLog() {
  for (const node of [...ui.log.children]) if (node !== ui.empty) node.remove();
}

function newChat() {
  if (state.active) stop();
  state.conversationId = null;
  state.conversation = null;
  clearLog();
  ui.empty.hidden = false;
  ui.title.textContent = 'Palaver';
  markActiveInList();
  closeSidebarIfOverlay();
  ui.input.focus();
}

// ------------------------------------------------------------------ stored conversations

/** @param {string} text */
function userArticle(text) {
  const article = el('article', 'msg user');
  article.setAttribute('aria-label', 'You');
  article.append(el('div', 'bubble', text));
  return article;
}

/** The "‹ 2 / 3 ›" control for a message with several versions. */
function versionControl(m) {
  const index = m.versions.indexOf(m.id);
  const box = el('div', 'versions');
  const prev = el('button', 'ghost icon', '‹');
  prev.type = 'button';
  prev.setAttribute('aria-label', 'Previous version');
  prev.disabled = index <= 0;
  const next = el('button', 'ghost icon', '›');
  next.type = 'button';
  next.setAttribute('aria-label', 'Next version');
  next.disabled = index >= m.versions.length - 1;
  const label = el('span', 'version-label', `${index + 1} / ${m.versions.length}`);
  const go = async (i) => {
    if (state.active) return;
    showView(await ipc.showVersion(m.versions[i]), { keepScroll: true });
  };
  prev.addEventListener('click', () => go(index - 1));
  next.addEventListener('click', () => go(index + 1));
  box.append(prev, label, next);
  return box;
}

/** @param {ipc.StoredMessage} m @param {boolean} isLast */
function storedArticle(m, isLast) {
  if (m.role === 'user') {
    const article = userArticle(m.content);
    article.dataset.id = m.id;
    const actions = el('div', 'msg-actions');
    if (m.versions.length > 1) actions.append(versionControl(m));
    const edit = el('button', 'ghost small-button', 'Edit');
    edit.type = 'button';
    edit.addEventListener('click', () => startEdit(article, m));
    actions.append(edit);
    article.append(actions);
    return article;
  }
  const article = el('article', 'msg assistant');
  article.setAttribute('aria-label', 'Palaver');
  article.dataset.id = m.id;
  if (m.reasoning) {
    const thinking = /** @type {HTMLDetailsElement} */ (el('details', 'thinking'));
    thinking.append(el('summary', '', 'Thought'), el('div', 'reasoning', m.reasoning));
    article.append(thinking);
  }
  const content = el('div', 'content');
  article.append(content);
  const renderer = new StreamRenderer(content, markdown, { decorate: (block) => decorateCodeBlocks(block, copyText), schedule: (fn) => fn() });
  renderer.append(m.content);
  renderer.finish();
  const status = el('div', 'status');
  status.hidden = true;
  article.append(status);
  const question = () => state.conversation?.messages.find((x) => x.id === m.parentId)?.content ?? '';
  if (m.status === 'error') {
    showError(status, { kind: m.errorKind ?? '', message: m.errorMessage ?? '' }, () => send(question(), { kind: 'regenerate', messageId: m.id }));
  } else if (m.status === 'cancelled') {
    status.hidden = false;
    status.className = 'status note';
    status.textContent = 'Stopped. The reply so far is kept.';
  } else if (m.status === 'interrupted') {
    status.hidden = false;
    status.className = 'status note';
    status.textContent = 'Interrupted — Palaver or the connection stopped before the reply was complete. The text so far is kept.';
  } else if (m.finishReason === 'length') {
    status.hidden = false;
    status.className = 'status note';
    status.textContent = 'The reply reached the model’s length limit.';
  }
  const actions = el('div', 'msg-actions');
  if (m.versions.length > 1) actions.append(versionControl(m));
  if (isLast && m.status !== 'streaming' && m.status !== 'error') {
    const again = el('button', 'ghost small-button', m.status === 'complete' ? 'Regenerate' : 'Retry');
    again.type = 'button';
    again.addEventListener('click', () => send(question(), { kind: 'regenerate', messageId: m.id }));
    actions.append(again);
  }
  if (m.completionTokens !== null) actions.append(el('span', 'meta', `${m.promptTokens ?? 0} tokens in, ${m.completionTokens} out`));
  article.append(actions);
  return article;
}

/** Replaces a question with an editor; saving sends the edit as a new version. */
function startEdit(article, m) {
  if (state.active) return;
  const box = el('div', 'edit-box');
  const area = /** @type {HTMLTextAreaElement} */ (el('textarea'));
  area.value = m.content;
  area.setAttribute('aria-label', 'Edit message');
  const row = el('div', 'row end');
  const cancel = el('button', 'ghost', 'Cancel');
  cancel.type = 'button';
  const save = el('button', '', 'Save and send');
  save.type = 'button';
  row.append(cancel, save);
  box.append(area, row);
  const old = [...article.children];
  article.replaceChildren(box);
  area.focus();
  cancel.addEventListener('click', () => article.replaceChildren(...old));
  save.addEventListener('click', () => {
    if (area.value.trim()) send(area.value, { kind: 'edit', messageId: m.id });
  });
}

/**
 * Renders a conversation, the newest SLICE messages first; earlier ones on request.
 * @param {ipc.ConversationView} view
 * @param {{ scrollTo?: string | null, keepScroll?: boolean, stayAtBottom?: boolean }} [options]
 */
function showView(view, options = {}) {
  const scrollTop = ui.log.scrollTop;
  state.conversation = view;
  state.conversationId = view.conversation.id;
  ui.title.textContent = view.conversation.title || 'Palaver';
  clearLog();
  ui.empty.hidden = view.messages.length > 0;
  const messages = view.messages;
  let start = Math.max(0, messages.length - SLICE);
  if (options.scrollTo) {
    const at = messages.findIndex((m) => m.id === options.scrollTo);
    if (at >= 0) start = Math.min(start, Math.max(0, at - 5));
  }
  const renderRange = (from, to, before) => {
    const frag = document.createDocumentFragment();
    for (let i = from; i < to; i++) frag.append(storedArticle(messages[i], i === messages.length - 1));
    ui.log.insertBefore(frag, before);
  };
  renderRange(start, messages.length, null);
  if (start > 0) {
    const more = el('button', 'ghost load-earlier', `Show ${Math.min(SLICE, start)} earlier messages`);
    more.type = 'button';
    let from = start;
    more.addEventListener('click', () => {
      const height = ui.log.scrollHeight;
      const to = from;
      from = Math.max(0, from - SLICE);
      renderRange(from, to, more.nextSibling);
      if (from === 0) more.remove();
      else more.textContent = `Show ${Math.min(SLICE, from)} earlier messages`;
      ui.log.scrollTop += ui.log.scrollHeight - height;
    });
    ui.log.insertBefore(more, ui.empty.nextSibling);
  }
  markActiveInList();
  if (options.scrollTo) {
    const target = ui.log.querySelector(`article[data-id="${CSS.escape(options.scrollTo)}"]`);
    if (target) {
      target.scrollIntoView({ block: 'center' });
      target.classList.add('found');
      setTimeout(() => target.classList.remove('found'), 2000);
    }
  } else if (options.keepScroll) {
    ui.log.scrollTop = scrollTop;
  } else {
    ui.log.scrollTop = ui.log.scrollHeight;
  }
}

/** @param {string} id @param {{ scrollTo?: string | null, stayAtBottom?: boolean }} [options] */
async function openConversation(id, options = {}) {
  try {
    const view = await ipc.getConversation(id);
    if (state.active) return; // a new reply started meanwhile; it will refresh when it ends
    showView(view, options);
    closeSidebarIfOverlay();
  } catch (e) {
    showNotice(/** @type {any} */ (e).message ?? String(e));
  }
}

// ------------------------------------------------------------------ sidebar

let openMenu = /** @type {HTMLElement | null} */ (null);
let listTimer = 0;
function closeMenu() {
  openMenu?.remove();
  openMenu = null;
}
document.addEventListener('click', (e) => {
  if (openMenu && !openMenu.contains(/** @type {Node} */ (e.target))) closeMenu();
}, true);

function markActiveInList() {
  for (const item of ui.list.querySelectorAll('.conv-open')) {
    if (/** @type {HTMLElement} */ (item).dataset.id === state.conversationId) item.setAttribute('aria-current', 'page');
    else item.removeAttribute('aria-current');
  }
}

async function refreshList() {
  // Not under an open item menu: it would vanish under the pointer. Try again shortly.
  if (openMenu) {
    clearTimeout(listTimer);
    listTimer = setTimeout(refreshList, 300);
    return;
  }
  try {
    state.list = await ipc.listConversations();
  } catch (e) {
    showNotice(/** @type {any} */ (e).message ?? String(e));
    return;
  }
  const frag = document.createDocumentFragment();
  if (state.list.length === 0) frag.append(el('p', 'muted small empty-list', 'Your conversations will appear here.'));
  for (const group of groupByRecency(state.list)) {
    frag.append(el('h3', 'group-label', group.label));
    const ul = el('ul', 'conv-group');
    for (const c of group.items) {
      const li = el('li', 'conv-item');
      const open = el('button', 'conv-open', c.title || 'New chat');
      open.type = 'button';
      open.dataset.id = c.id;
      open.title = c.title;
      open.addEventListener('click', () => { if (!state.active) openConversation(c.id); });
      const more = el('button', 'conv-menu ghost icon', '⋯');
      more.type = 'button';
      more.setAttribute('aria-label', `Actions for “${c.title}”`);
      more.setAttribute('aria-haspopup', 'menu');
      more.addEventListener('click', (e) => { e.stopPropagation(); showItemMenu(li, c); });
      li.append(open, more);
      ul.append(li);
    }
    frag.append(ul);
  }
  ui.list.replaceChildren(frag);
  markActiveInList();
}

/** @param {HTMLElement} li @param {ipc.ConversationSummary} c */
function showItemMenu(li, c) {
  closeMenu();
  const menu = el('div', 'menu');
  menu.setAttribute('role', 'menu');
  const item = (label, action) => {
    const b = el('button', 'menu-item', label);
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.addEventListener('click', async () => {
      closeMenu();
      try { await action(); } catch (e) { showNotice(/** @type {any} */ (e).message ?? String(e)); }
    });
    menu.append(b);
    return b;
  };
  item('Rename', () => renameDialog(c));
  item(c.pinned ? 'Unpin' : 'Pin', () => ipc.setPinned(c.id, !c.pinned));
  item('Export as Markdown', async () => reportExport(await ipc.exportConversation(c.id, 'markdown')));
  item('Export as JSON', async () => reportExport(await ipc.exportConversation(c.id, 'json')));
  item('Delete', () => confirmDelete(c)).classList.add('danger-text');
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { closeMenu(); li.querySelector('.conv-menu')?.focus(); } });
  li.append(menu);
  openMenu = menu;
  /** @type {HTMLElement} */ (menu.firstElementChild)?.focus();
}

/** @param {string | null} path */
function reportExport(path) {
  if (path) showNotice(`Saved to ${path}`);
}

/** @param {ipc.ConversationSummary} c */
function renameDialog(c) {
  const dialog = /** @type {HTMLDialogElement} */ ($('#rename'));
  const input = /** @type {HTMLInputElement} */ ($('#rename-input'));
  input.value = c.title;
  dialog.showModal();
  input.select();
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'cancel' && input.value.trim() && input.value.trim() !== c.title) {
      await ipc.renameConversation(c.id, input.value.trim()).catch((e) => showNotice(e.message ?? String(e)));
      if (state.conversationId === c.id) ui.title.textContent = input.value.trim();
    }
  };
}

/** @param {ipc.ConversationSummary} c */
function confirmDelete(c) {
  const dialog = /** @type {HTMLDialogElement} */ ($('#confirm'));
  $('#confirm-text').textContent = `“${c.title}” and all its messages will be removed from this machine. This cannot be undone.`;
  dialog.returnValue = 'cancel';
  dialog.showModal();
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'yes') return;
    await ipc.deleteConversation(c.id).catch((e) => showNotice(e.message ?? String(e)));
    if (state.conversationId === c.id) newChat();
  };
}
$('#confirm-yes').addEventListener('click', (e) => {
  e.preventDefault();
  /** @type {HTMLDialogElement} */ ($('#confirm')).close('yes');
});
for (const b of document.querySelectorAll('[data-close]')) {
  b.addEventListener('click', () => /** @type {HTMLDialogElement} */ (b.closest('dialog')).close('cancel'));
}

const overlayQuery = window.matchMedia('(max-width: 760px)');
function closeSidebarIfOverlay() {
  if (overlayQuery.matches) {
    ui.app.classList.remove('sidebar-open');
    $('#toggle-sidebar').setAttribute('aria-expanded', 'false');
  }
}
$('#toggle-sidebar').addEventListener('click', () => {
  const open = ui.app.classList.toggle('sidebar-open');
  $('#toggle-sidebar').setAttribute('aria-expanded', String(open));
  if (open) /** @type {HTMLElement | null} */ (ui.list.querySelector('.conv-open'))?.focus();
});

// ------------------------------------------------------------------ search

let searchTimer = 0;
let searchSeq = 0;
function openSearch() {
  ui.searchInput.value = '';
  ui.searchResults.replaceChildren();
  ui.searchStatus.textContent = 'Type to search titles and messages.';
  ui.search.showModal();
  ui.searchInput.focus();
}

async function runSearch() {
  const query = ui.searchInput.value;
  const seq = ++searchSeq;
  if (!query.trim()) {
    ui.searchResults.replaceChildren();
    ui.searchStatus.textContent = 'Type to search titles and messages.';
    return;
  }
  let hits;
  try {
    hits = await ipc.searchHistory(query);
  } catch (e) {
    ui.searchStatus.textContent = /** @type {any} */ (e).message ?? String(e);
    return;
  }
  if (seq !== searchSeq) return; // a newer query is on its way
  const frag = document.createDocumentFragment();
  for (const hit of hits) {
    const b = el('button', 'search-hit');
    b.type = 'button';
    b.setAttribute('role', 'listitem');
    const snippet = el('span', 'snippet');
    for (const part of snippetParts(hit.snippet)) snippet.append(part.marked ? el('mark', '', part.text) : document.createTextNode(part.text));
    b.append(el('strong', '', hit.title), snippet);
    b.addEventListener('click', () => {
      ui.search.close();
      if (!state.active) openConversation(hit.conversationId, { scrollTo: hit.messageId });
    });
    frag.append(b);
  }
  ui.searchResults.replaceChildren(frag);
  ui.searchStatus.textContent = hits.length ? `${hits.length} result${hits.length === 1 ? '' : 's'}` : 'Nothing found.';
}

ui.searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 120);
});
ui.searchInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    /** @type {HTMLElement | null} */ (ui.searchResults.querySelector('.search-hit'))?.click();
  }
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    /** @type {HTMLElement | null} */ (ui.searchResults.querySelector('.search-hit'))?.focus();
  }
});
ui.searchResults.addEventListener('keydown', (e) => {
  const current = /** @type {HTMLElement} */ (document.activeElement);
  if (e.key === 'ArrowDown') { e.preventDefault(); /** @type {HTMLElement | null} */ (current.nextElementSibling)?.focus(); }
  if (e.key === 'ArrowUp') {
    e.preventDefault();
    const prev = /** @type {HTMLElement | null} */ (current.previousElementSibling);
    (prev ?? ui.searchInput).focus();
  }
});
$('#open-search').addEventListener('click', openSearch);

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
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'q') {
    event.preventDefault();
    ipc.quitApp();
  }
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
    event.preventDefault();
    if (!ui.search.open) openSearch();
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
  cleartext: $('#s-cleartext'),
  allowCleartext: /** @type {HTMLInputElement} */ ($('#s-allow-cleartext')),
  key: /** @type {HTMLInputElement} */ ($('#s-key')),
  saveKey: $('#s-save-key'),
  clearKey: /** @type {HTMLButtonElement} */ ($('#s-clear-key')),
  system: /** @type {HTMLTextAreaElement} */ ($('#s-system')),
  temperature: /** @type {HTMLInputElement} */ ($('#s-temperature')),
  theme: /** @type {HTMLSelectElement} */ ($('#s-theme')),
  shortcut: /** @type {HTMLInputElement} */ ($('#s-shortcut')),
  closeToTray: /** @type {HTMLInputElement} */ ($('#s-close-to-tray')),
  startAtLogin: /** @type {HTMLInputElement} */ ($('#s-start-at-login')),
  notify: /** @type {HTMLInputElement} */ ($('#s-notify')),
  checkUpdates: /** @type {HTMLInputElement} */ ($('#s-check-updates')),
  error: $('#s-error'),
  dataDir: $('#s-data-dir'),
  save: $('#s-save'),
  cancel: $('#s-cancel'),
};

/** The server the form points at: its base URL, else the one in effect. */
function formBaseUrl() {
  return form.baseUrl.value.trim() || state.view?.effectiveBaseUrl || '';
}

/** @param {string} url @returns {URL | null} */
function parseUrl(url) {
  try { return new URL(url); } catch { return null; }
}

/** Plain http to another machine: a key sent there travels in cleartext. */
function isCleartextRemote(/** @type {string} */ url) {
  const u = parseUrl(url);
  if (!u || u.protocol !== 'http:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return !loopback;
}

function showCleartextChoice() {
  form.cleartext.hidden = !isCleartextRemote(formBaseUrl());
}

/** @param {ipc.KeyStatus} status */
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
  ui.settings.showModal();
  await refreshKey().catch((e) => { form.keyStatus.textContent = e.message ?? String(e); });
}

form.baseUrl.addEventListener('input', () => {
  showCleartextChoice();
  form.modelStatus.textContent = '';
  if (state.key) form.keyStatus.textContent = describeKey(state.key);
});

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
    state.key = await ipc.setApiKey(key, state.view?.settings.profile.id, formBaseUrl());
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
    profile: { ...state.view.settings.profile, name: form.name.value.trim() || 'Default', baseUrl: form.baseUrl.value.trim(), model: form.model.value.trim(), allowCleartextKey: form.allowCleartext.checked },
    systemPrompt: form.system.value,
    temperature: t === '' ? null : Number(t),
    theme: /** @type {any} */ (form.theme.value),
    quickAskShortcut: form.shortcut.value,
    closeToTray: form.closeToTray.checked,
    startAtLogin: form.startAtLogin.checked,
    notifyWhenDone: form.notify.checked,
    checkForUpdates: form.checkUpdates.checked,
    onboarded: true,
  };
  try {
    applyView(await ipc.saveSettings(settings));
    ui.settings.close();
  } catch (e) {
    form.error.textContent = /** @type {any} */ (e).message ?? String(e);
  }
});

$('#s-check-now').addEventListener('click', async () => {
  const status = $('#s-update-status');
  status.textContent = 'Checking…';
  status.textContent = await checkForUpdates({ asked: true });
});

$('#s-export-all').addEventListener('click', async () => {
  const status = $('#s-history-status');
  try {
    const path = await ipc.exportConversation(null, 'json');
    status.textContent = path ? `Saved to ${path}` : '';
  } catch (e) {
    status.textContent = /** @type {any} */ (e).message ?? String(e);
  }
});
/** @param {ipc.ImportReport} report */
function describeImport(report) {
  const parts = [`Imported ${report.conversationsAdded} conversations (${report.messagesAdded} messages); ${report.conversationsSkipped} were already here.`];
  if (report.rejected.length) {
    const named = report.rejected.slice(0, 3).map((r) => `“${r.title || r.id || 'untitled'}”: ${r.reason}`).join(' ');
    const more = report.rejected.length > 3 ? ` …and ${report.rejected.length - 3} more.` : '';
    parts.push(`${report.rejected.length} could not be imported. ${named}${more}`);
  }
  if (report.cancelled) parts.push('The import was cancelled; what was imported before stays.');
  return parts.join(' ');
}

$('#s-import').addEventListener('click', async () => {
  const status = $('#s-history-status');
  const importButton = /** @type {HTMLButtonElement} */ ($('#s-import'));
  const cancel = $('#s-cancel-import');
  const progress = /** @type {HTMLProgressElement} */ ($('#s-import-progress'));
  importButton.disabled = true;
  try {
    const report = await ipc.importHistory(({ done, total }) => {
      progress.hidden = false;
      cancel.hidden = false;
      progress.max = Math.max(total, 1);
      progress.value = done;
      status.textContent = `Importing… ${done} of ${total} conversations`;
    });
    if (report) status.textContent = describeImport(report);
  } catch (e) {
    status.textContent = /** @type {any} */ (e).message ?? String(e);
  } finally {
    importButton.disabled = false;
    cancel.hidden = true;
    progress.hidden = true;
  }
});
$('#s-cancel-import').addEventListener('click', () => { ipc.cancelImport().catch(() => {}); });

// The shortcut field records the combination pressed while it has focus.
const KEY_NAMES = { ' ': 'Space', ArrowUp: 'Up', ArrowDown: 'Down', ArrowLeft: 'Left', ArrowRight: 'Right' };
form.shortcut.addEventListener('focus', () => { form.shortcut.placeholder = 'Press the keys…'; });
form.shortcut.addEventListener('keydown', (event) => {
  if (event.key === 'Tab' || event.key === 'Escape') return;
  event.preventDefault();
  if (['Control', 'Shift', 'Alt', 'Meta'].includes(event.key)) return;
  const parts = [];
  if (event.ctrlKey || event.metaKey) parts.push('CommandOrControl');
  if (event.altKey) parts.push('Alt');
  if (event.shiftKey) parts.push('Shift');
  const key = KEY_NAMES[event.key] ?? (event.key.length === 1 ? event.key.toUpperCase() : event.key);
  parts.push(key);
  form.shortcut.value = parts.join('+');
});
$('#s-shortcut-reset').addEventListener('click', () => { form.shortcut.value = 'CommandOrControl+Shift+Space'; });

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
  ipc.onHistoryChanged(() => {
    clearTimeout(listTimer);
    listTimer = setTimeout(refreshList, 80);
  });
  ipc.onSaveFailed(showNotice);
  ipc.onOpenConversation((id) => { if (!state.active) openConversation(id); });
  ipc.onUpdateCheckRequested(() => checkForUpdates({ asked: true }));
  refreshList();
  const requested = new URLSearchParams(location.search).get('open');
  const view = await ipc.getSettings();
  applyView(view);
  if (view.notice) showNotice(view.notice);
  else if (view.settings.checkForUpdates) checkForUpdates({ asked: false });
  state.key = await ipc.apiKeyStatus(view.settings.profile.id).catch(() => null);
  const local = /** @type {HTMLInputElement} */ ($('#w-base-url'));
  if (view.baseUrlFromEnv) local.value = view.effectiveBaseUrl;
  if (!view.settings.onboarded && !state.key?.present) {
    ui.app.hidden = true;
    ui.welcome.hidden = false;
    $('#w-key').focus();
  } else {
    showChat();
    if (requested) openConversation(requested);
  }
}

boot().catch((e) => showNotice(`Palaver could not start: ${e.message ?? e}`));
