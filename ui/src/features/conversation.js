// The conversation as both windows draw it: a question; a reply streaming in, its reasoning
// apart from the answer, the answer rendered as markdown block by block with Copy on code
// blocks; a stored reply; and how a reply ended — a note when it stopped early (stopped, cut
// at the length limit, stopped by the content filter, interrupted), or the error, what it
// means and what can be done. The main window and quick ask both draw replies here, so
// neither can drop what the other shows.
//
// It decides nothing: what Retry sends, what "Open settings" opens and what follows the end
// of a reply belong to the window, passed in as callbacks. It keeps no state but the reply
// being drawn.

import { StreamRenderer } from '../stream-renderer.js';
import { decorateCodeBlocks } from '../code-blocks.js';
import { asKind, describeError } from '../errors.js';
/** @typedef {import('../errors.js').Failure} Failure */
import { button, copyText, el } from '../dom.js';

/** @typedef {import('../ipc.js').ChatEvent} ChatEvent */
/** @typedef {import('../ipc.js').ChatError} ChatError */
/** @typedef {import('../ipc.js').StoredMessage} StoredMessage */
/** @typedef {{ toFragment(src: string): DocumentFragment, inlineFragment(src: string): DocumentFragment }} Markdown */
/** @typedef {(fn: () => void) => void} Schedule runs `fn` before the next paint */
/**
 * What an error offers besides its explanation. With neither, the error is one line of text.
 * @typedef {{ retry?: () => void, openSettings?: () => void }} ErrorActions
 */
/**
 * @typedef {object} ReplyOptions
 * @property {HTMLElement} [status] where the ending is told; by default a `.status` of the
 *   reply's own, under its text
 * @property {boolean} [usage] show the token counts under the reply
 * @property {HTMLElement} [scroller] kept scrolled to the bottom while the reader is there
 * @property {ErrorActions} [actions] what a failed reply offers
 * @property {() => void} [onEnd] the reply ended, however it ended
 */

/** What a reply that ended early without an error says, by finish reason or stored status. */
const ENDINGS = new Map([
  ['cancelled', 'Stopped. The reply so far is kept.'],
  ['length', 'The reply reached the model’s length limit.'],
  ['content_filter', 'The provider’s content filter stopped the reply.'],
  ['interrupted', 'Interrupted — Palaver or the connection stopped before the reply was complete. The text so far is kept.'],
]);

/**
 * The note for a stored reply's ending, or null when it ended normally or with an error.
 * @param {StoredMessage} m
 */
function storedEnding(m) {
  if (m.status === 'cancelled' || m.status === 'interrupted') return ENDINGS.get(m.status) ?? null;
  if (m.finishReason === 'length' || m.finishReason === 'content_filter') return ENDINGS.get(m.finishReason) ?? null;
  return null;
}

/**
 * @param {HTMLElement} status
 * @param {string} text
 */
function showNote(status, text) {
  status.hidden = false;
  status.className = 'status note';
  status.replaceChildren(el('span', '', text));
}

/**
 * An error in place: what it means, the server's words, and the actions offered — Retry,
 * and "Open settings" when the fix is there.
 * @param {HTMLElement} status
 * @param {Failure} error
 * @param {ErrorActions} actions
 */
export function showError(status, error, { retry, openSettings }) {
  const { title, detail, action } = describeError(error);
  status.hidden = false;
  status.className = 'status error';
  if (!retry && !openSettings) {
    status.textContent = `${title}: ${detail}`;
    return;
  }
  status.setAttribute('role', 'alert');
  const text = el('div', 'error-text');
  text.append(el('strong', '', title), el('span', 'error-detail', detail));
  const buttons = el('div', 'error-actions');
  if (retry) buttons.append(button('', 'Retry', retry));
  if (openSettings && action === 'settings') buttons.append(button('ghost', 'Open settings', openSettings));
  status.replaceChildren(text, buttons);
}

/** @param {string} text the question */
export function userMessage(text) {
  const article = el('article', 'msg user');
  article.setAttribute('aria-label', 'You');
  article.append(el('div', 'bubble', text));
  return article;
}

/** An empty reply, for a stored or a streamed one. */
export function replyArticle() {
  const article = el('article', 'msg assistant');
  article.setAttribute('aria-label', 'Palaver');
  return article;
}

