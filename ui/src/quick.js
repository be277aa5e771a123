// The quick-ask window: one question, the answer streamed inline, Escape to hide.
// Each question is a normal conversation in the history, marked as from quick ask.

import { listen } from '@tauri-apps/api/event';
import { invoke } from '@tauri-apps/api/core';
import * as ipc from './ipc.js';
import { createMarkdown } from './markdown.js';
import { StreamRenderer } from './stream-renderer.js';
import { decorateCodeBlocks } from './code-blocks.js';
import { describeError } from './errors.js';

const markdown = createMarkdown(window);
const $ = (sel) => /** @type {HTMLElement} */ (document.querySelector(sel));
const input = /** @type {HTMLTextAreaElement} */ ($('#quick-input'));
const reply = $('#quick-reply');
const status = $('#quick-status');
const stopButton = $('#quick-stop');
const openButton = $('#quick-open');

/** `generation` counts fresh starts: a reply from before one no longer touches the window. */
/** @type {{ conversationId: string | null, streamId: string | null, busy: boolean, generation: number }} */
const state = { conversationId: null, streamId: null, busy: false, generation: 0 };

const copy = (text) => navigator.clipboard.writeText(text);

function autosize() {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}

function setBusy(busy) {
  state.busy = busy;
  stopButton.hidden = !busy;
}

/** @param {string} text */
async function ask(text) {
  reply.hidden = false;
  reply.replaceChildren();
  reply.setAttribute('aria-busy', 'true');
  status.hidden = true;
  openButton.hidden = true;
  const renderer = new StreamRenderer(reply, markdown, { decorate: (b) => decorateCodeBlocks(b, copy) });
  const generation = state.generation;
  setBusy(true);
  try {
    const ack = await ipc.sendMessage({
      conversationId: state.conversationId,
      text,
      source: 'quick_ask',
      onEvent: (event) => {
        if (generation !== state.generation) {
          // The window started over; the reply still streams and is saved in the history.
          if (event.type === 'finished' || event.type === 'failed') setBusy(false);
          return;
        }
        if (event.type === 'started') state.streamId = event.streamId;
        if (event.type === 'delta') renderer.append(event.text);
        if (event.type === 'finished' || event.type === 'failed') {
          renderer.finish();
          reply.removeAttribute('aria-busy');
          setBusy(false);
          openButton.hidden = false;
          if (event.type === 'failed') {
            const { title, detail } = describeError(event.error);
            status.hidden = false;
            status.className = 'status error';
            status.textContent = `${title}: ${detail}`;
          } else if (event.finishReason === 'cancelled') {
            status.hidden = false;
            status.className = 'status note';
            status.textContent = 'Stopped. The reply so far is kept.';
          }
        }
      },
    });
    if (generation === state.generation) {
      state.conversationId = ack.conversationId;
      state.streamId = ack.streamId;
    }
  } catch (e) {
    setBusy(false);
    reply.removeAttribute('aria-busy');
    const { title, detail } = describeError(/** @type {any} */ (e));
    status.hidden = false;
    status.className = 'status error';
    status.textContent = `${title}: ${detail}`;
    if (!input.value) input.value = text;
  }
}

/** The next question starts a new conversation; the one just asked stays in the history. */
function startOver() {
  state.generation += 1;
  state.conversationId = null;
  state.streamId = null;
  reply.hidden = true;
  reply.replaceChildren();
  status.hidden = true;
  openButton.hidden = true;
}

function openInPalaver() {
  if (!state.conversationId) return;
  invoke('open_in_main', { conversationId: state.conversationId });
  startOver();
}

input.addEventListener('input', autosize);
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    openInPalaver();
  } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || state.busy) return;
    input.value = '';
    autosize();
    ask(text);
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    event.preventDefault();
    // A reply in progress keeps streaming and is saved; the window only hides.
    invoke('hide_quick_ask');
    startOver();
  }
});
stopButton.addEventListener('click', () => { if (state.streamId) ipc.cancelStream(state.streamId); });
openButton.addEventListener('click', openInPalaver);
document.addEventListener('click', (event) => {
  const link = /** @type {HTMLElement} */ (event.target).closest?.('a');
  if (!link) return;
  event.preventDefault();
  const href = link.getAttribute('href');
  if (href && /^(https?:|mailto:)/i.test(href)) ipc.openExternal(href);
});

listen('quick-ask://shown', () => {
  // Hidden by a click elsewhere after an answer: a fresh question this time.
  if (!input.value) startOver();
  input.focus();
  input.select();
});
input.focus();
