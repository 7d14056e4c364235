// Compiles AssemblyScript test modules (the emulator's fixtures, the filter's digest probe)
// with the project's asc 0.17.
//
// Builds go to a cache in the OS temp dir, keyed by the sources that go into the module, the
// flags and the compiler/runtime versions, so the test files (and later runs) share one
// build. The test workers run in parallel: the first to need a module takes a lock file and
// builds it (under a temporary name, then renamed), the others wait for the result instead of
// compiling it again. asc is pointed at an asconfig.json without targets: otherwise it would
// apply the repository's asconfig.json, whose release target also writes build/shadowdiff.wat.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const ASC = join(REPO, 'node_modules/assemblyscript/bin/asc');
const CACHE = join(tmpdir(), 'shadowdiff-assemblyscript-builds');
/** A lock older than this belongs to a build that died. */
const STALE_LOCK_MS = 10 * 60_000;

/** How long a test file may wait for its modules: -O3 on a busy 2-core machine takes minutes. */
export const ASSEMBLYSCRIPT_BUILD_TIMEOUT_MS = 10 * 60_000;

export interface AssemblyScriptModule {
  /** Names the build in the cache and in errors. */
  readonly name: string;
  /** The entry file. */
  readonly source: string;
  /** An asconfig.json without targets, beside the entry. */
  readonly config: string;
  readonly flags: readonly string[];
  /** Every other file the entry imports from the repository (its bytes key the cache). */
  readonly imports: readonly string[];
}

export async function buildAssemblyScript(module: AssemblyScriptModule): Promise<Uint8Array<ArrayBuffer>> {
  const hash = createHash('sha256').update(await readFile(module.source));
  for (const file of module.imports) hash.update(await readFile(file));
  const key = hash
    .update(module.flags.join(' '))
    .update(await readFile(join(REPO, 'node_modules/assemblyscript/package.json')))
    .update(await readFile(join(REPO, 'node_modules/@solo-io/proxy-runtime/package.json')))
    .digest('hex')
    .slice(0, 16);
  const output = join(CACHE, `${module.name}-${key}.wasm`);
  const lock = `${output}.lock`;
  await mkdir(CACHE, { recursive: true });
  for (;;) {
    const built = await readIfPresent(output);
    if (built !== null) {
      return built;
    }
    const handle = await open(lock, 'wx').catch(() => null);
    if (handle !== null) {
      try {
        await compile(module, output);
      } finally {
        await handle.close();
        await rm(lock, { force: true });
      }
      continue;
    }
    const age = await stat(lock).then((lockStat) => Date.now() - lockStat.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) {
      await rm(lock, { force: true });
    }
    await sleep(250);
  }
}

async function readIfPresent(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return null;
  }
}

async function compile(module: AssemblyScriptModule, output: string): Promise<void> {
  const partial = output.replace(/\.wasm$/, `.${process.pid}.partial.wasm`);
  try {
    await run(process.execPath, [ASC, relative(REPO, module.source), '-b', partial, '--config', module.config, ...module.flags], { cwd: REPO });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`asc failed to build ${module.name}:\n${stderr}`, { cause: error });
  }
  await rename(partial, output);
}
