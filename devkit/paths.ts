import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What `npm run build:filter` produces; the `pretest` script builds it. */
export const FILTER_WASM = join(PROJECT_ROOT, 'build', 'shadowdiff.wasm');
/** Debian's Chromium, which playwright-core drives in the browser tests (never a downloaded build); provisioned by pretest. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const WIRE_FORMAT_SCHEMA = join(PROJECT_ROOT, 'filter', 'wire-format.schema.json');
export const WIRE_FORMAT_V2_SCHEMA = join(PROJECT_ROOT, 'filter', 'wire-format-v2.schema.json');

/** The real-Envoy suites test the shipped module: a missing build fails them, it never skips them. */
export async function requireFilterWasm(): Promise<string> {
  try {
    await access(FILTER_WASM);
  } catch {
    throw new Error(`${FILTER_WASM} is missing: run \`npm run build:filter\` (npm test builds it first)`);
  }
  return FILTER_WASM;
}
