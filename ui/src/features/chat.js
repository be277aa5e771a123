// The main window's conversation: which one is open, the reply being written, and what can be
// done to them — send, stop, regenerate, edit, switch versions, start a new chat, open one
// from the history. At most one reply is written at a time; while it is, opening another
// conversation waits. When a reply ends, the history gives what was drawn live its ids,
// versions and actions; nothing on screen is drawn again.
//
// The log is drawn by transcript.js (what is stored) and conversation.js (the reply being
// written); the composer, the sidebar and the notices are reached through callbacks.

import * as ipc from '../ipc.js';
import { errorMessage, toFailure } from '../errors.js';
import { createTranscript } from './transcript.js';

/** @typedef {import('../ipc.js').ConversationView} ConversationView */
/** @typedef {import('../ipc.js').SendMode} SendMode */
/** @typedef {import('../ipc.js').ModelChoice} ModelChoice */
/** @typedef {import('../ipc.js').ConversationSummary} ConversationSummary */
/** @typedef {import('./conversation.js').MessageViews} MessageViews */
/** @typedef {import('./conversation.js').LiveReply} LiveReply */
/** @typedef {import('./transcript.js').ShowOptions} ShowOptions */

/**
 * @param {{
 *   log: HTMLElement,
 *   empty: HTMLElement,
 *   title: HTMLElement,
 *   views: MessageViews,
 *   showNotice: (text: string) => void,
 *   openSettings: () => void,
 *   onBusyChange: (busy: boolean) => void,
 *   restoreQuestion: (text: string) => void,
 *   markActive: () => void,
 *   closeSidebar: () => void,
 *   focusComposer: () => void,
 *   onConversation: (summary: ConversationSummary | null) => void,
 *   heldChoice: () => ModelChoice | null,
 *   profileName: (id: string) => string,
 *   pickModel: (anchor: HTMLElement, onPick: (choice: ModelChoice) => void) => void,
 * }} deps `onConversation` hears which conversation is open (null: a new chat);
 *   `heldChoice` is the model picked for a new chat's first message
 */
export function createChat(deps) {
  const { log, empty, title, views } = deps;
  /** @type {string | null} */
  let conversationId = null;
  /** @type {LiveReply | null} */
  let active = null;

  const transcript = createTranscript({
    log,
    empty,
    views,
    isBusy: () => active !== null,
    send: (text, mode, model) => { send(text, mode, model); },
    showVersion: async (messageId) => show(await ipc.showVersion(messageId), { keepScroll: true }),
    openSettings: deps.openSettings,
    profileName: deps.profileName,
    pickModel: deps.pickModel,
  });

  /** @param {LiveReply | null} reply */
  function setActive(reply) {
    active = reply;
    deps.onBusyChange(reply !== null);
  }

  /**
   * A reply about to stream, shown after its question.
   * @param {string} text the question
   * @param {boolean} showQuestion false when the question is already on screen (regenerate)
   * @returns {LiveReply}
   */
  function startReply(text, showQuestion) {
    empty.hidden = true;
    const question = showQuestion ? views.userMessage(text) : null;
    if (question) log.append(question);
    const article = views.replyArticle();
    log.append(article);
    const live = question ? [question, article] : [article];
    /** @type {LiveReply} */
    const reply = views.streamReply(article, {
      usage: true,
      scroller: log,
      actions: {
        retry: () => {
          if (reply.messageId) send(text, { kind: 'regenerate', messageId: reply.messageId });
          else send(text);
        },
        openSettings: deps.openSettings,
      },
      onEnd: () => {
        if (active !== reply) return;
        setActive(null);
        // The articles on screen stay as they are; the history gives them their ids,
        // versions and actions.
        if (conversationId) adopt(conversationId, live);
      },
    });
    log.scrollTop = log.scrollHeight;
    return reply;
  }

  /**
   * Sends a question, another answer to one, or an edited one. `model`, when given, is the
   * profile and model for this reply (and the conversation's from now on); a new chat's
   * first message takes the one picked for it.
   * @param {string} text
   * @param {SendMode} [mode]
   * @param {ModelChoice | null} [model]
   */
  async function send(text, mode = { kind: 'ask' }, model = null) {
    if (active) return;
    const choice = model ?? (conversationId === null ? deps.heldChoice() : null);
    if (mode.kind !== 'ask') transcript.removeFrom(mode.messageId);
    const reply = startReply(text, mode.kind !== 'regenerate');
    setActive(reply);
    try {
      const ack = await ipc.sendMessage({ conversationId, text, mode, model: choice, onEvent: (event) => reply.handle(event) });
      conversationId = ack.conversationId;
      reply.streamId = ack.streamId;
      reply.messageId = ack.messageId;
      deps.markActive();
    } catch (error) {
      // Nothing was sent. The question stays on screen, and in the composer if it is empty.
      active = null;
      reply.end();
      setActive(null);
      reply.fail(toFailure(error));
      if (mode.kind === 'ask') deps.restoreQuestion(text);
    }
  }

  function stop() {
    if (active?.streamId) ipc.cancelStream(active.streamId).catch(() => {});
  }

  function newChat() {
    if (active) stop();
    conversationId = null;
    transcript.clear();
    empty.hidden = false;
    title.textContent = 'Palaver';
    deps.onConversation(null);
    deps.markActive();
    deps.closeSidebar();
    deps.focusComposer();
  }

  /**
   * @param {ConversationView} conversation
   * @param {ShowOptions} [options]
   */
  function show(conversation, options = {}) {
    conversationId = conversation.conversation.id;
    title.textContent = conversation.conversation.title || 'Palaver';
    transcript.render(conversation, options);
    deps.onConversation(conversation.conversation);
    deps.markActive();
  }

  /**
   * Opens a conversation from the history.
   * @param {string} id
   * @param {ShowOptions} [options]
   */
  async function open(id, options = {}) {
    try {
      const conversation = await ipc.getConversation(id);
      if (active) return; // a new reply started meanwhile; it will refresh when it ends
      show(conversation, options);
      deps.closeSidebar();
    } catch (e) {
      deps.showNotice(errorMessage(e));
    }
  }

  /**
   * Gives a reply that ended, and its question, what the history knows of them.
   * @param {string} id
   * @param {HTMLElement[]} live
   */
  async function adopt(id, live) {
    try {
      const conversation = await ipc.getConversation(id);
      if (active || conversationId !== id) return; // moved on meanwhile
      transcript.adopt(conversation, live);
      title.textContent = conversation.conversation.title || 'Palaver';
      deps.onConversation(conversation.conversation);
    } catch (e) {
      deps.showNotice(errorMessage(e));
    }
  }

  /**
   * Opens the conversation the window showed last time, if it is still there; a deleted one
   * is no news to the user.
   * @param {string} id
   */
  async function reopen(id) {
    try {
      const conversation = await ipc.getConversation(id);
      if (!active && conversationId === null) show(conversation);
    } catch {
      deps.markActive();
    }
  }

  return {
    send,
    stop,
    newChat,
    open,
    reopen,
    isBusy: () => active !== null,
    currentId: () => conversationId,
    /** Another part of the window renamed a conversation. @param {string} id @param {string} newTitle */
    renamed(id, newTitle) {
      if (conversationId === id) title.textContent = newTitle;
    },
    /** A conversation was deleted: if it is the one open, a new chat takes its place. @param {string} id */
    deleted(id) {
      if (conversationId === id) newChat();
    },
  };
}
