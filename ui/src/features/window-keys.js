// The main window's keys: Escape stops a reply (unless the settings are open: there it closes
// them), Ctrl+N starts a new chat, Ctrl+K opens the search, Ctrl+/ (or Ctrl+Shift+M) opens the
// model picker, Ctrl+Q quits. Cmd on macOS.

/**
 * @param {{
 *   isBusy: () => boolean,
 *   stop: () => void,
 *   settingsOpen: () => boolean,
 *   newChat: () => void,
 *   searchOpen: () => boolean,
 *   openSearch: () => void,
 *   openModelPicker: () => void,
 *   quit: () => void,
 * }} actions
 */
export function bindWindowKeys(actions) {
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && actions.isBusy() && !actions.settingsOpen()) {
      event.preventDefault();
      actions.stop();
    }
    if (!(event.ctrlKey || event.metaKey)) return;
    const key = event.key.toLowerCase();
    if (key === 'n') {
      event.preventDefault();
      actions.newChat();
    }
    if (key === 'q') {
      event.preventDefault();
      actions.quit();
    }
    if (key === '/' || (key === 'm' && event.shiftKey)) {
      event.preventDefault();
      actions.openModelPicker();
    }
    if (key === 'k') {
      event.preventDefault();
      if (!actions.searchOpen()) actions.openSearch();
    }
  });
}
