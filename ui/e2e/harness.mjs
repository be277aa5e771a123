// What every end-to-end suite needs: the mock server, tauri-driver with the app's
// environment, a WebDriver session on the real app, and helpers that read the screen.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Keys, Session } from './webdriver.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
// PALAVER_APP points the suites (and the quick-ask benchmark) at another build, e.g. release.
export const APP = process.env.PALAVER_APP ?? join(target, 'debug', 'palaver');
const MOCK = join(target, 'debug', 'mock-openai');
const SHOTS = process.env.PALAVER_SCREENSHOTS;
// Ports of their own for each suite: a WebKitWebDriver that outlives its suite for a moment
// must not answer the next one.
const DRIVER_PORT = 4444 + 2 * Math.floor(Math.random() * 2000);
const NATIVE_PORT = DRIVER_PORT + 1;

/**
 * Another mock server, for a suite that talks to several: `base` is its `…/v1` URL; stop it
 * with `mock.stdin.end()` (it also goes when the suite's process ends).
 * @param {string[]} args
 */
export async function startMock(args) {
  const mock = spawn(MOCK, [...args, '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((res, rej) => {
    createInterface({ input: mock.stdout }).once('line', res);
    mock.once('exit', (code) => rej(new Error(`mock-openai exited with ${code}`)));
  });
  return { mock, base: String(line).trim() };
}

async function startDriver(env) {
  const driver = spawn('tauri-driver', ['--port', String(DRIVER_PORT), '--native-port', String(NATIVE_PORT)], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${DRIVER_PORT}/status`);
      if (res.ok) return driver;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('tauri-driver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Ends every process still running with `PALAVER_DATA_DIR=dataDir` in its environment — the
 * app and its WebKit helpers — and returns how many there were. A WebDriver session that
 * ends normally leaves none; one left over would hold the test runner's output pipe (the
 * app inherits it through tauri-driver) and keep the suite from ever finishing.
 * @param {string} dataDir
 */
function killLeftovers(dataDir) {
  const marker = `PALAVER_DATA_DIR=${dataDir}\0`;
  let killed = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let env = '';
    try { env = readFileSync(`/proc/${name}/environ`, 'latin1'); } catch { continue; }
    if (!env.includes(marker)) continue;
    try { process.kill(Number(name), 'SIGKILL'); killed += 1; } catch { /* already gone */ }
  }
  return killed;
}

/**
 * The X server's word on a window: the first window titled exactly `title` that is viewable
 * (mapped, and its parents too), as `{ id, width, height }`, or null when there is none: not
 * created yet, or hidden. `.ci/x11-window` asks the same question from the shell.
 * @param {string} title
 */
export function viewableWindow(title) {
  // xwininfo lists each window as `0x1a00003 "Title": ("class" "Class")  1000x760+0+0 ...`.
  const named = `"${title}": (`;
  const tree = xwininfo(['-root', '-tree']) ?? '';
  for (const line of tree.split('\n').filter((l) => l.includes(named))) {
    const id = line.trim().split(/\s+/)[0];
    const info = xwininfo(['-id', id], 'ignore');
    if (!info || !/Map State: IsViewable/.test(info)) continue;
    const size = (field) => Number(new RegExp(`${field}: (\\d+)`).exec(info)?.[1]);
    return { id, width: size('Width'), height: size('Height') };
  }
  return null;
}

/** xwininfo's answer, or null when it failed: a window went away while it was being asked about. */
function xwininfo(args, stderr = 'inherit') {
  try {
    return execFileSync('xwininfo', args, { stdio: ['ignore', 'pipe', stderr] }).toString();
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === 'ENOENT') throw e;
    return null;
  }
}

/** What a mock server at `base` (its `…/v1` URL) has seen: `{ requests, completed, lastRequest, … }`. */
export async function mockStats(base) {
  const res = await fetch(`${base.replace(/\/v1$/, '')}/_mock/stats`);
  return res.json();
}

export function filesContaining(dir, needle) {
  const hits = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hits.push(...filesContaining(path, needle));
    else if (readFileSync(path).includes(needle)) hits.push(path);
  }
  return hits;
}

/**
 * @param {{ mockArgs?: string[], env?: (base: string, dataDir: string) => Record<string, string> }} options
 */
export async function startStack({ mockArgs = [], env = () => ({}) } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'palaver-e2e-'));
  const { mock, base } = await startMock(['--token-delay-ms', '40', ...mockArgs]);
  // Each suite gets its own settings, history and window-state files.
  const driver = await startDriver({ PALAVER_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dataDir, 'config'), OPENAI_BASE_URL: base, OPENAI_API_KEY: '', ...env(base, dataDir) });

  const s = {
    base,
    dataDir,
    /** @type {Session} */ app: /** @type {any} */ (null),
    async startApp() {
      s.app = await Session.start(`http://127.0.0.1:${DRIVER_PORT}`, { application: APP });
      await s.app.setWindowRect({ width: 1000, height: 760 }).catch(() => {});
      return s.app;
    },
    async quitApp() {
      await s.app?.quit();
      s.app = /** @type {any} */ (null);
    },
    async stop() {
      await s.quitApp();
      driver.kill();
      // tauri-driver does not always take its WebKitWebDriver along.
      spawnSync('pkill', ['-f', `WebKitWebDriver.*${NATIVE_PORT}`]);
      mock.stdin.end();
      mock.kill();
      await new Promise((r) => setTimeout(r, 500));
      const leftovers = killLeftovers(dataDir);
      if (leftovers) console.error(`# warning: ${leftovers} process(es) of the app outlived the WebDriver session and were killed`);
    },
    stats: () => mockStats(base),
    async shot(name) {
      if (!SHOTS) return;
      mkdirSync(SHOTS, { recursive: true });
      writeFileSync(join(SHOTS, `${name}.png`), await s.app.screenshot());
    },
    /** Types a message and sends it with Enter, then waits for its reply to appear. */
    async ask(text) {
      const app = s.app;
      const before = (await app.findAll('.msg.assistant')).length;
      const input = await app.find('#message');
      await input.type(text);
      await input.type(Keys.ENTER);
      await app.waitFor(async () => (await app.findAll('.msg.assistant')).length > before, { what: 'a reply to appear' });
    },
    lastReply: (part) => s.app.exec(`const r = [...document.querySelectorAll('.msg.assistant')].pop(); return r ? r.querySelector('${part}')?.innerText ?? '' : '';`),
    lastReplyBusy: () => s.app.exec(`return [...document.querySelectorAll('.msg.assistant')].pop()?.getAttribute('aria-busy') === 'true';`),
    async waitIdle() {
      await s.app.waitFor(async () => !(await s.lastReplyBusy()), { timeout: 30000, what: 'the reply to end' });
      // The finished reply is re-read from the history; let that land.
      await s.app.waitFor(async () => s.app.exec(`return !![...document.querySelectorAll('.msg.assistant')].pop()?.dataset.id`), { what: 'the stored reply' });
    },
  };
  return s;
}
