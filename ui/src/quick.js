// The quick-ask window: one question, the answer streamed inline, Escape to hide.
// Each question is a normal conversation in the history, marked as from quick ask. The answer
// is drawn by the same conversation view as in the main window: its reasoning apart, and the
// same note when it stops early.

import * as ipc from './ipc.js';
import { createMarkdown } from './markdown.js';
import { autosize, byId, openLinksInBrowser } from './dom.js';
import { toFailure } from './errors.js';
import { createConversationView } from './features/conversation.js';

/** @typedef {import('./ipc.js').ChatEvent} ChatEvent */

const views = createConversationView({ markdown: createMarkdown(window) });
const input = byId('quick-input', HTMLTextAreaElement);
const replyBox = byId('quick-reply');
const status = byId('quick-status');
const stopButton = byId('quick-stop', HTMLButtonElement);
const openButton = byId('quick-open', HTMLButtonElement);

/** The tallest the question box grows, in pixels. */
const MAX_HEIGHT = 120;

/** `generation` counts fresh starts: a reply from before one no longer touches the window. */
/** @type {{ conversationId: string | null, streamId: string | null, busy: boolean, generation: number }} */
const state = { conversationId: null, streamId: null, busy: false, generation: 0 };

/** @param {boolean} busy */
function setBusy(busy) {
  state.busy = busy;
  stopButton.hidden = !busy;
}

/** @param {ChatEvent} event */
const isEnd = (event) => event.type === 'finished' || event.type === 'failed';

/** @param {string} text */
async function ask(text) {
  replyBox.hidden = false;
  openButton.hidden = true;
  const reply = views.streamReply(replyBox, { status, actions: { openSettings: () => { ipc.openSettingsInMain(); } } });
  const generation = state.generation;
  setBusy(true);
  try {
    const ack = await ipc.sendMessage({
      conversationId: state.conversationId,
      text,
      source: 'quick_ask',
      onEvent: (event) => {
        // The window started over; the reply still streams and is saved in the history, and
        // no longer holds up the next question.
        if (generation !== state.generation) return;
        if (event.type === 'started') state.streamId = event.streamId;
        reply.handle(event);
        if (isEnd(event)) {
          setBusy(false);
          openButton.hidden = false;
        }
      },
    });
    if (generation === state.generation) {
      state.conversationId = ack.conversationId;
      state.streamId = ack.streamId;
    }
  } catch (e) {
    setBusy(false);
    reply.end();
    reply.fail(toFailure(e));
    if (!input.value) input.value = text;
  }
}

/** The next question starts a new conversation; the one just asked stays in the history. */
function startOver() {
  state.generation += 1;
  state.conversationId = null;
  state.streamId = null;
  setBusy(false);
  replyBox.hidden = true;
  replyBox.replaceChildren();
  status.hidden = true;
  openButton.hidden = true;
}

function openInPalaver() {
  if (!state.conversationId) return;
  ipc.openInMain(state.conversationId);
  startOver();
}

input.addEventListener('input', () => autosize(input, MAX_HEIGHT));
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    openInPalaver();
  } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || state.busy) return;
    input.value = '';
    autosize(input, MAX_HEIGHT);
    ask(text);
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    event.preventDefault();
    // A reply in progress keeps streaming and is saved; the window only hides.
    ipc.hideQuickAsk();
    startOver();
  }
});
stopButton.addEventListener('click', () => { if (state.streamId) ipc.cancelStream(state.streamId); });
openButton.addEventListener('click', openInPalaver);
openLinksInBrowser((message) => console.error(message));

ipc.onQuickAskShown(() => {
  // Hidden by a click elsewhere after an answer: a fresh question this time.
  if (!input.value) startOver();
  input.focus();
  input.select();
});
input.focus();
