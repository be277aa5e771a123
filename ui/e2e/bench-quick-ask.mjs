// How long from `palaver --quick-ask` (a second launch handing over to the running app) to
// the quick-ask window on screen with focus in its input. A program that prints figures;
// it asserts nothing about time. Run it in the end-to-end environment:
//   E2E_COMMAND="node ui/e2e/bench-quick-ask.mjs" .ci/e2e
// and against a release build (cargo build --release first):
//   E2E_COMMAND="PALAVER_APP=target/release/palaver node ui/e2e/bench-quick-ask.mjs" .ci/e2e
import { spawn } from 'node:child_process';
import { APP, startStack, viewableWindow } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 20);

/** The X server's word on whether the quick-ask window is on screen. */
function mapped() {
  return viewableWindow('Palaver — Quick ask') !== null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what) {
  const deadline = Date.now() + 10000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 10 s`);
    await sleep(2);
  }
}

const env = (base, dataDir) => ({ OPENAI_API_KEY: 'sk-bench-quick-000000000000', PALAVER_DATA_DIR: dataDir, OPENAI_BASE_URL: base });
const visible = [];
const focused = [];
const handover = [];
const stack = await startStack({ env });
try {
  const app = await stack.startApp();
  await until(async () => (await app.find('#message')).displayed(), 'the main window');
  const main = await app.currentHandle();
  // The quick-ask window exists (hidden) from start-up; find it among the handles.
  let quick;
  await until(async () => {
    for (const h of await app.windowHandles()) {
      await app.switchTo(h);
      if ((await app.exec('return location.pathname')).endsWith('quick.html')) quick = h;
    }
    return quick;
  }, 'the hidden quick-ask window');
  // The page notes, by the same clock as ours, when its input gets focus in a focused window:
  // the WebDriver round trips that read the note afterwards are not part of the figure.
  await app.switchTo(quick);
  await app.exec(`
    const input = document.getElementById('quick-input');
    const note = () => { if (document.hasFocus() && document.activeElement === input) window.__focusedAt ||= Date.now(); };
    input.addEventListener('focus', note);
    window.addEventListener('focus', note);`);
  await app.switchTo(main);

  for (let i = 0; i < RUNS; i++) {
    await app.switchTo(quick);
    await app.exec('window.__focusedAt = 0');
    await app.switchTo(main);
    const startWall = Date.now();
    const start = performance.now();
    const child = spawn(APP, ['--quick-ask'], { env: { ...process.env, ...env(stack.base, stack.dataDir) }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', () => resolve(performance.now() - start)));
    await until(() => mapped(), 'the quick-ask window on screen');
    visible.push(performance.now() - start);
    await app.switchTo(quick);
    let at = 0;
    await until(async () => (at = await app.exec('return window.__focusedAt')) > 0, 'focus in the input');
    focused.push(at - startWall);
    handover.push(await Promise.race([exited, sleep(5000).then(() => { child.kill(); return NaN; })]));
    await app.exec(`document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))`);
    await until(() => !mapped(), 'the quick-ask window hiding');
    await app.switchTo(main);
    await sleep(150);
  }
} finally {
  await stack.stop();
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(0);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${s[s.length - 1].toFixed(0)} ms`;
};
console.log(`\nquick ask, ${RUNS} runs (${APP.includes('/release/') ? 'release' : 'debug'} build, Xvfb):`);
console.log(`  palaver --quick-ask → window on screen        ${stats(visible)}`);
console.log(`  palaver --quick-ask → focus in the input      ${stats(focused)}`);
console.log(`  second launch hands over and exits            ${stats(handover)}`);
