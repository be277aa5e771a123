// A small W3C WebDriver client over fetch: just what the end-to-end tests use.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const Keys = { ENTER: '\uE007', ESCAPE: '\uE00C', SHIFT: '\uE008' };

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || json?.value?.error) {
    const v = json?.value ?? {};
    throw new Error(`WebDriver ${method} ${path}: ${v.error ?? res.status} ${v.message ?? ''}`);
  }
  return json.value;
}

export class Session {
  /** @param {string} base @param {string} id */
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /** @param {string} base e.g. http://127.0.0.1:4444 @param {object} tauriOptions */
  static async start(base, tauriOptions) {
    const value = await call(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': tauriOptions } },
    });
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async quit() {
    await this.cmd('DELETE', '').catch(() => {});
  }

  /** @param {string} css */
  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    if (!v?.[ELEMENT]) throw new Error(`no element for ${css}: ${JSON.stringify(v)}`);
    return new Element(this, v[ELEMENT]);
  }

  /** @param {string} css */
  async findAll(css) {
    const v = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return v.map((e) => new Element(this, e[ELEMENT]));
  }

  /** Runs `script` (a function body) in the page. */
  exec(script, ...args) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** @returns {Promise<Buffer>} */
  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  /** @returns {Promise<string[]>} */
  windowHandles() {
    return this.cmd('GET', '/window/handles');
  }

  /** @param {string} handle */
  switchTo(handle) {
    return this.cmd('POST', '/window', { handle });
  }

  /** @returns {Promise<string>} */
  currentHandle() {
    return this.cmd('GET', '/window');
  }

  setWindowRect(rect) {
    return this.cmd('POST', '/window/rect', rect);
  }

  /**
   * Polls `fn` until it returns a truthy value.
   * @template T @param {() => Promise<T>} fn @returns {Promise<T>}
   */
  async waitFor(fn, { timeout = 15000, interval = 50, what = 'condition' } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        last = await fn();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }
  click() {
    return this.session.cmd('POST', `/element/${this.id}/click`, {});
  }
  type(text) {
    return this.session.cmd('POST', `/element/${this.id}/value`, { text });
  }
  clear() {
    return this.session.cmd('POST', `/element/${this.id}/clear`, {});
  }
  text() {
    return this.session.cmd('GET', `/element/${this.id}/text`);
  }
  displayed() {
    return this.session.cmd('GET', `/element/${this.id}/displayed`);
  }
}
