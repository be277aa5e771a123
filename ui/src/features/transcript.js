// A stored conversation in the main window's log, and each message's actions: "‹ 2 / 3 ›"
// between versions, Edit on a question, Regenerate (or Retry) and "Regenerate with…" on the
// last reply, and on each reply the model that wrote it (with its profile's name when the
// conversation used several); and the editor that stands in for a question being edited.
// What the actions do is the chat's, passed in.
//
// The log is a virtual list: however long the conversation, only the messages near the
// viewport are in the DOM, between two spacers that stand for the rest at their measured
// height (or an estimate from their length until they have been on screen). Scrolling renders
// what comes into reach, a few milliseconds' worth per frame, and drops what went far out of
// it; whatever is rendered above the reader keeps the text under their eyes where it was
// (WebKit has no scroll anchoring). A reply being written is not part of the list: its
// articles follow it, and when it ends they join it as they are, without being drawn again.

import { button, el } from '../dom.js';

/** @typedef {import('../ipc.js').ConversationView} ConversationView */
/** @typedef {import('../ipc.js').StoredMessage} StoredMessage */
/** @typedef {import('../ipc.js').SendMode} SendMode */
/** @typedef {import('../ipc.js').ModelChoice} ModelChoice */
/** @typedef {import('./conversation.js').MessageViews} MessageViews */
/** @typedef {{ scrollTo?: string | null, keepScroll?: boolean }} ShowOptions */

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
   * A stored message's article, with its actions.
   * @param {StoredMessage} m
   * @param {boolean} isLast
   * @param {ConversationView} view
   * @param {boolean} several whether its replies came through more than one profile
   */
  function storedArticle(m, isLast, view, several) {
    const article = m.role === 'user'
      ? views.userMessage(m.content)
      : views.storedReply(m, { retry: () => regenerate(view, m), openSettings });
    article.dataset.id = m.id;
    article.append(actionsFor(article, m, isLast, view, several));
    return article;
  }

  /**
   * @param {ConversationView} view
   * @param {StoredMessage} m a reply
   * @param {ModelChoice} [model]
   */
  function regenerate(view, m, model) {
    const question = view.messages.find((x) => x.id === m.parentId)?.content ?? '';
    send(question, { kind: 'regenerate', messageId: m.id }, model);
  }

  /**
   * A message's actions row.
   * @param {HTMLElement} article
   * @param {StoredMessage} m
   * @param {boolean} isLast
   * @param {ConversationView} view
   * @param {boolean} several
   */
  function actionsFor(article, m, isLast, view, several) {
    const actions = el('div', 'msg-actions');
    if (m.versions.length > 1) actions.append(versionControl(m));
    if (m.role === 'user') {
      actions.append(button('ghost small-button', 'Edit', () => startEdit(article, m)));
      return actions;
    }
    if (isLast && m.status !== 'streaming' && m.status !== 'error') {
      actions.append(button('ghost small-button', m.status === 'complete' ? 'Regenerate' : 'Retry', () => regenerate(view, m)));
    }
    if (isLast && m.status !== 'streaming') {
      const other = button('ghost small-button', 'Regenerate with…', () => {
        if (!isBusy()) pickModel(other, (choice) => regenerate(view, m, choice));
      });
      other.setAttribute('aria-haspopup', 'listbox');
      other.setAttribute('aria-expanded', 'false');
      actions.append(other);
    }
    if (m.model) {
      const writer = several && m.profile ? `${m.model} · ${profileName(m.profile)}` : m.model;
      const tag = el('span', 'meta model-tag', writer);
      tag.title = `Written by ${m.model}${m.profile ? ` through ${profileName(m.profile)}` : ''}`;
      actions.append(tag);
    }
    if (m.completionTokens !== null) actions.append(el('span', 'meta', `${m.promptTokens ?? 0} tokens in, ${m.completionTokens} out`));
    return actions;
  }

  // ---------------------------------------------------------------- the virtual list

  /** About the height of a message's actions row, until it is measured. */
  const ACTIONS_ROW = 30;
  /** @type {ConversationView | null} */
  let conversation = null;
  /** @type {StoredMessage[]} */
  let messages = [];
  let severalProfiles = false;
  /** Measured heights (with the gap after), by message id. @type {Map<string, number>} */
  const heights = new Map();
  /** The rendered articles, by index: always a contiguous range [first, last). @type {Map<number, HTMLElement>} */
  const rendered = new Map();
  let first = 0;
  let last = 0;
  let gap = -1;
  let updateScheduled = false;
  const top = el('div', 'spacer');
  const bottom = el('div', 'spacer');
  top.setAttribute('aria-hidden', 'true');
  bottom.setAttribute('aria-hidden', 'true');

  /** @param {number} i */
  function heightOf(i) {
    const m = messages[i];
    const known = heights.get(m.id);
    if (known !== undefined) return known;
    // Until it has been on screen: about 90 characters a line, 24 px a line, plus the actions.
    const lines = Math.ceil(m.content.length / 90) + (m.content.match(/\n/g)?.length ?? 0) / 2;
    return (m.role === 'user' ? 52 : 64) + 24 * lines;
  }

  /** @param {number} from @param {number} to */
  function sum(from, to) {
    let total = 0;
    for (let i = from; i < to; i++) total += heightOf(i);
    return total;
  }

  /** @param {number} i @param {HTMLElement} article */
  function measure(i, article) {
    if (gap < 0) gap = parseFloat(getComputedStyle(article).marginBottom) || 0;
    heights.set(messages[i].id, article.offsetHeight + gap);
  }

  /** @param {number} i */
  function articleAt(i) {
    return storedArticle(messages[i], i === messages.length - 1, /** @type {ConversationView} */ (conversation), severalProfiles);
  }

  function setSpacers() {
    setHeight(top, sum(0, first));
    // The bottom spacer is there only when it stands for something, so that a reply drawn
    // live at the end of the list follows the last message directly.
    const below = sum(last, messages.length);
    setHeight(bottom, below);
    if (below > 0 && !bottom.isConnected) afterRange(bottom);
    else if (below === 0) bottom.remove();
  }

  /**
   * A spacer's height, written only when it changes: a write lays out all that follows.
   * @param {HTMLElement} spacer
   * @param {number} px
   */
  function setHeight(spacer, px) {
    const value = `${px}px`;
    if (spacer.style.height !== value) spacer.style.height = value;
  }

  /** Puts a node right after the rendered range. @param {HTMLElement} node */
  function afterRange(node) {
    (last > first ? /** @type {HTMLElement} */ (rendered.get(last - 1)) : top).after(node);
  }

  /** The first rendered article whose bottom is below the top of the viewport, and where it is. */
  function anchor() {
    const viewTop = log.getBoundingClientRect().top;
    for (let i = first; i < last; i++) {
      const a = /** @type {HTMLElement} */ (rendered.get(i));
      const rect = a.getBoundingClientRect();
      if (rect.bottom > viewTop) return { a, y: rect.top };
    }
    return null;
  }

  /** Renders what came into reach of the viewport and drops what went far out of it. */
  function update() {
    updateScheduled = false;
    if (!conversation || messages.length === 0) return;
    const view = log.clientHeight || 800;
    const reach = view * 1.5;
    const keep = view * 3;
    const from = log.scrollTop - reach;
    const to = log.scrollTop + view + reach;
    const held = anchor();
    const deadline = performance.now() + 8;
    // Where each index starts, from the top of the list.
    const starts = new Array(messages.length + 1);
    starts[0] = top.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop;
    for (let i = 0; i < messages.length; i++) starts[i + 1] = starts[i] + heightOf(i);
    let want0 = 0;
    while (want0 < messages.length - 1 && starts[want0 + 1] < from) want0++;
    let want1 = want0;
    while (want1 < messages.length && starts[want1] < to) want1++;
    let more = false;
    if (rendered.size === 0 || want1 <= first || want0 >= last) {
      // Nothing rendered is in reach (a jump): start afresh there.
      for (const a of rendered.values()) a.remove();
      rendered.clear();
      first = want0;
      last = want0;
    }
    while (last < want1) {
      if (performance.now() > deadline) { more = true; break; }
      const a = articleAt(last);
      afterRange(a);
      rendered.set(last, a);
      measure(last, a);
      last++;
    }
    while (first > want0 && last > first) {
      if (performance.now() > deadline) { more = true; break; }
      const a = articleAt(first - 1);
      /** @type {HTMLElement} */ (rendered.get(first)).before(a);
      first--;
      rendered.set(first, a);
      measure(first, a);
    }
    // Far out of reach, and not being edited: dropped.
    const far0 = log.scrollTop - keep;
    const far1 = log.scrollTop + view + keep;
    while (first < last && starts[first + 1] < far0 && !busyArticle(first)) {
      /** @type {HTMLElement} */ (rendered.get(first)).remove();
      rendered.delete(first);
      first++;
    }
    while (last > first && starts[last - 1] > far1 && !busyArticle(last - 1)) {
      /** @type {HTMLElement} */ (rendered.get(last - 1)).remove();
      rendered.delete(last - 1);
      last--;
    }
    setSpacers();
    if (held && held.a.isConnected) {
      const moved = held.a.getBoundingClientRect().top - held.y;
      if (Math.abs(moved) >= 1) log.scrollTop += moved;
    }
    if (more) schedule();
  }

  /** @param {number} i */
  function busyArticle(i) {
    const a = rendered.get(i);
    return !!a && (a.contains(document.activeElement) || a.querySelector('.edit-box') !== null);
  }

  function schedule() {
    if (updateScheduled) return;
    updateScheduled = true;
    requestAnimationFrame(update);
  }

  log.addEventListener('scroll', () => { if (conversation) update(); }, { passive: true });
  new ResizeObserver(() => { if (conversation) schedule(); }).observe(log);

  /**
   * Renders the messages around index `at` and scrolls so that it is at `align` of the view.
   * @param {number} at
   * @param {'end' | 'center'} align
   */
  function showAround(at, align) {
    for (const a of rendered.values()) a.remove();
    rendered.clear();
    const view = log.clientHeight || 800;
    first = at;
    last = at;
    // The target first, then outwards until the view and its reach are full.
    let height = 0;
    while ((last < messages.length && height < view * 2) || last === at) {
      const a = articleAt(last);
      afterRange(a);
      rendered.set(last, a);
      measure(last, a);
      height += heightOf(last);
      last++;
    }
    height = 0;
    while (first > 0 && height < view * 2) {
      const a = articleAt(first - 1);
      /** @type {HTMLElement} */ (rendered.get(first)).before(a);
      first--;
      rendered.set(first, a);
      measure(first, a);
      height += heightOf(first);
    }
    setSpacers();
    const target = /** @type {HTMLElement} */ (rendered.get(at));
    if (align === 'end') log.scrollTop = log.scrollHeight;
    else target.scrollIntoView({ block: 'center' });
  }

  /** Empties the log but for the empty-state placeholder. */
  function clear() {
    for (const node of [...log.children]) if (node !== empty) node.remove();
    rendered.clear();
    messages = [];
    conversation = null;
    first = 0;
    last = 0;
    top.style.height = '0px';
    bottom.style.height = '0px';
  }

  /**
   * Removes a message and everything after it (a new version replaces them).
   * @param {string} messageId
   */
  function removeFrom(messageId) {
    const at = messages.findIndex((m) => m.id === messageId);
    if (at < 0) return;
    if (at < first) showAround(Math.max(0, at - 1), 'end');
    for (let i = at; i < last; i++) rendered.get(i)?.remove();
    for (let i = at; i < last; i++) rendered.delete(i);
    last = Math.min(last, at);
    messages = messages.slice(0, at);
    if (conversation) conversation = { ...conversation, messages };
    setSpacers();
  }

  /** @param {ConversationView} view */
  function load(view) {
    conversation = view;
    messages = view.messages;
    severalProfiles = new Set(messages.filter((m) => m.role === 'assistant' && m.profile).map((m) => m.profile)).size > 1;
  }

  /**
   * Renders a conversation: the messages around the one to show (the last, by default).
   * @param {ConversationView} view
   * @param {ShowOptions} [options]
   */
  function render(view, options = {}) {
    const scrollTop = log.scrollTop;
    clear();
    empty.hidden = view.messages.length > 0;
    load(view);
    if (messages.length === 0) return;
    log.append(top);
    const at = options.scrollTo ? messages.findIndex((m) => m.id === options.scrollTo) : -1;
    if (at >= 0) {
      showAround(at, 'center');
      const target = /** @type {HTMLElement} */ (rendered.get(at));
      target.classList.add('found');
      setTimeout(() => target.classList.remove('found'), 2000);
    } else {
      showAround(messages.length - 1, 'end');
      if (options.keepScroll) log.scrollTop = scrollTop;
    }
    update();
  }

  /**
   * A reply ended: the conversation as stored now ends with the articles that were drawn
   * live (the question, unless the reply regenerates one already there, and the reply), which
   * join the list as they are, with their ids and actions. The messages before them that are
   * on screen get their actions again (the last reply's Regenerate moves).
   * @param {ConversationView} view
   * @param {HTMLElement[]} live the articles drawn while the reply streamed, in order
   */
  function adopt(view, live) {
    const wasSeveral = severalProfiles;
    empty.hidden = true;
    if (!top.isConnected) log.insertBefore(top, live[0] ?? null);
    load(view);
    const firstLive = messages.length - live.length;
    // The list must reach the live articles to take them in; when the reader has scrolled
    // far up meanwhile, they are dropped instead and drawn again when scrolled to.
    const joins = last === firstLive;
    live.forEach((article, k) => {
      const i = firstLive + k;
      if (joins) {
        // Measured before its actions row is added (its layout is still the last frame's):
        // reading it after would lay out the whole reply again at once.
        const height = article.offsetHeight;
        afterRange(article);
        rendered.set(i, article);
        last = i + 1;
        setActions(article, i);
        heights.set(messages[i].id, height + Math.max(gap, 0) + ACTIONS_ROW);
      } else {
        heights.set(messages[i].id, article.offsetHeight + Math.max(gap, 0));
        article.remove();
      }
    });
    // The actions that depend on what comes last or on how many profiles were used.
    for (const [i, article] of rendered) {
      if (wasSeveral !== severalProfiles || i >= firstLive - 2) setActions(article, i);
    }
    setSpacers();
  }

  /**
   * Replaces an article's actions row with the one its message has now.
   * @param {HTMLElement} article
   * @param {number} i
   */
  function setActions(article, i) {
    const m = messages[i];
    article.dataset.id = m.id;
    // A reply drawn live showed its token counts under it; the actions row has them now.
    for (const child of [...article.children]) {
      if (child.classList.contains('msg-actions') || (child.tagName === 'DIV' && child.classList.contains('meta'))) child.remove();
    }
    article.append(actionsFor(article, m, i === messages.length - 1, /** @type {ConversationView} */ (conversation), severalProfiles));
  }

  return { render, clear, removeFrom, adopt };
}
