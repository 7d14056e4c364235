// Sends a traffic plan through Envoy's edge listener, a fixed number of requests in flight at once,
// and reports progress after every response. Each response body is read to the end, because the
// filter digests the primary leg as it streams back to the client.

import type { PlannedRequest, PlanUser } from '../../examples/traffic.js';

export interface TrafficResult {
  sent: number;
  /** Responses by status code, as the client saw them (always the primary's). */
  statuses: Map<number, number>;
}

export interface DriveOptions {
  edgeUrl: string;
  concurrency: number;
  /** The headers that prove who `user` is (a bearer token the edge verifies). */
  credentials(user: PlanUser): Record<string, string>;
  onProgress(done: number, total: number): void;
  signal?: AbortSignal;
}

export async function driveTraffic(plan: readonly PlannedRequest[], options: DriveOptions): Promise<TrafficResult> {
  const statuses = new Map<number, number>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      options.signal?.throwIfAborted();
      const request = plan[next++]!;
      const response = await fetch(`${options.edgeUrl}${request.path}`, {
        method: request.method,
        headers: { ...request.headers, ...options.credentials(request.user) },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      options.onProgress(++done, plan.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, plan.length) }, worker));
  return { sent: done, statuses };
}
