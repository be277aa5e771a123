// The start-up offer of local servers: when Ollama, LM Studio, llama.cpp or vLLM answers on
// this machine and no profile points at it, a notice offers to add it. A server the user
// dismissed is not offered again by the notice (Settings still lists it); one added is a
// profile and no longer found by the probe.

import { button } from '../dom.js';
import { errorMessage } from '../errors.js';

/** @typedef {import('../ipc.js').LocalServer} LocalServer */
/** @typedef {import('../ipc.js').Profile} Profile */

/**
 * @param {{
 *   probe: () => Promise<LocalServer[]>,
 *   dismissed: () => Promise<string[]>,
 *   remember: (urls: string[]) => void,
 *   add: (server: LocalServer) => Promise<Profile | null>,
 *   showNotice: (text: string, options?: { actions?: HTMLButtonElement[], dismiss?: string, onDismiss?: () => void }) => void,
 * }} deps
 */
export async function offerLocalServers({ probe, dismissed, remember, add, showNotice }) {
  const skip = await dismissed();
  const servers = (await probe()).filter((s) => !skip.includes(s.baseUrl));
  const server = servers[0];
  if (!server) return;
  const more = servers.length > 1 ? ` (and ${servers.length - 1} more local server${servers.length > 2 ? 's' : ''}, in Settings)` : '';
  const addButton = button('', 'Add', async () => {
    try {
      const profile = await add(server);
      showNotice(profile ? `Added ${profile.name}. Pick its models from the model button in the top bar.` : 'Nothing was added.');
    } catch (e) {
      showNotice(errorMessage(e));
    }
  });
  addButton.setAttribute('aria-label', `Add ${server.name}`);
  showNotice(`${server.name} is running on this computer${more}.`, {
    actions: [addButton],
    dismiss: 'Not now',
    onDismiss: () => remember(servers.map((s) => s.baseUrl)),
  });
}
