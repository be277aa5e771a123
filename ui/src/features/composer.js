// The composer: the "Message" box under the conversation. Enter sends, Shift+Enter starts a
// new line, the box grows with its text. While a reply is written, Stop stands in for Send
// and nothing is sent.

import { autosize, byId } from '../dom.js';

/** The tallest the box grows, in pixels; beyond that it scrolls. */
const MAX_HEIGHT = 240;

/**
 * @param {{ send: (text: string) => void, stop: () => void }} deps
 */
export function createComposer({ send, stop }) {
  const form = byId('composer', HTMLFormElement);
  const input = byId('message', HTMLTextAreaElement);
  const sendButton = byId('send', HTMLButtonElement);
  const stopButton = byId('stop', HTMLButtonElement);
  let busy = false;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || busy) return;
    input.value = '';
    autosize(input, MAX_HEIGHT);
    send(text);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => autosize(input, MAX_HEIGHT));
  stopButton.addEventListener('click', stop);

  return {
    /** A reply is being written (or no longer is). @param {boolean} isBusy */
    setBusy(isBusy) {
      busy = isBusy;
      stopButton.hidden = !isBusy;
      sendButton.hidden = isBusy;
    },
    /** A question that could not be sent goes back into the box, unless something new is there. @param {string} text */
    restore(text) {
      if (!input.value) input.value = text;
      autosize(input, MAX_HEIGHT);
    },
    focus() {
      input.focus();
    },
  };
}
