// A stored conversation in the main window's log: the newest messages (earlier ones on
// request), each with its actions — "‹ 2 / 3 ›" between versions, Edit on a question,
// Regenerate (or Retry) and "Regenerate with…" on the last reply, and on each reply the model
// that wrote it (with its profile's name when the conversation used several) — and the editor that stands in for a question being
// edited. What the actions do is the chat's, passed in.

import { button, el } from '../dom.js';

/** @typedef {import('../ipc.js').ConversationView} ConversationView */
/** @typedef {import('../ipc.js').StoredMessage} StoredMessage */
/** @typedef {import('../ipc.js').SendMode} SendMode */
/** @typedef {import('../ipc.js').ModelChoice} ModelChoice */
/** @typedef {import('./conversation.js').MessageViews} MessageViews */
/** @typedef {{ scrollTo?: string | null, keepScroll?: boolean, stayAtBottom?: boolean }} ShowOptions */

/** How many messages are rendered at once; earlier ones on request. */
const SLICE = 40;

/**
 * @param {{
 *   log: HTMLElement,
 *   empty: HTMLElement,
 *   views: MessageViews,
 *   isBusy: () => boolean,
 *   send: (text: string, mode: SendMode, model?: ModelChoice) => void,
 *   showVersion: (messageId: string) => void,
 *   openSettings: () => void,
 *   profileName: (id: string) => string,
 *   pickModel: (anchor: HTMLElement, onPick: (choice: ModelChoice) => void) => void,
 * }} deps
 */
export function createTranscript({ log, empty, views, isBusy, send, showVersion, openSettings, profileName, pickModel }) {
  /**
   * The "‹ 2 / 3 ›" control for a message with several versions.
   * @param {StoredMessage} m
   */
  function versionControl(m) {
    const index = m.versions.indexOf(m.id);
    /** @param {number} i */
    const go = (i) => { if (!isBusy()) showVersion(m.versions[i]); };
    const prev = button('ghost icon', '‹', () => go(index - 1));
    prev.setAttribute('aria-label', 'Previous version');
    prev.disabled = index <= 0;
    const next = button('ghost icon', '›', () => go(index + 1));
    next.setAttribute('aria-label', 'Next version');
    next.disabled = index >= m.versions.length - 1;
    const box = el('div', 'versions');
    box.append(prev, el('span', 'version-label', `${index + 1} / ${m.versions.length}`), next);
    return box;
  }

  /**
   * Replaces a question with an editor; saving sends the edit as a new version.
   * @param {HTMLElement} article
   * @param {StoredMessage} m
   */
  function startEdit(article, m) {
    if (isBusy()) return;
    const area = el('textarea');
    area.value = m.content;
    area.setAttribute('aria-label', 'Edit message');
    const old = [...article.children];
    const cancel = button('ghost', 'Cancel', () => article.replaceChildren(...old));
    const save = button('', 'Save and send', () => {
      if (area.value.trim()) send(area.value, { kind: 'edit', messageId: m.id });
    });
    const row = el('div', 'row end');
    row.append(cancel, save);
    const box = el('div', 'edit-box');
    box.append(area, row);
    article.replaceChildren(box);
    area.focus();
  }

  /**
   * @param {StoredMessage} m
   * @param {boolean} isLast
   * @param {ConversationView} conversation
   * @param {boolean} severalProfiles whether its replies came through more than one profile
   */
  function storedArticle(m, isLast, conversation, severalProfiles) {
    const actions = el('div', 'msg-actions');
    if (m.versions.length > 1) actions.append(versionControl(m));
    if (m.role === 'user') {
      const article = views.userMessage(m.content);
      article.dataset.id = m.id;
      actions.append(button('ghost small-button', 'Edit', () => startEdit(article, m)));
      article.append(actions);
      return article;
    }
    const question = () => conversation.messages.find((x) => x.id === m.parentId)?.content ?? '';
    const regenerate = () => send(question(), { kind: 'regenerate', messageId: m.id });
    const article = views.storedReply(m, { retry: regenerate, openSettings });
    if (isLast && m.status !== 'streaming' && m.status !== 'error') {
      actions.append(button('ghost small-button', m.status === 'complete' ? 'Regenerate' : 'Retry', regenerate));
    }
    if (isLast && m.status !== 'streaming') {
      const other = button('ghost small-button', 'Regenerate with…', () => {
        if (!isBusy()) pickModel(other, (choice) => send(question(), { kind: 'regenerate', messageId: m.id }, choice));
      });
      other.setAttribute('aria-haspopup', 'listbox');
      other.setAttribute('aria-expanded', 'false');
      actions.append(other);
    }
    if (m.model) {
      const writer = severalProfiles && m.profile ? `${m.model} · ${profileName(m.profile)}` : m.model;
      const tag = el('span', 'meta model-tag', writer);
      tag.title = `Written by ${m.model}${m.profile ? ` through ${profileName(m.profile)}` : ''}`;
      actions.append(tag);
    }
    if (m.completionTokens !== null) actions.append(el('span', 'meta', `${m.promptTokens ?? 0} tokens in, ${m.completionTokens} out`));
    article.append(actions);
    return article;
  }

  /** Empties the log but for the empty-state placeholder. */
  function clear() {
    for (const node of [...log.children]) if (node !== empty) node.remove();
  }

  /**
   * Removes a message's article and everything after it (a new version replaces them).
   * @param {string} messageId
   */
  function removeFrom(messageId) {
    let node = log.querySelector(`article[data-id="${CSS.escape(messageId)}"]`);
    while (node) {
      const next = node.nextElementSibling;
      node.remove();
      node = next;
    }
  }

  /**
   * Renders a conversation, the newest SLICE messages first; earlier ones on request.
   * @param {ConversationView} conversation
   * @param {ShowOptions} [options]
   */
  function render(conversation, options = {}) {
    const scrollTop = log.scrollTop;
    clear();
    empty.hidden = conversation.messages.length > 0;
    const messages = conversation.messages;
    const severalProfiles = new Set(messages.filter((m) => m.role === 'assistant' && m.profile).map((m) => m.profile)).size > 1;
    let start = Math.max(0, messages.length - SLICE);
    if (options.scrollTo) {
      const at = messages.findIndex((m) => m.id === options.scrollTo);
      if (at >= 0) start = Math.min(start, Math.max(0, at - 5));
    }
    /** @param {number} from @param {number} to @param {Node | null} before */
    const renderRange = (from, to, before) => {
      const frag = document.createDocumentFragment();
      for (let i = from; i < to; i++) frag.append(storedArticle(messages[i], i === messages.length - 1, conversation, severalProfiles));
      log.insertBefore(frag, before);
    };
    renderRange(start, messages.length, null);
    if (start > 0) {
      let from = start;
      const more = button('ghost load-earlier', `Show ${Math.min(SLICE, start)} earlier messages`, () => {
        const height = log.scrollHeight;
        const to = from;
        from = Math.max(0, from - SLICE);
        renderRange(from, to, more.nextSibling);
        if (from === 0) more.remove();
        else more.textContent = `Show ${Math.min(SLICE, from)} earlier messages`;
        log.scrollTop += log.scrollHeight - height;
      });
      log.insertBefore(more, empty.nextSibling);
    }
    if (options.scrollTo) {
      const target = log.querySelector(`article[data-id="${CSS.escape(options.scrollTo)}"]`);
      if (target) {
        target.scrollIntoView({ block: 'center' });
        target.classList.add('found');
        setTimeout(() => target.classList.remove('found'), 2000);
      }
    } else if (options.keepScroll) {
      log.scrollTop = scrollTop;
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }

  return { render, clear, removeFrom };
}
