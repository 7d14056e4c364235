import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../envoy/json.js';
import { envoyBinary } from '../../devkit/findEnvoy.js';
import { PROJECT_ROOT } from '../../devkit/paths.js';

export interface ValidationResult {
  ok: boolean;
  output: string;
}

/**
 * `envoy --mode validate`: builds every listener, cluster and filter (it loads and configures the
 * wasm module) without binding ports or starting workers. Runs from the repository root, where
 * relative paths in the shipped configs point.
 */
export async function validateConfigFile(configPath: string): Promise<ValidationResult> {
  // Tests never install Envoy: a missing one fails them (`npm test`'s pretest provisions it).
  const binary = await envoyBinary(false);
  return new Promise((resolve) => {
    execFile(
      binary,
      ['--mode', 'validate', '--config-path', configPath, '--disable-hot-restart', '--log-level', 'warning'],
      { cwd: PROJECT_ROOT, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` }),
    );
  });
}

export async function validateConfigObject(config: JsonObject): Promise<ValidationResult> {
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-validate-'));
  try {
    const configPath = join(dir, 'envoy.json');
    await writeFile(configPath, JSON.stringify(config));
    return await validateConfigFile(configPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
