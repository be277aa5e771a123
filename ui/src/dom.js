// DOM helpers for both windows: making elements, finding the ones the page must have, the
// clipboard, and links handed to the system browser.

import * as ipc from './ipc.js';
import { errorMessage } from './errors.js';

/**
 * A new element, with a class and text when given.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A button that does not submit the form it is in.
 * @param {string} className
 * @param {string} text
 * @param {(event: MouseEvent) => void} [onClick]
 */
export function button(className, text, onClick) {
  const b = el('button', className, text);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

/**
 * The element with this id, of this class when one is given. The page is ours, so a missing
 * element is a bug: it is reported by name when the feature starts, not as a null somewhere
 * in a click handler later.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [type] e.g. HTMLInputElement
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page has no #${id}`);
  if (type && !(node instanceof type)) throw new Error(`#${id} is a <${node.localName}>, not the element expected`);
  return /** @type {T} */ (node);
}

/**
 * The element `selector` finds under `root`, of this class: as `byId`, for elements without an id.
 * @template {Element} T
 * @param {string} selector
 * @param {{ new (): T, prototype: T }} type
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function query(selector, type, root = document) {
  const node = root.querySelector(selector);
  if (!(node instanceof type)) throw new Error(node ? `${selector} is a <${node.localName}>, not the element expected` : `The page has no ${selector}`);
  return node;
}

/**
 * Grows a textarea with its text, up to `max` pixels high.
 * @param {HTMLTextAreaElement} area
 * @param {number} max
 */
export function autosize(area, max) {
  area.style.height = 'auto';
  area.style.height = `${Math.min(area.scrollHeight, max)}px`;
}

/** Buttons marked `data-close` close their dialog, which returns 'cancel'. */
export function closeDialogsOnDataClose() {
  for (const b of document.querySelectorAll('dialog [data-close]')) {
    b.addEventListener('click', () => b.closest('dialog')?.close('cancel'));
  }
}

/** @param {string} text */
export async function copyText(text) {
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

/**
 * The webview never follows a link: a click on an http(s) or mailto link opens it in the
 * system browser, any other link does nothing.
 * @param {(message: string) => void} onError told when the browser could not be opened
 */
export function openLinksInBrowser(onError) {
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a') : null;
    if (!link) return;
    event.preventDefault();
    const href = link.getAttribute('href');
    if (href && /^(https?:|mailto:)/i.test(href)) {
      ipc.openExternal(href).catch((e) => onError(errorMessage(e)));
    }
  });
}
