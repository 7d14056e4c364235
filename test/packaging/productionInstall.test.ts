// What an operator gets from `npm install --omit=dev` in a fresh checkout: every package the
// collector loads at run time (tsx included: bin/shadowdiff.js runs the TypeScript through it) is a
// dependency, no build or test tool is installed, and the collector starts and ingests a batch.

import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type ManagedProcess } from '../../devkit/managedProcess.js';
import { PROJECT_ROOT } from '../../devkit/paths.js';
import { waitUntil } from '../../devkit/waitUntil.js';

const run = promisify(execFile);
// better-sqlite3 is native: without a reachable prebuilt binary (no access to GitHub releases here) npm builds SQLite from source, minutes on a busy 2-core machine.
const INSTALL_TIMEOUT_MS = 720_000;

interface PackageJson {
  dependencies: Record<string, string>;
}

/** package-lock.json v3: `dev` marks a package that only devDependencies need. */
interface PackageLock {
  packages: Record<string, { dev?: boolean }>;
}

/** The environment of a shell an operator opens: nothing this test run set for itself. */
function operatorEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('SHADOWDIFF_') || name.startsWith('VITEST') || name === 'NODE_OPTIONS' || name === 'NODE_ENV') continue;
    env[name] = value;
  }
  return env;
}

/** The tracked files as they are in the working tree: what a clone of the next commit holds. */
async function copyTrackedTree(into: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
  for (const file of stdout.split('\0')) {
    // A file deleted but not yet committed as deleted is not part of the next commit.
    if (file === '' || !existsSync(join(PROJECT_ROOT, file))) continue;
    await mkdir(dirname(join(into, file)), { recursive: true });
    await copyFile(join(PROJECT_ROOT, file), join(into, file));
  }
}

describe('a production install (npm install --omit=dev) of a fresh checkout', () => {
  let checkout: string;
  let lockBefore: string;
  let manifest: PackageJson;
  let collector: ManagedProcess | undefined;

  beforeAll(async () => {
    checkout = await mkdtemp(join(tmpdir(), 'shadowdiff-production-'));
    await copyTrackedTree(checkout);
    lockBefore = await readFile(join(checkout, 'package-lock.json'), 'utf8');
    manifest = JSON.parse(await readFile(join(checkout, 'package.json'), 'utf8')) as PackageJson;
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: checkout,
      env: operatorEnv(),
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  }, INSTALL_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await collector?.stop();
    if (checkout !== undefined) await rm(checkout, { recursive: true, force: true });
  });

  it('installs every dependency and nothing only the build and tests need, from a package-lock.json that agrees with package.json', async () => {
    for (const name of Object.keys(manifest.dependencies)) {
      expect(existsSync(join(checkout, 'node_modules', name, 'package.json')), `dependency ${name} installed`).toBe(true);
    }
    const lock = JSON.parse(lockBefore) as PackageLock;
    // A devDependency may also be what a runtime package needs (fastify needs ajv-formats): the
    // lock then does not mark it dev, and it is rightly installed.
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.dev === true)
      .map(([path]) => path);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/vitest', 'node_modules/typescript', 'node_modules/assemblyscript']));
    expect(devOnly.filter((path) => existsSync(join(checkout, path)))).toEqual([]);
    expect(await readFile(join(checkout, 'package-lock.json'), 'utf8')).toBe(lockBefore);
  });

  it('runs the collector: /healthz answers and a batch from collector/examples is accepted', async () => {
    collector = startProcess(
      'collector',
      process.execPath,
      ['collector/bin/shadowdiff.js', 'collector', '--host', '127.0.0.1', '--port', '0'],
      {
        cwd: checkout,
        env: operatorEnv(),
        outputTailBytes: Infinity,
      },
    );
    const running = collector;
    const baseUrl = await waitUntil(
      'the collector to say where it listens',
      () => {
        if (!running.alive()) throw new Error(`the collector exited (code ${running.exitCode()}):\n${running.output()}`);
        return /collector listening on (http:\/\/[^\s,]+)/.exec(running.output())?.[1];
      },
      { timeoutMs: 30_000 },
    );

    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const batch = JSON.parse(await readFile(join(checkout, 'collector', 'examples', 'batch.json'), 'utf8')) as { records: unknown[] };
    const ingest = await fetch(`${baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    expect(ingest.status).toBe(200);
    expect(await ingest.json()).toMatchObject({ accepted: batch.records.length, rejectedRecords: 0 });
  });
});