/** A reply being streamed into its host: created by `createConversationView().streamReply`. */
export class LiveReply {
  /**
   * @param {HTMLElement} host where the reply goes: its reasoning, then its text
   * @param {{ markdown: Markdown, decorate: (block: HTMLElement) => void, schedule: Schedule }} render
   * @param {ReplyOptions} options
   */
  constructor(host, { markdown, decorate, schedule }, options) {
    this.host = host;
    this.options = options;
    this.schedule = schedule;
    /** @type {string | null} */ this.streamId = null;
    /** @type {string | null} */ this.messageId = null;
    this.thinking = el('details', 'thinking');
    this.thinking.hidden = true;
    this.summary = el('summary', '', 'Thinking…');
    this.reasoning = el('div', 'reasoning');
    this.thinking.append(this.summary, this.reasoning);
    this.content = el('div', 'content');
    this.status = options.status ?? el('div', 'status');
    this.status.hidden = true;
    this.status.className = 'status';
    this.status.removeAttribute('role');
    this.status.replaceChildren();
    this.meta = options.usage ? el('div', 'meta') : null;
    host.replaceChildren(this.thinking, this.content);
    if (!options.status) host.append(this.status);
    if (this.meta) host.append(this.meta);
    host.classList.add('waiting');
    host.setAttribute('aria-busy', 'true');
    this.wasNearBottom = true;
    this.pendingReasoning = '';
    this.reasoningScheduled = false;
    this.renderer = new StreamRenderer(this.content, markdown, { decorate, schedule, onRender: () => this.keepScrolled() });
  }

  nearBottom() {
    const s = this.options.scroller;
    return !!s && s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  keepScrolled() {
    const s = this.options.scroller;
    if (s && this.wasNearBottom) s.scrollTop = s.scrollHeight;
  }

  /** @param {ChatEvent} event */
  handle(event) {
    this.wasNearBottom = this.nearBottom();
    switch (event.type) {
      case 'started':
        this.streamId = event.streamId;
        this.messageId = event.messageId ?? null;
        break;
      case 'delta':
        this.host.classList.remove('waiting');
        if (!this.thinking.hidden) this.summary.textContent = 'Thought';
        this.renderer.append(event.text);
        break;
      case 'reasoning':
        this.host.classList.remove('waiting');
        this.thinking.hidden = false;
        this.pendingReasoning += event.text;
        if (!this.reasoningScheduled) {
          this.reasoningScheduled = true;
          this.schedule(() => {
            this.reasoningScheduled = false;
            this.reasoning.append(this.pendingReasoning);
            this.pendingReasoning = '';
          });
        }
        break;
      case 'usage':
        if (this.meta) this.meta.textContent = `${event.promptTokens} tokens in, ${event.completionTokens} out`;
        break;
      case 'finished': {
        this.end();
        const note = ENDINGS.get(event.finishReason);
        if (note) this.note(note);
        break;
      }
      case 'failed':
        this.end();
        this.fail(event.error);
        break;
    }
  }

  /** The reply is over: the last block is rendered, the reasoning is complete. */
  end() {
    this.renderer.finish();
    if (this.pendingReasoning) this.reasoning.append(this.pendingReasoning);
    this.pendingReasoning = '';
    this.summary.textContent = 'Thought';
    this.host.classList.remove('waiting');
    this.host.removeAttribute('aria-busy');
    this.options.onEnd?.();
  }

  /** @param {string} text */
  note(text) {
    showNote(this.status, text);
    this.keepScrolled();
  }

  /** @param {Failure} error */
  fail(error) {
    showError(this.status, error, this.options.actions ?? {});
    this.keepScrolled();
  }
}

/**
 * @param {{ markdown: Markdown, copy?: (text: string) => Promise<void>, schedule?: Schedule }} deps
 *   `copy` writes a code block to the clipboard; `schedule` defaults to the next animation
 *   frame (tests run frames by hand)
 */
export function createConversationView({ markdown, copy = copyText, schedule = (fn) => { requestAnimationFrame(() => fn()); } }) {
  /** @param {HTMLElement} block */
  const decorate = (block) => decorateCodeBlocks(block, copy);

  return {
    userMessage,
    replyArticle,

    /**
     * Starts drawing a reply into `host`; feed it the stream's events with `handle`.
     * @param {HTMLElement} host
     * @param {ReplyOptions} [options]
     */
    streamReply(host, options = {}) {
      return new LiveReply(host, { markdown, decorate, schedule }, options);
    },

    /**
     * A stored reply as it ended: its reasoning (folded), its text, and its ending.
     * @param {StoredMessage} m
     * @param {ErrorActions} actions what it offers if it ended in an error
     */
    storedReply(m, actions) {
      const article = replyArticle();
      article.dataset.id = m.id;
      if (m.reasoning) {
        const thinking = el('details', 'thinking');
        thinking.append(el('summary', '', 'Thought'), el('div', 'reasoning', m.reasoning));
        article.append(thinking);
      }
      const content = el('div', 'content');
      article.append(content);
      new StreamRenderer(content, markdown, { decorate }).renderAll(m.content);
      const status = el('div', 'status');
      status.hidden = true;
      article.append(status);
      const ending = storedEnding(m);
      if (m.status === 'error') showError(status, { kind: asKind(m.errorKind), message: m.errorMessage ?? '' }, actions);
      else if (ending) showNote(status, ending);
      return article;
    },
  };
}

/** @typedef {ReturnType<typeof createConversationView>} MessageViews */
