// A bounded soak: steady traffic through a real Envoy with every request mirrored and digested
// (JSON structural digests on), into the real collector running as its own process, so that its
// RSS and heap are its own. Nothing may fail on the primary path, every request must end as one
// joined pair, and neither the collector nor Envoy may keep growing once warmed up. The
// collector's heap is read after a full garbage collection forced through its inspector, so that
// it measures what is retained, not how much garbage happens to be waiting (see
// collectorHeapUsedBytes).
//
// The default run (60 s at 100 req/s) is part of the normal suite. A longer or faster one:
//   SHADOWDIFF_SOAK_SECONDS=180 SHADOWDIFF_SOAK_RPS=150 npx vitest run test/reliability/soak.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTOR_CLUSTER } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { collectorDir, processRssBytes, startCollectorProcess, type CollectorProcess } from './collectorProcess.js';
import { envoyMemory, inMiB, MiB } from './envoyMemory.js';
import { collectGarbage } from './forcedGarbageCollection.js';
import { lost, settledLedger } from './exportLedger.js';
import { everyRequestOnePair, reportOncePaired } from './joinedReport.js';
import { compareHalves, sampleMemory, type MemorySample } from './memoryTrend.js';
import { sendAtSteadyRate, type SteadyTrafficResult } from './steadyTraffic.js';

const SECONDS = positiveNumberFromEnv('SHADOWDIFF_SOAK_SECONDS', 60);
const RATE = positiveNumberFromEnv('SHADOWDIFF_SOAK_RPS', 100);
const DURATION_MS = SECONDS * 1000;
/**
 * Readings before this are not compared: V8's heaps, Envoy's allocator, connection pools and the
 * collector's bounded sets (remembered ids, retained pairs, configured small below) fill first.
 */
const WARM_UP_MS = Math.max(15_000, DURATION_MS / 4);
const SAMPLE_PERIOD_MS = 1000;
/** Every DIVERGE_EVERY-th order is priced differently by the shadow: diverged pairs take their own path through the collector. */
const DIVERGE_EVERY = 10;

/**
 * Allowed growth from the first to the second half of the steady phase: 15% of the first half, and
 * never less than ABSOLUTE_SLACK. What a flat process still does, from one half to the other:
 * allocator and V8 page-level noise of a few MiB, and RSS pages touched late (a heap that peaked
 * higher once keeps its pages). A leak of ~1 KB per request, 6000 requests over the 30 s
 * compared at 100 req/s, would already add about 3 MiB to the collector per half and more with
 * every longer run, so the longer soak (behind the flag) is the sharper test of slow leaks.
 */
const RELATIVE_BOUND = 0.15;
const ABSOLUTE_SLACK = 4 * MiB;

function positiveNumberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function orderId(request: RecordedRequest): number {
  return Number(request.path.split('/').at(-1));
}

/** An order of ~30 JSON leaves, the same from both versions except the price of every DIVERGE_EVERY-th order. */
function orderBody(id: number, version: 'v1' | 'v2'): string {
  const price = version === 'v2' && id % DIVERGE_EVERY === 0 ? 10.5 : 10;
  return JSON.stringify({
    id,
    status: 'confirmed',
    customer: { id: `c-${id % 97}`, tier: id % 3 === 0 ? 'gold' : 'standard', country: 'DE' },
    items: Array.from({ length: 4 }, (_, index) => ({ sku: `sku-${(id + index) % 50}`, qty: index + 1, price })),
    totals: { net: price * 10, tax: price * 1.9, currency: 'EUR' },
    shipping: { method: 'standard', days: 2 + (id % 3) },
  });
}

function answer(version: 'v1' | 'v2'): (request: RecordedRequest) => StubResponse {
  return (request) => ({ headers: { 'content-type': 'application/json' }, body: orderBody(orderId(request), version) });
}

/**
 * The collector's heap in use right after a forced full garbage collection, from its Prometheus
 * default metrics. Without the collection the reading includes whatever garbage V8 has not yet
 * collected: with the durable store V8 runs a full (mark-compact) collection only about once per
 * run, so one half's lowest reading could carry ~40 MiB of collectable garbage and the other none,
 * while heap snapshots showed the retained heap flat. After the collection the reading is the
 * retained heap (plus what the /metrics request itself allocates), which is what a leak grows.
 */
