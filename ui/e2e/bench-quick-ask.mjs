// How long from `palaver --quick-ask` (a second launch handing over to the running app) to
// the quick-ask window on screen with focus in its input. A program that prints figures;
// it asserts nothing about time. Run it in the end-to-end environment:
//   E2E_COMMAND="node ui/e2e/bench-quick-ask.mjs" .ci/e2e
import { execFileSync, spawn } from 'node:child_process';
import { APP, startStack } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 10);

function mapped() {
  const tree = execFileSync('xwininfo', ['-root', '-tree']).toString();
  const line = tree.split('\n').find((l) => l.includes('Palaver — Quick ask'));
  if (!line) return false;
  return execFileSync('xwininfo', ['-id', line.trim().split(/\s+/)[0]]).toString().includes('IsViewable');
}

const env = (base, dataDir) => ({ OPENAI_API_KEY: 'sk-bench-quick-000000000000', PALAVER_DATA_DIR: dataDir, OPENAI_BASE_URL: base });
const visible = [];
const focused = [];
const handover = [];
const stack = await startStack({ env });
try {
const app = await stack.startApp();
await app.waitFor(async () => (await app.find('#message')).displayed(), { what: 'the main window' });
const main = await app.currentHandle();
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  const child = spawn(APP, ['--quick-ask'], { env: { ...process.env, ...env(stack.base, stack.dataDir) }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', () => resolve(performance.now() - start)));
  const deadline = Date.now() + 10000;
  const until = async (check) => {
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('quick ask did not appear within 10 s');
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  await until(() => mapped());
  visible.push(performance.now() - start);
  let quick;
  for (const h of await app.windowHandles()) {
    await app.switchTo(h);
    if ((await app.exec('return location.pathname')).endsWith('quick.html')) quick = h;
  }
  if (!quick) throw new Error('no quick-ask window');
  await until(async () => (await app.exec('return document.activeElement?.id')) === 'quick-input');
  focused.push(performance.now() - start);
  handover.push(await Promise.race([exited, new Promise((r) => setTimeout(() => { child.kill(); r(NaN); }, 5000))]));
  await app.exec(`document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))`);
  const hideBy = Date.now() + 10000;
  while (mapped() && Date.now() < hideBy) await new Promise((r) => setTimeout(r, 5));
  await app.switchTo(main);
  await new Promise((r) => setTimeout(r, 150));
}
} finally {
  await stack.stop();
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${s[Math.floor(s.length / 2)].toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms`;
};
console.log(`\nquick ask, ${RUNS} runs (${APP.includes('/debug/') ? 'debug' : 'release'} build, Xvfb):`);
console.log(`  palaver --quick-ask → window on screen        ${stats(visible)}`);
console.log(`  palaver --quick-ask → focus in the input      ${stats(focused)} (polled over WebDriver)`);
console.log(`  second launch hands over and exits            ${stats(handover)}`);
