/**
 * Bundles the web UI (collector/ui/, Preact + TSX) into build/ui/, which the collector serves
 * (collector/http/uiRoutes.ts): one JavaScript bundle and one stylesheet under assets/, named by
 * their content's hash, and index.html naming them. The folder is emptied first, so no stale
 * asset is ever served.
 *
 *   npm run build:ui    # `npm run build` runs it, so `npm test` and the demo do too
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../devkit/paths.js';

const UI_SOURCE = join(PROJECT_ROOT, 'collector', 'ui');
const OUT = join(PROJECT_ROOT, 'build', 'ui');

await rm(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: join(UI_SOURCE, 'main.tsx') },
  tsconfig: join(UI_SOURCE, 'tsconfig.json'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  outdir: join(OUT, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs);
const named = (extension: string): string => {
  const found = outputs.filter(([path]) => path.endsWith(extension));
  if (found.length !== 1)
    throw new Error(`build:ui: expected one ${extension} output, got ${found.map(([path]) => path).join(', ') || 'none'}`);
  return basename(found[0]![0]);
};
const js = named('.js');
const css = named('.css');
const template = await readFile(join(UI_SOURCE, 'index.html'), 'utf8');
await writeFile(join(OUT, 'index.html'), template.replace('{{js}}', js).replace('{{css}}', css));
for (const [path, output] of outputs) console.log(`build:ui: ${basename(path)} ${(output.bytes / 1024).toFixed(1)} KiB`);
