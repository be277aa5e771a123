// The main window: the features wired together. Each feature owns its part of the page and its
// state (src/features/); what one needs from another is passed to it here, as a callback.

import * as ipc from './ipc.js';
import { createMarkdown } from './markdown.js';
import { byId, closeDialogsOnDataClose, openLinksInBrowser } from './dom.js';
import { errorMessage } from './errors.js';
import { createChat } from './features/chat.js';
import { createComposer } from './features/composer.js';
import { createConversationView } from './features/conversation.js';
import { bindImportExport } from './features/import-export.js';
import { createModelChoice, createModelPicker } from './features/model-picker.js';
import { createNotice } from './features/notice.js';
import { offerLocalServers } from './features/local-servers.js';
import { profileName } from './features/providers.js';
import { createSearch } from './features/search.js';
import { createSettings } from './features/settings.js';
import { createSidebar } from './features/sidebar.js';
import { createUpdates } from './features/updates.js';
import { createWelcome } from './features/welcome.js';
import { bindWindowKeys } from './features/window-keys.js';
import { createWindowState } from './features/window-state.js';

const app = byId('app');
const windowState = createWindowState();
const { show: showNotice } = createNotice(byId('notice'));
const updates = createUpdates({ showNotice, settingsOpen: () => settings.isOpen() });
const settings = createSettings({ checkForUpdates: updates.check, onApply: () => modelChoice.show() });
const picker = createModelPicker({ current: settings.current });
const modelChoice = createModelChoice({ picker, current: settings.current, showNotice });
const composer = createComposer({ send: (text) => chat.send(text), stop: () => chat.stop() });
const chat = createChat({
  log: byId('conversation'),
  empty: byId('empty'),
  title: byId('conversation-title'),
  views: createConversationView({ markdown: createMarkdown(window) }),
  showNotice,
  openSettings: () => settings.open(),
  onBusyChange: (busy) => {
    composer.setBusy(busy);
    app.classList.toggle('streaming', busy);
  },
  restoreQuestion: composer.restore,
  markActive: () => {
    sidebar.markActive();
    windowState.remember(chat.currentId());
  },
  closeSidebar: () => sidebar.closeIfOverlay(),
  focusComposer: composer.focus,
  onConversation: (summary) => modelChoice.showConversation(summary),
  heldChoice: () => modelChoice.held(),
  profileName: (id) => profileName(settings.current()?.settings, id),
  pickModel: (anchor, onPick) => picker.open({ anchor, choice: null, onPick }),
});
const sidebar = createSidebar({
  showNotice,
  currentId: chat.currentId,
  isBusy: chat.isBusy,
  open: chat.open,
  newChat: chat.newChat,
  openSettings: settings.open,
  renamed: chat.renamed,
  deleted: chat.deleted,
});
const search = createSearch({ pick: (id, messageId) => { if (!chat.isBusy()) chat.open(id, { scrollTo: messageId }); } });
const welcome = createWelcome({ current: settings.current, save: settings.save, focusComposer: composer.focus });
bindImportExport();
bindWindowKeys({
  isBusy: chat.isBusy,
  stop: chat.stop,
  settingsOpen: settings.isOpen,
  newChat: chat.newChat,
  searchOpen: search.isOpen,
  openSearch: search.open,
  openModelPicker: () => { if (!chat.isBusy() && !picker.isOpen() && !document.querySelector('dialog[open]')) modelChoice.open(); },
  quit: () => { ipc.quitApp(); },
});
closeDialogsOnDataClose();
openLinksInBrowser(showNotice);

async function boot() {
  ipc.onSettingsChanged(settings.apply);
  ipc.onHistoryChanged(sidebar.refreshSoon);
  ipc.onSaveFailed(showNotice);
  ipc.onOpenConversation((id) => { if (!chat.isBusy()) chat.open(id); });
  ipc.onOpenSettings(() => settings.open());
  ipc.onUpdateCheckRequested(() => updates.check({ asked: true }));
  sidebar.refresh();
  const params = new URLSearchParams(location.search);
  const requested = params.get('open');
  const view = await ipc.getSettings();
  settings.apply(view);
  if (view.notice) showNotice(view.notice);
  else if (view.settings.checkForUpdates) updates.check({ asked: false });
  if (params.has('settings')) {
    settings.open();
    return;
  }
  const welcomed = await welcome.showOnFirstRun(view);
  if (welcomed) return;
  if (requested) chat.open(requested);
  else {
    const last = await windowState.lastConversation();
    if (last) chat.reopen(last);
  }
  // Off the critical path: after the first paint, look for local servers to offer.
  requestAnimationFrame(() => setTimeout(() => {
    offerLocalServers({
      probe: settings.probeLocalServers,
      dismissed: windowState.dismissedLocalServers,
      remember: windowState.dismissLocalServers,
      add: settings.addLocalServer,
      showNotice,
    });
  }, 0));
}

boot().catch((e) => showNotice(`Palaver could not start: ${errorMessage(e)}`));
