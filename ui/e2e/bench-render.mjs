// How the main window keeps up with a streaming reply, and with a long conversation. A
// program that prints figures; it asserts nothing about time. It fails only when it measured
// nothing (no frame, no marker, no open), so that a broken benchmark is noticed.
//
//   E2E_COMMAND="node ui/e2e/bench-render.mjs" .ci/e2e
//   E2E_COMMAND="PALAVER_APP=target/release/palaver node ui/e2e/bench-render.mjs" .ci/e2e
//   E2E_COMMAND="BENCH_SMOKE=1 node ui/e2e/bench-render.mjs" .ci/e2e   (tiny sizes, for CI)
//
// Knobs: BENCH_CASES=markdown,paragraph,burst,conversation  BENCH_SECONDS=10  BENCH_RATE=2000
// BENCH_BURST=200000  BENCH_MESSAGES=1000. The cases:
//   markdown      BENCH_RATE tokens a second for BENCH_SECONDS, everyday markdown blocks
//   paragraph     the same pace, one paragraph without a line break
//   burst         BENCH_BURST tokens at once, one paragraph (as the first probe measured it)
//   burst-markdown  BENCH_BURST tokens at once, markdown blocks; not run unless named: on
//                 the renderer of the time, 200,000 such tokens froze the window for
//                 minutes (see the README)
//   conversation  a conversation of BENCH_MESSAGES messages opened from the sidebar, then
//                 scrolled from its top to its bottom
//
// The mock server streams `[rate RATE COUNT SHAPE]` or `[burst COUNT]` replies in which every
// 50th token, and the last, is a marker word (`m000050`), and records when it wrote each
// marker (GET /_mock/sent; see tests/support/src/paced.rs). A probe injected into the page
// runs on every animation frame and notes the time (performance.timeOrigin + now, the same
// system clock as the server's) and the highest marker the reply's DOM holds. So:
//   token → frame latency of marker k = first frame holding a marker ≥ k − when k was sent
//   frame gap = time between consecutive frames while the reply streams
//   last byte → whole reply = first frame holding the last marker − the last token's write
// A frame's DOM as the probe sees it is what that frame, or the one before, paints: the
// renderer's own frame callback may run after the probe's. The probe reads only the last
// text nodes of the reply, back to the first marker it meets, so it costs about the same on
// the last token of 200,000 as on the first; its cost per frame is printed.
//
// Memory is the PSS (/proc/PID/smaps_rollup) of the app and every process under it (WebKit's
// web and network processes), found by the data directory in their environment.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Keys } from './webdriver.mjs';
import { APP, startStack } from './harness.mjs';
import { conversationExport, importHistory } from './fixtures.mjs';

const SMOKE = process.env.BENCH_SMOKE === '1';
const CASES = (process.env.BENCH_CASES ?? 'markdown,paragraph,burst,conversation').split(',').map((c) => c.trim()).filter(Boolean);
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SMOKE ? 1 : 10));
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const BURST = Number(process.env.BENCH_BURST ?? (SMOKE ? 20000 : 200000));
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? (SMOKE ? 100 : 1000));
/** How far the conversation case scrolls on each frame. */
const SCROLL_STEP = 400;
/** Let the app settle (timers, GC, the stored reply re-read) before reading its memory. */
const SETTLE_MS = SMOKE ? 500 : 3000;
const KNOWN = ['markdown', 'paragraph', 'burst', 'burst-markdown', 'conversation'];
for (const c of CASES) if (!KNOWN.includes(c)) throw new Error(`unknown case ${c} (BENCH_CASES takes ${KNOWN.join(',')})`);

const CONVERSATION_TITLE = `Bench: ${MESSAGES} messages`;
/** The last word of the conversation's last message: when a frame holds it, the conversation is open. */
const LAST_WORD = 'benchlastword';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- in the page: the probes, passed as source to WebDriver's execute ----

/**
 * Records, on every animation frame until `window.__bench.stop`, the time and the highest
 * marker in the last reply, and notes when Enter went down in the composer.
 * @param {number} finalMarker
 */
