// What each error kind means for a person, and what they can do about it.

/** @typedef {import('./ipc.js').CommandErrorKind} CommandErrorKind */

/**
 * A failure to show: a command's or a reply's `{ kind, message }`, with `kind` null when the
 * failure came from the webview itself (or from a kind this version does not know).
 * @typedef {{ kind: CommandErrorKind | null, message: string, retryAfterSecs?: number }} Failure
 */

/**
 * A rejected command's reason as a Failure. Our commands reject with `{ kind, message, … }`,
 * but what a promise rejects with is unknown to the type system (and could be an Error thrown
 * in the webview itself), so it is checked here, once, instead of cast at every catch.
 * @param {unknown} reason
 * @returns {Failure}
 */
export function toFailure(reason) {
  if (typeof reason === 'object' && reason !== null && 'message' in reason && typeof reason.message === 'string') {
    const kind = 'kind' in reason && typeof reason.kind === 'string' ? asKind(reason.kind) : null;
    const retryAfterSecs = 'retryAfterSecs' in reason && typeof reason.retryAfterSecs === 'number' ? reason.retryAfterSecs : undefined;
    return { kind, message: reason.message, retryAfterSecs };
  }
  return { kind: null, message: String(reason) };
}

/**
 * A kind that came from Rust as text: from a command, or stored with a message in the history.
 * Rust's set is closed and generated into the type; a kind from a newer version falls to the
 * general message in `describeError`.
 * @param {string | null} kind
 * @returns {CommandErrorKind | null}
 */
export const asKind = (kind) => (kind ? /** @type {CommandErrorKind} */ (kind) : null);

/**
 * What a rejected command said, for a status line.
 * @param {unknown} reason
 */
export const errorMessage = (reason) => toFailure(reason).message;

/**
 * Decides by `kind` alone; the message is shown, never searched. Every kind Rust can send
 * has a case: a kind added there and not here fails the type check (see `unknownKind`).
 * @param {Failure} error
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
    case 'invalid_key':
      return { title: 'That does not look like an API key', detail, action: 'settings' };
    case 'bad_base_url':
      return { title: 'The server address is not usable', detail, action: 'settings' };
    case 'not_found':
      return { title: 'It is no longer there', detail };
    case 'disk_full':
      return { title: 'The disk is full', detail: `${detail} Free some space and try again; nothing was half-written.` };
    case 'storage':
      return { title: 'Palaver could not read or write its files', detail };
    case 'autostart':
      return { title: 'Starting at login could not be changed', detail };
    case 'shortcut_taken':
      return { title: 'That shortcut is taken', detail };
    case 'update':
      return { title: 'The update did not work', detail };
    case 'window':
      return { title: 'A window could not be shown', detail };
    case 'open_failed':
      return { title: 'The link could not be opened', detail };
    default:
      return unknownKind(error.kind, detail);
  }
}

/**
 * A failure from the webview itself, or a kind this version does not know. Typed `null`, so
 * the switch above must handle every kind in the generated `CommandErrorKind`.
 * @param {null} _kind
 * @param {string} detail
 */
function unknownKind(_kind, detail) {
  return { title: 'Something went wrong', detail };
}
