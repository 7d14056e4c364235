// The demo's plumbing for `--secondary`: a second orders v1 instance behind the secondary's
// internal listener receives a marked copy of every sampled request (its creates go to a store of
// its own), and it
// answers like v1 but for the noise fields. Whether the collector then tells that noise from the
// seeded regressions is the collector's three-way join, not checked here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledFilterStats } from '../../devkit/filterStats.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { bearerCredentials, demoSigningKey } from '../../examples/identity/demoIdentity.js';
import { buildTrafficPlan } from '../../examples/traffic.js';
import { startDemoStack, type DemoStack } from '../../scripts/demo/demoStack.js';
import { driveTraffic, type TrafficResult } from '../../scripts/demo/trafficDriver.js';

/** The noise the order service produces (examples/orders/responseNoise.ts), by the names it appears under. */
const NOISE_KEYS = new Set(['generatedAt', 'requestTraceId', 'traceId']);

/** The document with every noise member removed, wherever it sits. */
function withoutNoise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNoise);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !NOISE_KEYS.has(key))
      .map(([key, member]) => [key, withoutNoise(member)]),
  );
}

describe('the demo stack with a secondary', () => {
  let stack: DemoStack | undefined;
  let traffic: TrafficResult | undefined;

  beforeAll(async () => {
    await requireFilterWasm();
    stack = await startDemoStack({ edge: 0, admin: 0, v1: 0, v2: 0, secondary: 0, collector: 0 }, { secondary: true });
    traffic = await driveTraffic(buildTrafficPlan({ seed: 7, requests: 120 }), {
      edgeUrl: stack.urls.edge,
      concurrency: 4,
      credentials: bearerCredentials(demoSigningKey()),
      onProgress: () => undefined,
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('mirrors every sampled request to the secondary as well, marked, its creates into a store of its own', async () => {
    const stats = await settledFilterStats(stack!.envoy);
    const sampled = ['employees', 'beta', 'default'].reduce(
      (sum, segment) => sum + (stats.get(`wasmcustom.shadowdiff.edge.sampled.${segment}`) ?? 0),
      0,
    );
    expect(sampled).toBeGreaterThan(0);
    expect(stats.get('wasmcustom.shadowdiff.edge.secondary.employees')).toBe(stats.get('wasmcustom.shadowdiff.edge.sampled.employees'));
    expect(stats.get('wasmcustom.shadowdiff.secondary.tagged')).toBe(sampled);
    expect(stats.get('wasmcustom.shadowdiff.secondary.digested')).toBe(sampled);
    expect(stats.get('wasmcustom.shadowdiff.shadow.tagged')).toBe(sampled);
    const creates = traffic!.statuses.get(201) ?? 0;
    expect(creates).toBeGreaterThan(0);
    expect(stack!.stores.v1.writes).toHaveLength(creates);
    expect(stack!.stores.v2.writes).toHaveLength(0);
    // The secondary is v1 itself, which ignores the marker (examples/orders/v1.ts): its copies of the
    // sampled creates land in a store of its own, never in v1's.
    const secondaryWrites = stack!.secondaryStore?.writes.length ?? 0;
    expect(secondaryWrites).toBeGreaterThan(0);
    expect(secondaryWrites).toBeLessThanOrEqual(creates);
  });

  it('answers as v1 does but for the noise fields, whose values are its own', async () => {
    const ask = async (base: string | undefined): Promise<Record<string, unknown>> => {
      const response = await fetch(`${base}/orders/ord-1001?currency=GBP`);
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const primary = await ask(stack!.urls.v1);
    const secondary = await ask(stack!.urls.secondary);
    expect(withoutNoise(secondary)).toEqual(withoutNoise(primary));
    const meta = (document: Record<string, unknown>): Record<string, unknown> => document['meta'] as Record<string, unknown>;
    expect(meta(secondary)['requestTraceId']).not.toBe(meta(primary)['requestTraceId']);
  });
});
