// Generated from the Rust types by `cargo run --example ipc-bindings`. Do not edit.
export const HISTORY_CHANGED = /** @type {const} */ ("history://changed");
export const SAVE_FAILED = /** @type {const} */ ("history://save-failed");
export const SETTINGS_CHANGED = /** @type {const} */ ("settings://changed");
export const OPEN_CONVERSATION = /** @type {const} */ ("main://open-conversation");
export const OPEN_SETTINGS = /** @type {const} */ ("main://open-settings");
export const QUICK_ASK_SHOWN = /** @type {const} */ ("quick-ask://shown");
export const UPDATE_CHECK_REQUESTED = /** @type {const} */ ("updates://check");
