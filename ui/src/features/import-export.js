// The History part of the settings: export every conversation as one JSON file, and import a
// Palaver export or ChatGPT's conversations.json with progress and a Cancel. What was imported
// before a cancel stays; importing twice adds nothing new.

import * as ipc from '../ipc.js';
import { byId } from '../dom.js';
import { errorMessage } from '../errors.js';

/** @typedef {import('../ipc.js').ImportReport} ImportReport */

/**
 * What an import did, in a sentence or three: what came in, what was already here, what
 * could not be read (the first few by name), and whether it was cancelled.
 * @param {ImportReport} report
 */
export function describeImport(report) {
  const parts = [`Imported ${report.conversationsAdded} conversations (${report.messagesAdded} messages); ${report.conversationsSkipped} were already here.`];
  if (report.rejected.length) {
    const named = report.rejected.slice(0, 3).map((r) => `“${r.title || r.id || 'untitled'}”: ${r.reason}`).join(' ');
    const more = report.rejected.length > 3 ? ` …and ${report.rejected.length - 3} more.` : '';
    parts.push(`${report.rejected.length} could not be imported. ${named}${more}`);
  }
  if (report.cancelled) parts.push('The import was cancelled; what was imported before stays.');
  return parts.join(' ');
}

export function bindImportExport() {
  const status = byId('s-history-status');
  const importButton = byId('s-import', HTMLButtonElement);
  const cancel = byId('s-cancel-import', HTMLButtonElement);
  const progress = byId('s-import-progress', HTMLProgressElement);

  byId('s-export-all').addEventListener('click', async () => {
    try {
      const path = await ipc.exportConversation(null, 'json');
      status.textContent = path ? `Saved to ${path}` : '';
    } catch (e) {
      status.textContent = errorMessage(e);
    }
  });

  importButton.addEventListener('click', async () => {
    importButton.disabled = true;
    try {
      const report = await ipc.importHistory(({ done, total }) => {
        progress.hidden = false;
        cancel.hidden = false;
        progress.max = Math.max(total, 1);
        progress.value = done;
        status.textContent = `Importing… ${done} of ${total} conversations`;
      });
      if (report) status.textContent = describeImport(report);
    } catch (e) {
      status.textContent = errorMessage(e);
    } finally {
      importButton.disabled = false;
      cancel.hidden = true;
      progress.hidden = true;
    }
  });

  cancel.addEventListener('click', () => { ipc.cancelImport().catch(() => {}); });
}
