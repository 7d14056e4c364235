// Compiles the floor module (assembly/index.ts) with the repository's pinned asc 0.17 and the
// filter's release options (asconfig.json at the root: -O3, shrink 0, the full runtime, the
// proc_exit abort), so the two modules differ only in what their callbacks do.
import { execFile } from 'node:child_process';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = import.meta.dirname;
const REPO = resolve(HERE, '../..');
const ASC = join(REPO, 'node_modules/assemblyscript/bin/asc');
const SOURCE = join(HERE, 'assembly/index.ts');

/** Where the bench keeps the floor module, beside the filter's build. */
export const NOOP_FILTER_WASM = join(REPO, 'build', 'noop-floor.wasm');

/** The root asconfig.json's release target, as flags: asc is pointed at an empty config so that it does not also write build/shadowdiff.wat. */
const RELEASE_FLAGS = ['--optimizeLevel', '3', '--shrinkLevel', '0', '--runtime', 'full', '--use', 'abort=abort_proc_exit'];

/** Builds the floor module into `output` (default NOOP_FILTER_WASM) and returns its path. */
export async function buildNoopFilter(output: string = NOOP_FILTER_WASM): Promise<string> {
  await mkdir(dirname(output), { recursive: true });
  // Written under a temporary name, then renamed: a reader never sees half a module.
  const partial = `${output}.${process.pid}.partial`;
  try {
    await run(process.execPath, [ASC, SOURCE, '-b', partial, '--config', join(HERE, 'asconfig.json'), ...RELEASE_FLAGS], { cwd: REPO });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`asc failed to build the no-op floor module ${SOURCE}:\n${stderr}`, { cause: error });
  }
  await rename(partial, output);
  return output;
}
