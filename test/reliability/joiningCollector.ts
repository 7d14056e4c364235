// The real collector, in this process, with a short join window so that tests see pairs and
// missing legs decided within seconds; memory only (no store).
import { parseConfig } from '../../collector/config.js';
import { startServer, type RunningServer } from '../../collector/server.js';
import type { PairView, Report } from '../../collector/types.js';
import type { Endpoint } from '../../envoy/bootstrap.js';

export interface JoiningCollector {
  server: RunningServer;
  endpoint: Endpoint;
  pair(id: string): Promise<PairView | undefined>;
  report(): Promise<Report>;
  close(): Promise<void>;
}

export async function startJoiningCollector(windowMs: number): Promise<JoiningCollector> {
  const server = await startServer(
    parseConfig({ listen: { host: '127.0.0.1', port: 0 }, logLevel: 'warn', store: { path: '' }, join: { windowMs, sweepIntervalMs: 100 } }),
  );
  return {
    server,
    endpoint: { address: '127.0.0.1', port: Number(new URL(server.url).port) },
    pair: async (id) => {
      const response = await fetch(`${server.url}/v1/pairs/${id}`);
      return response.status === 200 ? ((await response.json()) as PairView) : undefined;
    },
    report: async () => (await (await fetch(`${server.url}/v1/report`)).json()) as Report,
    close: () => server.close(),
  };
}
