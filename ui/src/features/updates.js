// Looking for a new release, and offering to install it. A check the person asked for always
// says how it went; the one at start-up speaks only when there is something to install.

import * as ipc from '../ipc.js';
import { button } from '../dom.js';
import { errorMessage } from '../errors.js';

/** @typedef {import('../ipc.js').UpdateStatus} UpdateStatus */

/**
 * @param {{ showNotice: import('./notice.js').Notice['show'], settingsOpen: () => boolean }} deps
 *   `settingsOpen`: the settings dialog has a status line of its own, so a check made there
 *   says nothing in the notice bar
 */
export function createUpdates({ showNotice, settingsOpen }) {
  /**
   * @param {{ asked: boolean }} options
   * @returns {Promise<string>} what to tell the person
   */
  async function check({ asked }) {
    /** @type {UpdateStatus} */
    let result;
    try {
      result = await ipc.checkForUpdates();
    } catch (e) {
      result = { status: 'failed', message: errorMessage(e) };
    }
    if (result.status === 'available') {
      const install = button('', 'Install and restart', async () => {
        install.disabled = true;
        install.textContent = 'Installing…';
        try {
          await ipc.installUpdate();
        } catch (e) {
          showNotice(errorMessage(e));
        }
      });
      showNotice(`Palaver ${result.version} is available.`, { actions: [install], dismiss: 'Later' });
      return `Palaver ${result.version} is available.`;
    }
    const message = describe(result);
    if (asked && !settingsOpen()) showNotice(message);
    return message;
  }

  return { check };
}

/**
 * @param {Exclude<UpdateStatus, { status: 'available' }>} result
 */
function describe(result) {
  switch (result.status) {
    case 'notConfigured':
      return 'This copy of Palaver was not built by the Palaver release pipeline, so it does not update itself: updates come from where you installed it.';
    case 'upToDate':
      return `Palaver ${result.current} is the newest version.`;
    case 'failed':
      return result.message;
  }
}