function streamProbe(finalMarker) {
  const log = /** @type {HTMLElement} */ (document.getElementById('conversation'));
  const now = () => performance.timeOrigin + performance.now();
  const state = {
    t: /** @type {number[]} */ ([]),
    seen: /** @type {number[]} */ ([]),
    enterAt: 0, completeAt: 0, lastAt: 0, storedAt: 0, costTotal: 0, costMax: 0, stop: false,
  };
  Object.assign(window, { __bench: state });
  document.getElementById('message')?.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !state.enterAt) state.enterAt = now();
  }, { capture: true });

  /** The reply: the last assistant article, a few elements from the end of the log at most. */
  function lastReply() {
    let n = log.lastElementChild;
    for (let i = 0; n && i < 8; i++, n = n.previousElementSibling) if (n.classList.contains('assistant')) return n;
    return null;
  }
  /** The number of the last marker word (`m` and six digits or more) in `s`, or -1. */
  function lastMarkerIn(/** @type {string} */ s) {
    for (let i = s.lastIndexOf('m'); i >= 0; i = i === 0 ? -1 : s.lastIndexOf('m', i - 1)) {
      let j = i + 1;
      let v = 0;
      for (let c = s.charCodeAt(j); c >= 48 && c <= 57; c = s.charCodeAt(++j)) v = v * 10 + c - 48;
      if (j - i - 1 >= 6) return v;
    }
    return -1;
  }
  /** The last marker in the reply: text nodes from the end, back to the first that has one. */
  function highestMarker(/** @type {Element} */ reply) {
    const walker = document.createTreeWalker(reply, NodeFilter.SHOW_TEXT);
    let node = walker.lastChild();
    for (let i = 0; node && i < 200; i++, node = walker.previousNode()) {
      const m = lastMarkerIn(/** @type {Text} */ (node).data);
      if (m >= 0) return m;
    }
    return -1;
  }

  let reply = /** @type {Element | null} */ (null);
  let best = -1;
  function frame() {
    if (state.stop) return;
    const start = performance.now();
    const t = performance.timeOrigin + start;
    // The finished reply is drawn again from the history: follow it to its new element.
    if (!reply?.isConnected) reply = lastReply();
    if (reply) best = Math.max(best, highestMarker(reply));
    state.t.push(t);
    state.seen.push(best);
    if (best >= finalMarker && !state.lastAt) state.lastAt = t;
    if (reply && best > 0 && !state.completeAt && reply.getAttribute('aria-busy') !== 'true') state.completeAt = t;
    // The finished reply drawn again from the history: it then carries its id.
    if (reply instanceof HTMLElement && reply.dataset.id && !state.storedAt) state.storedAt = t;
    const cost = performance.now() - start;
    state.costTotal += cost;
    state.costMax = Math.max(state.costMax, cost);
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}

/**
 * Notes the click that opens a conversation, and the first frame whose log holds `word` in
 * its last message.
 * @param {string} word
 */
