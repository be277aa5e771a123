// Builds the frontend into ui/dist: one ES module bundle, one stylesheet, the HTML page.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownPropertyAssignments } from './frozen-prototype.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: { main: join(root, 'src/main.js'), quick: join(root, 'src/quick.js') },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [ownPropertyAssignments()],
});
await build({
  entryPoints: { main: join(root, 'src/main.css') },
  outdir: dist,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
await copyFile(join(root, 'index.html'), join(dist, 'index.html'));
await copyFile(join(root, 'quick.html'), join(dist, 'quick.html'));
console.log('ui/dist built');