async function collectorHeapUsedBytes(collector: CollectorProcess): Promise<number> {
  if (collector.inspectorUrl === undefined) throw new Error('the soak needs the collector started with --inspect, to force a collection');
  await collectGarbage(collector.inspectorUrl);
  const text = await (await fetch(`${collector.url}/metrics`)).text();
  const value = /^nodejs_heap_size_used_bytes ([0-9.e+]+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error('the collector /metrics has no nodejs_heap_size_used_bytes');
  return Number(value);
}

describe(`a ${SECONDS} s soak at ${RATE} req/s, every request mirrored and digested`, () => {
  let scratch: Awaited<ReturnType<typeof collectorDir>> | undefined;
  let collector: CollectorProcess | undefined;
  let stack: Stack | undefined;
  let traffic: SteadyTrafficResult | undefined;
  let samples: MemorySample[] = [];
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    scratch = await collectorDir();
    collector = await startCollectorProcess(
      scratch.dir,
      {
        store: { path: scratch.storePath },
        // Caps small enough to fill during warm-up: they bound memory whatever their size, and a
        // full cap is what makes later growth a leak rather than a cache still filling.
        join: { rememberMs: 5000 },
        pairs: { keepDiverged: 200, keepOther: 200 },
      },
      {},
      { nodeFlags: ['--inspect=127.0.0.1:0'] },
    );
    // A generous export timeout: on a busy machine a late answer must not turn into lost records.
    const exportTo: JsonObject = { cluster: COLLECTOR_CLUSTER, timeoutMs: 5000 };
    stack = await startStack({
      edgeConfig: { ...testEdgeConfig({ keyHeader: 'x-user-id', defaultPercent: 100, segments: [] }), collector: exportTo },
      shadowConfig: { ...testShadowConfig(), collector: exportTo },
      collectorEndpoint: { address: '127.0.0.1', port: Number(new URL(collector.url).port) },
      primaryHandler: answer('v1'),
      shadowHandler: answer('v2'),
      logLevel: 'warning',
    });

    const sampler = sampleMemory(SAMPLE_PERIOD_MS, async () => {
      const envoy = await envoyMemory(stack!.envoy);
      return {
        // RSS first: the forced collection for the heap reading must not shrink it.
        collectorRss: await processRssBytes(collector!.pid),
        collectorHeap: await collectorHeapUsedBytes(collector!),
        envoyRss: envoy.rssBytes,
        envoyAllocated: envoy.allocatedBytes,
      };
    });
    traffic = await sendAtSteadyRate({
      ratePerSecond: RATE,
      durationMs: DURATION_MS,
      maxInflight: 64,
      send: async (index) => {
        const response = await stack!.send(`/orders/${index}`, { 'x-user-id': `user-${index % 500}` });
        const body = await response.text();
        if (response.status !== 200) return `status ${response.status}: ${body.slice(0, 160)}`;
        return body === orderBody(index, 'v1') ? undefined : `body differs: ${body.slice(0, 80)}`;
      },
    });
    samples = await sampler.stop();
  }, DURATION_MS + 120_000);

  afterAll(async () => {
    await stack?.stop();
    await collector?.stop('SIGKILL');
    await scratch?.remove();
  });

  it('answers every request with the primary response, without a single error', () => {
    expect(traffic!.failures).toEqual([]);
    expect(traffic!.failed).toBe(0);
    expect(traffic!.sent).toBe(Math.round(RATE * SECONDS));
  });

  it('exports every record of both legs and the collector joins each request into exactly one pair', async () => {
    const requests = traffic!.sent;
    const edge = await settledLedger(stack!.envoy, 'edge', requests, 60_000);
    const shadow = await settledLedger(stack!.envoy, 'shadow', requests, 60_000);
    expect({
      edgeLost: lost(edge),
      shadowLost: lost(shadow),
      edgeFailures: edge.exportFailures,
      shadowFailures: shadow.exportFailures,
    }).toEqual({ edgeLost: 0, shadowLost: 0, edgeFailures: 0, shadowFailures: 0 });
    expect({ edge: edge.digested, shadow: shadow.digested }).toEqual({ edge: requests, shadow: requests });

    const report = await reportOncePaired(collector!.url, requests);
    const diverged = Math.ceil(requests / DIVERGE_EVERY);
    expect(report.totals).toMatchObject(everyRequestOnePair(requests, diverged));
    expect(report.routes.map((route) => route.route)).toEqual(['GET /orders/{id}']);
    // The price is the only difference: no status, completion or header divergence crept in.
    expect(report.routes[0]!.kinds).toEqual({ status_class: 0, status: 0, completion: 0, header: 0, body: 0, field: diverged });
    console.info(
      `soak: ${requests} requests in ${(traffic!.elapsedMs / 1000).toFixed(1)} s (peak ${traffic!.peakInflight} in flight), ${report.totals.coverage.pairs} pairs, ${diverged} diverged`,
    );
  }, 120_000);

  it.each([
    { key: 'collectorRss', what: 'collector RSS', summary: 'median' },
    { key: 'collectorHeap', what: 'collector heap in use', summary: 'floor' },
    { key: 'envoyRss', what: 'Envoy RSS', summary: 'median' },
    { key: 'envoyAllocated', what: "Envoy's allocated memory", summary: 'median' },
  ] as const)('keeps $what flat after warm-up', ({ key, what, summary }) => {
    const { first, second, growth } = compareHalves(samples, key, WARM_UP_MS, summary);
    const bound = Math.max(first * RELATIVE_BOUND, ABSOLUTE_SLACK);
    const start = samples[0]!.bytes[key]!;
    const end = samples.at(-1)!.bytes[key]!;
    // The whole curve, one reading per ~10 s, for whoever has to tell a plateau from a slope.
    const curve = samples
      .filter((_, index) => index % 10 === 0)
      .map((sample) => (sample.bytes[key]! / MiB).toFixed(1))
      .join(' ');
    console.info(
      `soak: ${what}: start ${inMiB(start)}, first half ${inMiB(first)}, second half ${inMiB(second)} (${growth >= 0 ? '+' : ''}${inMiB(growth)}, bound +${inMiB(bound)}), end ${inMiB(end)}; MiB every 10 s: ${curve}`,
    );
    expect(growth).toBeLessThanOrEqual(bound);
  });
});
