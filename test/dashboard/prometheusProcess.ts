// A real Prometheus (the Debian package) on a free loopback port, with its storage in a temp dir,
// for the dashboard proof. stop() ends it and removes the temp dir.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../devkit/freePort.js';
import { startProcess } from '../../devkit/managedProcess.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { runSystemCommand } from './systemCommand.js';

export const PROMETHEUS_DEBIAN_PACKAGE = 'prometheus';

/** One series of an instant query: its labels and its value as Prometheus prints it ("0.25", "NaN"). */
export interface InstantSample {
  metric: Record<string, string>;
  value: string;
}

export interface RunningPrometheus {
  url: string;
  /** Evaluates `expr` now through /api/v1/query; a query Prometheus refuses is an error naming it. */
  query(expr: string): Promise<InstantSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: unknown };
}

export async function startPrometheus(config: Record<string, unknown>): Promise<RunningPrometheus> {
  // Fails with "not installed" before anything starts.
  await runSystemCommand('prometheus', ['--version'], PROMETHEUS_DEBIAN_PACKAGE);
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess('prometheus', 'prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const stop = async (): Promise<void> => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      `Prometheus ready at ${url}`,
      async () => {
        if (!server.alive()) throw new Error(`Prometheus exited before it was ready:\n${server.output()}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, query: (expr) => instantQuery(url, expr), logs: () => server.output(), stop };
}

async function instantQuery(url: string, expr: string): Promise<InstantSample[]> {
  const response = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
  const body = (await response.json()) as QueryResponse;
  if (body.status !== 'success' || body.data === undefined) throw new Error(`Prometheus refused ${expr}: ${body.error ?? response.status}`);
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return [{ metric: {}, value: (result as [number, string])[1] }];
  if (resultType !== 'vector') throw new Error(`${expr}: an instant query gave a ${resultType}, not a vector`);
  return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((sample) => ({
    metric: sample.metric,
    value: sample.value[1],
  }));
}
