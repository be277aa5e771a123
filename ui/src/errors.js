// What each error kind means for a person, and what they can do about it.

/** @typedef {import('./ipc.js').ChatError} ChatError */

/**
 * A rejected command's reason as a ChatError. Our commands reject with `{ kind, message, … }`,
 * but what a promise rejects with is unknown to the type system (and could be an Error thrown
 * in the webview itself), so it is checked here, once, instead of cast at every catch.
 * @param {unknown} reason
 * @returns {ChatError}
 */
export function toChatError(reason) {
  if (typeof reason === 'object' && reason !== null && 'message' in reason && typeof reason.message === 'string') {
    const kind = 'kind' in reason && typeof reason.kind === 'string' ? reason.kind : '';
    const retryAfterSecs = 'retryAfterSecs' in reason && typeof reason.retryAfterSecs === 'number' ? reason.retryAfterSecs : undefined;
    return { kind, message: reason.message, retryAfterSecs };
  }
  return { kind: '', message: String(reason) };
}

/**
 * What a rejected command said, for a status line.
 * @param {unknown} reason
 */
export const errorMessage = (reason) => toChatError(reason).message;

/**
 * Decides by `kind` alone; the message is shown, never searched.
 * @param {ChatError} error
 * @returns {{ title: string, detail: string, action?: 'settings' }}
 */
export function describeError(error) {
  const detail = error.message;
  switch (error.kind) {
    case 'no_api_key':
      return { title: 'No API key yet', detail: 'Add your API key in Settings, or point Palaver at a local server.', action: 'settings' };
    case 'keyring_unavailable':
      return { title: 'The system keyring is not available', detail, action: 'settings' };
    case 'auth':
      return { title: 'The server did not accept the API key', detail, action: 'settings' };
    case 'rate_limited':
      return {
        title: error.retryAfterSecs ? `Rate limited — you can retry in ${error.retryAfterSecs} s` : 'Rate limited — wait a moment, then retry',
        detail,
      };
    case 'quota':
      return { title: 'The account is out of quota', detail };
    case 'context_too_long':
      return { title: 'This conversation is too long for the model', detail: `${detail} Start a new chat or pick a model with a larger context.` };
    case 'bad_request':
      return { title: 'The server refused the request', detail, action: 'settings' };
    case 'server':
      return { title: 'The server had a problem', detail };
    case 'interrupted':
      return { title: 'The connection ended before the reply was complete', detail: 'The text so far is kept.' };
    case 'network':
      return { title: 'Could not reach the server', detail, action: 'settings' };
    case 'insecure_key':
      return { title: 'The key was not sent over an unencrypted connection', detail, action: 'settings' };
    case 'too_large':
      return { title: 'The reply was stopped at the size limit', detail: `${detail} The text so far is kept.` };
    case 'timeout':
      return { title: 'The server stopped responding', detail };
    case 'protocol':
      return { title: 'The server sent something unexpected', detail };
    case 'cancelled':
      return { title: 'Stopped', detail: 'The reply so far is kept.' };
    default:
      return { title: 'Something went wrong', detail };
  }
}
