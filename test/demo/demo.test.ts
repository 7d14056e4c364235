// The demo end to end: the real filter in a real Envoy between orders v1 and v2, the real collector
// with the demo's ignore rules. Every seeded regression must be in the report, and no noise field.

import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { FILTER_SEGMENT_OF } from '../../scripts/demo/segmentMirroring.js';
import { runDemo } from '../../scripts/demo/runDemo.js';
import { demoRunPerBlock } from '../support/demoRunPerBlock.js';
import type { DemoOptions } from '../../scripts/demo/flags.js';

const ANY_FREE_PORT = { edge: 0, admin: 0, v1: 0, v2: 0, secondary: 0, collector: 0 };
const OPTIONS: DemoOptions = { ports: ANY_FREE_PORT, requests: 400, seed: 7, concurrency: 4, once: true, secondary: false };
/** The noise both versions produce (examples/orders/responseNoise.ts), by the names it appears under. */
const NOISE_FIELD_NAMES = ['generatedAt', 'requestTraceId', 'traceId'];

describe('npm run demo -- --once', () => {
  const demo = demoRunPerBlock(OPTIONS, 90_000);
  const route = demo.route;
  const fieldPaths = (name: string): string[] => route(name).fields.map((field) => field.path);

  it('reports the four routes of the order service, and only those', () => {
    expect(
      demo
        .run()
        .report.routes.map((report) => report.route)
        .sort(),
    ).toEqual(['GET /catalog/items/{sku}', 'GET /orders/{id}', 'GET /orders/{id}/shipping', 'POST /orders']);
  });

  it('shows the rounding and the loyalty-points regressions as fields of GET /orders/{id}', () => {
    expect(fieldPaths('GET /orders/{id}').sort()).toEqual(['$.totals.converted', '$.totals.tax', '$.totals.total']);
    for (const path of ['$.totals.converted', '$.totals.tax', '$.totals.total']) expect(demo.printed()).toContain(path);
  });

  it('shows a captured value pair of the rounding regression, with its magnitude (the demo captures the totals)', () => {
    const converted = route('GET /orders/{id}').fieldsByMagnitude?.find((field) => field.path === '$.totals.converted');
    // a rounding tie at the 5th decimal, rounded the other way at the 4th: 0.0001 apart
    expect(converted?.smallest?.abs).toBe(0.0001);
    const { primary, shadow, id } = converted!.smallest!;
    expect(Math.abs(Number(shadow) - Number(primary))).toBeCloseTo(0.0001, 10);
    expect(demo.printed()).toContain(`$.totals.converted differs by 0.0001 (${primary} → ${shadow} (${id}))`);
  });

  it('shows the international shipping charge as the one field of GET /orders/{id}/shipping', () => {
    expect(fieldPaths('GET /orders/{id}/shipping')).toEqual(['$.charge']);
    expect(demo.printed()).toContain('$.charge');
  });

  it('shows the unlisted multi-pack as a status class change: errors only in the shadow', () => {
    const catalog = route('GET /catalog/items/{sku}');
    expect(catalog.kinds.status_class).toBeGreaterThan(0);
    expect(catalog.errors.shadowOnly).toBe(catalog.kinds.status_class);
    expect(catalog.errors.primary.count).toBe(0);
    expect(catalog.errors.rateDelta).toBeGreaterThan(0);
    expect(demo.printed()).toMatch(/GET \/catalog\/items\/\{sku\}.*0\.0%→\d+\.\d%/);
  });

  it('shows the N+1 on cache misses as a latency delta of GET /orders/{id}', () => {
    // One cache-miss order in ~15% of quotes: the shadow's p95 is a miss (6 round trips of 8 ms),
    // the primary's is not (1 round trip). p50 is a hit on both legs.
    const { delta } = route('GET /orders/{id}').latencyMs;
    expect(delta.p95).toBeGreaterThan(20);
    // The printed latency table shows the same increase. Its rank among the routes is not checked:
    // with a few dozen pairs per route on a loaded machine, a single stall can lift another
    // route's p95 as far.
    const latencyTable = demo.printed().slice(demo.printed().indexOf('latency by route'));
    const row = latencyTable.split('\n').find((line) => line.startsWith('GET /orders/{id} '));
    expect(Number(row?.match(/\+(\d+\.\d)ms$/)?.[1])).toBeGreaterThan(20);
  });

  it('finds that N+1 as the one latency regression: its paired interval past the threshold, no other route flagged', () => {
    const { verdict } = route('GET /orders/{id}').latencyMs;
    expect(verdict.finding, JSON.stringify(verdict)).toBe('regression');
    expect(verdict.ci95!.low).toBeGreaterThanOrEqual(verdict.thresholdMs!);
    for (const report of demo.run().report.routes) {
      if (report.route !== 'GET /orders/{id}') expect(report.latencyMs.verdict.finding, report.route).not.toBe('regression');
    }
    const latencyTable = demo.printed().slice(demo.printed().indexOf('latency by route'));
    expect(latencyTable.split('\n').find((line) => line.startsWith('GET /orders/{id} '))).toContain('REGRESSION');
  });

  it('shows no noise: no ignored field, no likely-noise flag, and the write route matches', () => {
    for (const report of demo.run().report.routes) {
      for (const field of report.fields) {
        expect(field.likelyNoise, field.path).toBe(false);
        for (const noise of NOISE_FIELD_NAMES) expect(field.path).not.toContain(noise);
      }
    }
    for (const noise of NOISE_FIELD_NAMES) expect(demo.printed()).not.toContain(noise);
    expect(route('POST /orders').diverged).toBe(0);
  });

  it('joins every mirrored request: full coverage, nothing pending, as many pairs as Envoy mirrored', () => {
    const { totals } = demo.run().report;
    const mirrored = demo.run().mirroring.reduce((sum, row) => sum + row.mirrored, 0);
    expect(demo.run().settled).toBe(true);
    expect(totals.pending).toBe(0);
    expect(totals.coverage).toMatchObject({ shadowMissing: 0, primaryMissing: 0, evicted: 0, shadowCoverage: 1 });
    expect(totals.coverage.pairs).toBe(mirrored);
    expect(totals.records).toEqual({ primary: mirrored, shadow: mirrored });
    expect(totals.matched + totals.diverged).toBe(mirrored);
    expect(demo.printed()).toContain(`coverage  pairs ${mirrored}  shadow missing 0  primary missing 0`);
  });

  it('mirrors per segment as configured: every employee request, some beta users, few of the rest', () => {
    const share = new Map(demo.run().mirroring.map((row) => [row.segment, row.mirrored / row.sent]));
    expect(demo.run().mirroring.reduce((sum, row) => sum + row.sent, 0)).toBe(OPTIONS.requests);
    expect(share.get(FILTER_SEGMENT_OF.employee)).toBe(1);
    // Sticky per user over a handful of users: the request share only approximates the user share.
    expect(share.get(FILTER_SEGMENT_OF.beta)).toBeGreaterThan(0.2);
    expect(share.get(FILTER_SEGMENT_OF.beta)).toBeLessThan(0.8);
    expect(share.get(FILTER_SEGMENT_OF.public)).toBeLessThan(0.2);
  });

  it('lets no mirrored create write in v2 (the shadow marker), while v1 stored every create', () => {
    const creates = demo.run().traffic.statuses.get(201) ?? 0;
    expect(creates).toBeGreaterThan(0);
    expect(demo.run().stack.stores.v1.writes).toHaveLength(creates);
    expect(demo.run().stack.stores.v2.writes).toHaveLength(0);
  });

  it('prints where the report and the metrics live', () => {
    const { collector, envoyAdmin } = demo.run().stack.urls;
    expect(demo.printed()).toContain(`${collector}/v1/report`);
    expect(demo.printed()).toContain(`${collector}/metrics`);
    expect(demo.printed()).toContain(`${envoyAdmin}/stats/prometheus`);
    expect(demo.printed()).toMatch(/traffic \[#{30}\] 400\/400 100%/);
  });
});

describe('the demo refuses to start', () => {
  let occupied: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (occupied === undefined ? resolve() : occupied.close(() => resolve()))));

  it('on a busy port, naming the port and the flag', async () => {
    occupied = createServer();
    const port = await new Promise<number>((resolve) => {
      occupied!.listen(0, '127.0.0.1', () => resolve((occupied!.address() as { port: number }).port));
    });
    await expect(
      runDemo({ ...OPTIONS, ports: { ...ANY_FREE_PORT, collector: port } }, { out: { write: () => undefined } }),
    ).rejects.toThrow(`port ${port} (collector) on 127.0.0.1 is already in use: stop what listens there or pass --collector-port PORT`);
  });
});
