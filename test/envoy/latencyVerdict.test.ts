// Latency verdicts through a real Envoy into the real collector, on a CPU-loaded machine (a busy
// loop per core for the whole run): two equally fast versions give no latency finding, and a
// shadow 50 ms slower at p95 gives one. Both legs are timed by Envoy's router on their own hop
// (upstreamUs), and the verdict needs its whole paired interval past the threshold.
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteReport } from '../../collector/types.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';

/** Requests per route: enough pairs that a p95 has ten values above it. */
const REQUESTS = 200;
const CONCURRENCY = 2;
/**
 * The slow route's shadow: this much later on every request, so its p95 is 50 ms later whatever the
 * load does to the rest of the distribution (the unit tests cover a slow tail of one request in five).
 */
const SLOW_SHADOW_MS = 50;

/** The request's number, from `?i=`: both versions wait the same few milliseconds for it. */
function requestNumber(request: RecordedRequest): number {
  return Number(new URL(request.path, 'http://stub').searchParams.get('i'));
}

function answer(delayMs: number): StubResponse {
  return { headers: { 'content-type': 'application/json' }, body: '{"ok":true}', delayMs };
}

const baseDelayMs = (i: number): number => 5 + ((i * 37) % 10);
const primaryHandler = (request: RecordedRequest): StubResponse => answer(baseDelayMs(requestNumber(request)));
const shadowHandler = (request: RecordedRequest): StubResponse => {
  return answer(baseDelayMs(requestNumber(request)) + (request.path.startsWith('/slow') ? SLOW_SHADOW_MS : 0));
};

/** One busy loop per core, so that Envoy, the services and the collector all compete for the CPU. */
function loadEveryCore(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

describe('latency verdicts under CPU load, through a real Envoy', () => {
  let collector: JoiningCollector | undefined;
  let stack: Stack | undefined;
  let busy: ChildProcess[] = [];
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    collector = await startJoiningCollector({ windowMs: 10_000 });
    stack = await startStack({
      edgeConfig: testEdgeConfig(cohortSampling({ all: 100 })),
      collectorEndpoint: collector.endpoint,
      primaryHandler,
      shadowHandler,
    });
    busy = loadEveryCore();
    const paths = ['/equal', '/slow'].flatMap((route) => Array.from({ length: REQUESTS }, (_, i) => `${route}?i=${i}`));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const path = paths[next++]!;
        const response = await stack!.send(path, { 'x-cohort': 'all', 'x-user-id': `u${next}` });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }, 120_000);

  afterAll(async () => {
    // Each busy loop by its own pid.
    for (const child of busy) child.kill('SIGKILL');
    await stack?.stop();
    await collector?.close();
  });

  const routes = (): Promise<Map<string, RouteReport>> =>
    waitUntil(
      'every pair of both routes joined',
      async () => {
        const report = await collector!.report();
        const byRoute = new Map(report.routes.map((route) => [route.route, route]));
        const pairs = ['GET /equal', 'GET /slow'].map((route) => byRoute.get(route)?.pairs ?? 0);
        return pairs.every((count) => count === REQUESTS) ? byRoute : undefined;
      },
      { timeoutMs: 30_000 },
    );

  it('times every leg by its upstream request, on both hops', async () => {
    const primaryId = stack!.primary.requests.find((request) => request.path === '/equal?i=1')!.headers['x-shadowdiff-id'] as string;
    const pair = await waitUntil('the pair of /equal?i=1', async () => {
      const view = await collector!.pair(primaryId);
      return view?.state === 'paired' ? view : undefined;
    });
    for (const leg of [pair.primary!, pair.shadow!]) {
      // the service waited 5 + 37 % 10 = 12 ms; the router's span includes it, and lies within the filter's own
      expect(leg.upstreamUs).toBeGreaterThanOrEqual(12_000);
      expect(leg.upstreamUs).toBeLessThanOrEqual(leg.lastByteUs);
    }
  });

  it('gives two equally fast versions no latency finding', async () => {
    const equal = (await routes()).get('GET /equal')!;
    const { verdict } = equal.latencyMs;
    expect(verdict.pairs).toBe(REQUESTS);
    expect(verdict.finding, JSON.stringify(equal.latencyMs)).toBe('no_change');
  });

  it('finds the shadow that is 50 ms slower at p95, its whole interval past the threshold', async () => {
    const slow = (await routes()).get('GET /slow')!;
    const { verdict } = slow.latencyMs;
    expect(verdict.finding, JSON.stringify(slow.latencyMs)).toBe('regression');
    expect(verdict.ci95!.low).toBeGreaterThanOrEqual(verdict.thresholdMs!);
    expect(verdict.deltaMs).toBeGreaterThan(SLOW_SHADOW_MS / 2);
  });
});
