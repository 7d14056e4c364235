// The real collector, in this process, for tests that send real filter output through Envoy: memory
// only (no store), on a free loopback port, sweeping often so that a short join window decides pairs
// and missing legs within seconds.
import { parseConfig } from '../../collector/config.js';
import { startServer, type RunningServer } from '../../collector/http/server.js';
import type { PairView, Report } from '../../collector/types.js';
import type { Endpoint } from '../../envoy/bootstrap.js';

export interface JoiningCollector {
  server: RunningServer;
  endpoint: Endpoint;
  pair(id: string): Promise<PairView | undefined>;
  report(): Promise<Report>;
  close(): Promise<void>;
}

export interface JoiningCollectorOptions {
  /** The join window; the collector's default (30 s) when absent. */
  windowMs?: number;
  /** Field globs ignored on every route (the collector's `ignore.fields`). */
  ignoreFields?: readonly string[];
  /** Numeric differences declared acceptable (the collector's `compare.tolerances`). */
  tolerances?: ReadonlyArray<{ path: string; abs?: number; rel?: number }>;
  /** The collector's `reportToken`; report() and pair() send it. */
  reportToken?: string;
}

export async function startJoiningCollector(options: JoiningCollectorOptions = {}): Promise<JoiningCollector> {
  const join = { sweepIntervalMs: 100, ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }) };
  const server = await startServer(
    parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      logLevel: 'warn',
      store: { path: '' },
      join,
      ignore: { fields: options.ignoreFields ?? [] },
      compare: { tolerances: options.tolerances ?? [] },
      ...(options.reportToken === undefined ? {} : { reportToken: options.reportToken }),
    }),
  );
  const headers: Record<string, string> = options.reportToken === undefined ? {} : { authorization: `Bearer ${options.reportToken}` };
  return {
    server,
    endpoint: { address: '127.0.0.1', port: Number(new URL(server.url).port) },
    pair: async (id) => {
      const response = await fetch(`${server.url}/v1/pairs/${id}`, { headers });
      return response.status === 200 ? ((await response.json()) as PairView) : undefined;
    },
    report: async () => {
      const response = await fetch(`${server.url}/v1/report`, { headers });
      if (response.status !== 200) throw new Error(`GET /v1/report answered ${response.status}`);
      return (await response.json()) as Report;
    },
    close: () => server.close(),
  };
}