function openProbe(word) {
  const log = /** @type {HTMLElement} */ (document.getElementById('conversation'));
  const now = () => performance.timeOrigin + performance.now();
  const state = { clickAt: 0, heldAt: 0, stop: false };
  Object.assign(window, { __bench: state });
  document.addEventListener('click', () => { if (!state.clickAt) state.clickAt = now(); }, { capture: true, once: true });
  function lastArticle() {
    let n = log.lastElementChild;
    for (let i = 0; n && i < 8; i++, n = n.previousElementSibling) if (n.tagName === 'ARTICLE') return n;
    return null;
  }
  function frame() {
    if (state.stop) return;
    const t = now();
    if (state.clickAt && lastArticle()?.textContent?.includes(word)) state.heldAt = t;
    else requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}

/**
 * Scrolls the log from where it is to the bottom, `step` px a frame, noting every frame's time.
 * @param {number} step
 */
function scrollProbe(step) {
  const log = /** @type {HTMLElement} */ (document.getElementById('conversation'));
  const state = { t: /** @type {number[]} */ ([]), from: log.scrollTop, height: log.scrollHeight, done: false, stop: false };
  Object.assign(window, { __bench: state });
  let still = 0;
  function frame() {
    if (state.stop) return;
    state.t.push(performance.timeOrigin + performance.now());
    const before = log.scrollTop;
    if (before + log.clientHeight >= log.scrollHeight - 1) {
      state.done = true;
      state.height = log.scrollHeight;
      return;
    }
    log.scrollTo({ top: before + step, behavior: 'instant' });
    // A log that will not scroll further (nothing more to load) ends the run too.
    still = log.scrollTop === before ? still + 1 : 0;
    if (still > 30) {
      state.done = true;
      return;
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}

// ---- memory ----

/** The processes of the app: those with our data dir in their environment that run palaver, and all under them. */
function appProcesses(dataDir) {
  const marker = `PALAVER_DATA_DIR=${dataDir}\0`;
  /** @type {Map<number, { ppid: number, name: string }>} */
  const all = new Map();
  const roots = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      all.set(pid, { ppid, name: comm });
      if (comm.startsWith('palaver') && readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) roots.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  const found = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of all) {
      if (!found.has(pid) && found.has(p.ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  // The executable's name in full (comm stops at 15 characters: "WebKitWebProces").
  const name = (pid) => {
    try { return readlinkSync(`/proc/${pid}/exe`).split('/').pop() ?? ''; } catch { return /** @type {{ name: string }} */ (all.get(pid)).name; }
  };
  return [...found].sort((a, b) => a - b).map((pid) => ({ pid, name: name(pid) }));
}

/** PSS of each of the app's processes, in KiB, with its anonymous, file and shared-memory parts. */
function memory(dataDir) {
  const procs = [];
  for (const { pid, name } of appProcesses(dataDir)) {
    let rollup;
    try { rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'); } catch { continue; }
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    procs.push({ pid, name, pss: kb('Pss'), anon: kb('Pss_Anon'), file: kb('Pss_File'), shmem: kb('Pss_Shmem') });
  }
  return { total: procs.reduce((s, p) => s + p.pss, 0), procs };
}

const mib = (kb) => `${(kb / 1024).toFixed(0)} MiB`;

// ---- statistics ----

/** The q-quantile of `xs` (nearest rank), or NaN when there is none. */
function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Figures of one streaming case from the page's frames and the server's send times. */
function streamFigures(frames, sent, count) {
  const { t, seen } = frames;
  // Latency of marker k: the first frame holding k or a later marker.
  const latencies = [];
  let f = 0;
  for (const [k, at] of sent.markers) {
    while (f < t.length && seen[f] < k) f++;
    if (f === t.length) break;
    latencies.push(t[f] - at);
  }
  const end = frames.lastAt || Infinity;
  const gaps = [];
  for (let i = 1; i < t.length; i++) if (t[i - 1] >= sent.startedAtMs && t[i] <= end) gaps.push(t[i] - t[i - 1]);
  // After the stream: the reply finished and drawn again from the history.
  const after = [];
  const stored = frames.storedAt || -Infinity;
  for (let i = 1; i < t.length; i++) if (t[i] > end && t[i - 1] < stored) after.push(t[i] - t[i - 1]);
  const markers = sent.markers;
  const span = markers.length > 1 ? markers.at(-1)[1] - markers[0][1] : NaN;
  const achieved = markers.length > 1 ? ((markers.at(-1)[0] - markers[0][0]) / span) * 1000 : NaN;
  const behind = sent.rate ? Math.max(...markers.map(([k, at]) => at - (sent.startedAtMs + ((k - 1) / sent.rate) * 1000))) : NaN;
  return {
    count,
    seen: seen.at(-1) ?? -1,
    markersSeen: latencies.length,
    markersSent: markers.length,
    latency: latencies,
    gaps,
    longestAfter: after.length ? Math.max(...after) : NaN,
    lastByteToScreen: frames.lastAt && sent.lastByteAtMs ? frames.lastAt - sent.lastByteAtMs : NaN,
    lastByteToComplete: frames.completeAt && sent.lastByteAtMs ? frames.completeAt - sent.lastByteAtMs : NaN,
    lastByteToStored: frames.storedAt && sent.lastByteAtMs ? frames.storedAt - sent.lastByteAtMs : NaN,
    enterToScreen: frames.lastAt && frames.enterAt ? frames.lastAt - frames.enterAt : NaN,
    sendSeconds: sent.lastByteAtMs ? (sent.lastByteAtMs - sent.startedAtMs) / 1000 : NaN,
    achieved,
    behind,
    frames: t.length,
    probeMean: t.length ? frames.costTotal / t.length : NaN,
    probeMax: frames.costMax,
  };
}

// ---- the run ----

const stack = await startStack({ env: () => ({ OPENAI_API_KEY: 'sk-bench-render-000000000000' }) });
const results = /** @type {Record<string, any>} */ ({});
const mem = /** @type {Record<string, ReturnType<typeof memory>>} */ ({});
const failures = [];
let clockOffset = 0;
try {
  if (CASES.includes('conversation')) {
    importHistory(stack.dataDir, conversationExport(MESSAGES, { title: CONVERSATION_TITLE, lastWord: LAST_WORD }));
  }
  const app = await stack.startApp().catch((e) => {
    // `palaver` starts the window by becoming the `palaver-app` beside it; alone it cannot.
    throw new Error(`${APP} did not start (PALAVER_APP must be a palaver-app, or a palaver command with palaver-app beside it): ${e.message}`);
  });
  await app.waitFor(async () => (await app.find('#message')).displayed(), { timeout: 30000, what: 'the main window' });

  // The page's clock against the system's: performance.timeOrigin was read once, at load.
  const offsets = [];
  for (let i = 0; i < 5; i++) offsets.push(await app.exec('return Date.now() - (performance.timeOrigin + performance.now())'));
  clockOffset = quantile(offsets, 0.5);

  await sleep(SETTLE_MS);
  mem.idle = memory(stack.dataDir);
  // The same processes with nothing of ours in the page: what the window costs before our
  // code. The app refuses to leave its own origin (about:blank included), so the blank page
  // is its stylesheet shown as text, 14 KB and no script.
  const url = await app.exec('return location.href');
  await app.cmd('POST', '/url', { url: new URL('/main.css', url).href });
  await app.waitFor(async () => (await app.exec('return location.pathname')) === '/main.css', { what: 'the blank page' });
  await sleep(SETTLE_MS);
  mem.blank = memory(stack.dataDir);
  await app.cmd('POST', '/url', { url });
  await app.waitFor(async () => (await app.find('#message')).displayed(), { timeout: 30000, what: 'the main window again' });

  for (const name of CASES) {
    if (name === 'conversation') {
      results.conversation = await conversationCase(app);
    } else {
      results[name] = await streamCase(app, name);
    }
    await sleep(SETTLE_MS);
    mem[name] = memory(stack.dataDir);
  }
} catch (e) {
  failures.push(`the benchmark stopped: ${e instanceof Error ? e.stack : e}`);
} finally {
  await stack.stop();
}

/**
 * One streaming case in a new chat: the tagged question sent with Enter, the probe running
 * from before the send until the reply is complete and stored.
 * @param {import('./webdriver.mjs').Session} app
 * @param {string} name
 */
async function streamCase(app, name) {
  const burst = name.startsWith('burst');
  const count = burst ? BURST : Math.round(RATE * SECONDS);
  const tag = burst ? `[burst ${count} ${name === 'burst' ? 'paragraph' : 'markdown'}]` : `[rate ${RATE} ${count} ${name}]`;
  await (await app.find('#new-chat')).click();
  await app.waitFor(async () => app.exec(`return !document.querySelector('#conversation article')`), { what: 'a new chat' });
  await app.exec(`(${streamProbe})(arguments[0])`, count);
  const input = await app.find('#message');
  await input.type(`Render benchmark ${tag}`);
  await input.type(Keys.ENTER);
  // Polled seldom: each look is a script run in the page, on the same thread as the renderer,
  // and waits for it while it is busy.
  const deadline = Date.now() + Math.max(120, SECONDS * 10, count / 200) * 1000;
  let stored = false;
  while (!stored && Date.now() < deadline) {
    await sleep(500);
    stored = await app.exec(`const b = window.__bench;
      return !!(b.lastAt && b.completeAt && b.storedAt);`).catch(() => false);
  }
  await sleep(300);
  const frames = await app.exec('const b = window.__bench; b.stop = true; return b;');
  const sent = await (await fetch(`${stack.base.replace(/\/v1$/, '')}/_mock/sent`)).json();
  for (const k of ['enterAt', 'completeAt', 'lastAt', 'storedAt']) if (frames[k]) frames[k] += clockOffset;
  frames.t = frames.t.map((x) => x + clockOffset);
  const figures = streamFigures(frames, sent, count);
  if (!stored) failures.push(`${name}: the reply was not complete and stored in time (highest marker on screen ${figures.seen} of ${count})`);
  if (figures.frames === 0) failures.push(`${name}: the probe saw no frame`);
  if (figures.markersSeen === 0) failures.push(`${name}: the probe found no marker in the reply`);
  if (sent.count !== count) failures.push(`${name}: the server did not send the benchmark reply (it says ${JSON.stringify({ count: sent.count })})`);
  return figures;
}

/**
 * The conversation case: a click on the imported conversation in the sidebar, until its last
 * message is in a frame; then the log scrolled from its top to its bottom.
 * @param {import('./webdriver.mjs').Session} app
 */
async function conversationCase(app) {
  await (await app.find('#new-chat')).click();
  const item = await app.waitFor(async () => app.find(`.conv-open[title="${CONVERSATION_TITLE}"]`), { what: 'the imported conversation in the sidebar' });
  await app.exec(`(${openProbe})(arguments[0])`, LAST_WORD);
  await item.click();
  const open = await app.waitFor(async () => app.exec('const b = window.__bench; return b.heldAt ? b : null;'), { timeout: 60000, what: 'the conversation to open' })
    .catch(() => null);
  await app.exec('window.__bench.stop = true');
  if (!open) {
    failures.push('conversation: its last message never reached a frame');
    return { messages: MESSAGES };
  }
  await app.exec(`document.getElementById('conversation').scrollTo({ top: 0, behavior: 'instant' })`);
  await sleep(SMOKE ? 300 : 1000);
  const view = await app.exec(`const log = document.getElementById('conversation');
    return { articles: log.querySelectorAll('article').length, top: log.scrollTop, client: log.clientHeight };`);
  await app.exec(`(${scrollProbe})(arguments[0])`, SCROLL_STEP);
  const scroll = await app.waitFor(async () => app.exec('const b = window.__bench; return b.done ? b : null;'), { timeout: 120000, what: 'the scroll to the bottom' })
    .catch(() => null);
  await app.exec('window.__bench.stop = true');
  const gaps = [];
  for (let i = 1; i < (scroll?.t.length ?? 0); i++) gaps.push(scroll.t[i] - scroll.t[i - 1]);
  if (gaps.length === 0) failures.push('conversation: no frame while scrolling');
  return {
    messages: MESSAGES,
    open: open.heldAt - open.clickAt,
    articles: view.articles,
    scrollPx: scroll ? scroll.height - view.client - view.top : NaN,
    scrollMs: scroll ? scroll.t.at(-1) - scroll.t[0] : NaN,
    gaps,
  };
}

// ---- the report ----

const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '—');
const sec = (x) => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : '—');
const trio = (xs) => (xs?.length ? `${quantile(xs, 0.5).toFixed(0)} / ${quantile(xs, 0.99).toFixed(0)} / ${Math.max(...xs).toFixed(0)} ms` : '—');
const duo = (xs) => (xs?.length ? `${quantile(xs, 0.5).toFixed(0)} / ${quantile(xs, 0.99).toFixed(0)} ms` : '—');

const streams = CASES.filter((c) => c !== 'conversation' && results[c]);
const build = APP.includes('/release/') || !APP.includes('/debug/') ? APP : `${APP} (debug build)`;
console.log(`\nrender benchmark: ${build}; Xvfb, software GL${SMOKE ? '; smoke sizes' : ''}`);
if (Math.abs(clockOffset) >= 1) console.log(`(the page's clock was ${clockOffset.toFixed(0)} ms behind the system's; corrected)`);
if (streams.length) {
  const rows = [
    ['', (c) => c],
    ['tokens', (c) => (c.startsWith('burst') ? `${results[c].count} at once` : `${results[c].count} at ${RATE}/s`)],
    ['server: sent in, achieved rate', (c) => `${results[c].sendSeconds.toFixed(2)} s, ${results[c].achieved.toFixed(0)}/s`],
    ['server: most behind schedule', (c) => (c.startsWith('burst') ? '—' : ms(results[c].behind))],
    ['markers on screen / sent', (c) => `${results[c].markersSeen} / ${results[c].markersSent}`],
    ['token → frame p50 / p99', (c) => duo(results[c].latency)],
    ['frame gap p50 / p99 / max', (c) => trio(results[c].gaps)],
    ['longest frame after, until stored', (c) => ms(results[c].longestAfter)],
    ['last byte → whole reply on screen', (c) => sec(results[c].lastByteToScreen)],
    ['last byte → reply complete', (c) => sec(results[c].lastByteToComplete)],
    ['last byte → stored reply drawn', (c) => sec(results[c].lastByteToStored)],
    ['Enter → whole reply on screen', (c) => sec(results[c].enterToScreen)],
    ['probe per frame mean / max', (c) => `${results[c].probeMean.toFixed(2)} / ${results[c].probeMax.toFixed(1)} ms`],
    ['PSS after', (c) => (mem[c] ? mib(mem[c].total) : '—')],
  ];
  table(rows.map(([label, f]) => [label, ...streams.map(f)]));
}
const conv = results.conversation;
if (conv) {
  console.log('');
  table([
    ['conversation', `${conv.messages} messages`],
    ['click → its last message in a frame', ms(conv.open)],
    ['messages in the log / scrolled', `${conv.articles ?? '—'} / ${Number.isFinite(conv.scrollPx) ? `${conv.scrollPx} px in ${sec(conv.scrollMs)}, ${SCROLL_STEP} px a frame` : '—'}`],
    ['scroll frame gap p50 / p99 / max', trio(conv.gaps)],
    ['PSS after', mem.conversation ? mib(mem.conversation.total) : '—'],
  ]);
}
// Memory side by side: a row per process (by pid: the two web processes are the main
// window's and the hidden quick-ask window's), a column per moment.
const moments = Object.keys(mem);
const label = (when) => (when === 'blank' ? 'page blank' : when === 'idle' ? 'idle' : `after ${when}`);
const pids = [...new Set(moments.flatMap((w) => mem[w].procs.map((p) => p.pid)))];
const procRow = (pid) => {
  const name = moments.map((w) => mem[w].procs.find((p) => p.pid === pid)?.name).find(Boolean);
  return [`${name} (${pid})`, ...moments.map((w) => {
    const p = mem[w].procs.find((x) => x.pid === pid);
    return p ? mib(p.pss) : '—';
  })];
};
if (moments.length) {
  console.log('\nPSS of the app\'s processes:');
  table([
    ['', ...moments.map(label)],
    ...pids.map(procRow),
    ['total', ...moments.map((w) => mib(mem[w].total))],
    ['  of which anonymous', ...moments.map((w) => mib(mem[w].procs.reduce((s, p) => s + p.anon, 0)))],
  ]);
}

/** @param {string[][]} rows */
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')}`);
}

if (failures.length) {
  for (const f of failures) console.error(`bench-render: ${f}`);
  process.exit(1);
}
