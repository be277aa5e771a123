// The sidebar: the conversations grouped by recency (pinned first), the open one marked, a menu
// on each (rename, pin, export, delete) with its dialogs, and the "Chats" button that shows the
// sidebar over the conversation in a narrow window. It owns the list and the open menu; which
// conversation is open is the chat's, asked through `currentId`.

import * as ipc from '../ipc.js';
import { button, byId, el } from '../dom.js';
import { errorMessage } from '../errors.js';
import { groupByRecency } from '../groups.js';

/** @typedef {import('../ipc.js').ConversationSummary} ConversationSummary */

/**
 * @param {{
 *   showNotice: (text: string) => void,
 *   currentId: () => string | null,
 *   isBusy: () => boolean,
 *   open: (id: string) => void,
 *   newChat: () => void,
 *   openSettings: () => void,
 *   renamed: (id: string, title: string) => void,
 *   deleted: (id: string) => void,
 * }} deps
 */
export function createSidebar(deps) {
  const { showNotice } = deps;
  const app = byId('app');
  const list = byId('conversation-list');
  const toggle = byId('toggle-sidebar', HTMLButtonElement);
  const renameDialog = byId('rename', HTMLDialogElement);
  const renameInput = byId('rename-input', HTMLInputElement);
  const confirmDialog = byId('confirm', HTMLDialogElement);
  const confirmText = byId('confirm-text');
  const overlayQuery = window.matchMedia('(max-width: 760px)');

  /** @type {HTMLElement | null} */
  let openMenu = null;
  let refreshTimer = 0;

  function closeMenu() {
    openMenu?.remove();
    openMenu = null;
  }

  function markActive() {
    const current = deps.currentId();
    for (const item of list.querySelectorAll('.conv-open')) {
      if (item instanceof HTMLElement && item.dataset.id === current) item.setAttribute('aria-current', 'page');
      else item.removeAttribute('aria-current');
    }
  }

  async function refresh() {
    // Not under an open item menu: it would vanish under the pointer. Try again shortly.
    if (openMenu) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, 300);
      return;
    }
    /** @type {ConversationSummary[]} */
    let conversations;
    try {
      conversations = await ipc.listConversations();
    } catch (e) {
      showNotice(errorMessage(e));
      return;
    }
    const frag = document.createDocumentFragment();
    if (conversations.length === 0) frag.append(el('p', 'muted small empty-list', 'Your conversations will appear here.'));
    for (const group of groupByRecency(conversations)) {
      frag.append(el('h3', 'group-label', group.label));
      const ul = el('ul', 'conv-group');
      for (const c of group.items) ul.append(listItem(c));
      frag.append(ul);
    }
    list.replaceChildren(frag);
    markActive();
  }

  /** The history changed; many changes close together redraw the list once. */
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 80);
  }

  /** @param {ConversationSummary} c */
  function listItem(c) {
    const li = el('li', 'conv-item');
    const open = button('conv-open', c.title || 'New chat', () => { if (!deps.isBusy()) deps.open(c.id); });
    open.dataset.id = c.id;
    open.title = c.title;
    const more = button('conv-menu ghost icon', '⋯', (e) => { e.stopPropagation(); showItemMenu(li, more, c); });
    more.setAttribute('aria-label', `Actions for “${c.title}”`);
    more.setAttribute('aria-haspopup', 'menu');
    li.append(open, more);
    return li;
  }

  /** @param {HTMLElement} li @param {HTMLButtonElement} more the button that opened it @param {ConversationSummary} c */
  function showItemMenu(li, more, c) {
    closeMenu();
    const menu = el('div', 'menu');
    menu.setAttribute('role', 'menu');
    /** @param {string} label @param {() => unknown} action */
    const item = (label, action) => {
      const b = button('menu-item', label, async () => {
        closeMenu();
        try { await action(); } catch (e) { showNotice(errorMessage(e)); }
      });
      b.setAttribute('role', 'menuitem');
      menu.append(b);
      return b;
    };
    item('Rename', () => rename(c));
    item(c.pinned ? 'Unpin' : 'Pin', () => ipc.setPinned(c.id, !c.pinned));
    item('Export as Markdown', async () => reportExport(await ipc.exportConversation(c.id, 'markdown')));
    item('Export as JSON', async () => reportExport(await ipc.exportConversation(c.id, 'json')));
    item('Delete', () => confirmDelete(c)).classList.add('danger-text');
    menu.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      closeMenu();
      more.focus();
    });
    li.append(menu);
    openMenu = menu;
    menu.querySelector('button')?.focus();
  }

  /** @param {string | null} path */
  function reportExport(path) {
    if (path) showNotice(`Saved to ${path}`);
  }

  /** @param {ConversationSummary} c */
  function rename(c) {
    renameInput.value = c.title;
    renameDialog.showModal();
    renameInput.select();
    renameDialog.onclose = async () => {
      const title = renameInput.value.trim();
      if (renameDialog.returnValue !== 'cancel' && title && title !== c.title) {
        await ipc.renameConversation(c.id, title).catch((e) => showNotice(errorMessage(e)));
        deps.renamed(c.id, title);
      }
    };
  }

  /** @param {ConversationSummary} c */
  function confirmDelete(c) {
    confirmText.textContent = `“${c.title}” and all its messages will be removed from this machine. This cannot be undone.`;
    confirmDialog.returnValue = 'cancel';
    confirmDialog.showModal();
    confirmDialog.onclose = async () => {
      if (confirmDialog.returnValue !== 'yes') return;
      await ipc.deleteConversation(c.id).catch((e) => showNotice(errorMessage(e)));
      deps.deleted(c.id);
    };
  }

  function closeIfOverlay() {
    if (overlayQuery.matches) {
      app.classList.remove('sidebar-open');
      toggle.setAttribute('aria-expanded', 'false');
    }
  }

  // A click anywhere but in the open menu closes it.
  document.addEventListener('click', (e) => {
    if (openMenu && !(e.target instanceof Node && openMenu.contains(e.target))) closeMenu();
  }, true);
  byId('confirm-yes').addEventListener('click', (e) => {
    e.preventDefault();
    confirmDialog.close('yes');
  });
  toggle.addEventListener('click', () => {
    const open = app.classList.toggle('sidebar-open');
    toggle.setAttribute('aria-expanded', String(open));
    const first = list.querySelector('.conv-open');
    if (open && first instanceof HTMLElement) first.focus();
  });
  byId('new-chat').addEventListener('click', () => deps.newChat());
  byId('open-settings').addEventListener('click', () => deps.openSettings());

  return { refresh, refreshSoon, markActive, closeIfOverlay };
}
