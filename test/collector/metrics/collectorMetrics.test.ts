import { readFileSync } from 'node:fs';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../collector/http/app.js';
import type { IngestedRecord } from '../../../collector/types.js';
import { batch, batchV2, config, FakeClock, legs, testApp, triple, type TestApp } from '../fixtures.js';

let current: TestApp | null = null;
afterEach(async () => {
  await current?.app.close();
  current = null;
});

function seriesOf(text: string, metric: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `));
}

/** A version 2 batch of pairs whose captured `$.total` (each record's second leaf) is `[primary, shadow]`. */
function totals(pairs: ReadonlyArray<[id: string, primary: string, shadow: string]>, both: Partial<IngestedRecord> = {}) {
  const records = pairs.flatMap(([id, primary, shadow]) =>
    legs(id, { fields: { '$.id': '0000002a', '$.total': primary === shadow ? '11111111' : '22222222' } }, both),
  );
  const wire = batchV2(records);
  pairs.forEach(([, primary, shadow], i) => {
    wire.records[2 * i]!.values = [[1, `n${primary}`]];
    wire.records[2 * i + 1]!.values = [[1, `n${shadow}`]];
  });
  return wire;
}

describe('GET /metrics', () => {
  it("serves the Prometheus text format from the collector's own registry", async () => {
    current = testApp();
    const response = await current.get('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^# HELP shadowdiff_collector_/m);
    expect(await globalRegistry.metrics()).not.toMatch(/shadowdiff_collector_/);
  });

  it('includes default process metrics in production mode, and two apps do not collide', async () => {
    const a = buildApp({ config: config(), clock: new FakeClock() });
    const b = buildApp({ config: config(), clock: new FakeClock() });
    const text = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect((await b.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    await a.close();
    await b.close();
  });

  it('counts every pair once, whichever way and however often the registry is read in between', async () => {
    current = testApp();
    const registry = current.app.metrics.registry;
    const pairs = async (outcome: string): Promise<number | undefined> =>
      (await registry.getSingleMetric('shadowdiff_collector_pairs_total')!.get()).values.find((value) => value.labels.outcome === outcome)
        ?.value;
    await current.post(batch([...legs('a'), ...legs('b', { status: 503 })]));
    expect([await pairs('match'), await pairs('diverged')]).toEqual([1, 1]);
    await current.post(batch([...legs('c'), ...legs('d')]));
    const kinds = (await registry.getSingleMetricAsString('shadowdiff_collector_divergences_total')).split('\n');
    expect(kinds).toContain('shadowdiff_collector_divergences_total{route="GET /orders/{id}",kind="status_class"} 1');
    const text = (await current.get('/metrics')).body;
    expect(text).toContain('shadowdiff_collector_pairs_total{route="GET /orders/{id}",outcome="match"} 3');
    expect(text).toContain('shadowdiff_collector_pairs_total{route="GET /orders/{id}",outcome="diverged"} 1');
    expect([await pairs('match'), await pairs('diverged')]).toEqual([3, 1]);
  });

  it("counts a triple's secondary once, whichever way and however often the registry is read in between", async () => {
    current = testApp();
    const registry = current.app.metrics.registry;
    const secondary = async (outcome: string): Promise<number | undefined> =>
      (await registry.getSingleMetric('shadowdiff_collector_secondary_total')!.get()).values.find(
        (value) => value.labels.outcome === outcome && value.labels.route === 'GET /orders/{id}',
      )?.value;
    await current.post(batch([...triple('t-1'), ...triple('t-2', {}, { status: 503 })]));
    expect([await secondary('triple'), await secondary('secondary_unusable')]).toEqual([1, 1]);
    await current.post(batch(triple('t-3')));
    const text = (await current.get('/metrics')).body;
    expect(text).toContain('shadowdiff_collector_secondary_total{route="GET /orders/{id}",outcome="triple"} 2');
    expect([await secondary('triple'), await secondary('secondary_unusable'), await secondary('secondary_missing')]).toEqual([2, 1, 0]);
  });

  it('counts records per leg, pairs by outcome, divergences by kind, and latency per route and leg', async () => {
    current = testApp();
    await current.post(batch([...legs('a', { status: 503 }), ...legs('b'), ...legs('c', { headers: {} })]));
    const text = (await current.get('/metrics')).body;
    const route = 'route="GET /orders/{id}"';
    expect(seriesOf(text, 'shadowdiff_collector_records_received_total')).toEqual([
      'shadowdiff_collector_records_received_total{leg="primary"} 3',
      'shadowdiff_collector_records_received_total{leg="shadow"} 3',
      'shadowdiff_collector_records_received_total{leg="secondary"} 0',
    ]);
    expect(text).toContain(`shadowdiff_collector_pairs_total{${route},outcome="match"} 1`);
    expect(text).toContain(`shadowdiff_collector_pairs_total{${route},outcome="diverged"} 2`);
    expect(text).toContain(`shadowdiff_collector_divergences_total{${route},kind="status_class"} 1`);
    expect(text).toContain(`shadowdiff_collector_divergences_total{${route},kind="header"} 1`);
    expect(text).toContain(`shadowdiff_collector_divergences_total{${route},kind="body"} 0`);
    expect(text).toContain(`shadowdiff_collector_response_latency_seconds_count{${route},leg="shadow"} 3`);
    expect(text).toContain(`shadowdiff_collector_response_latency_seconds_bucket{le="0.025",${route},leg="primary"} 3`);
    expect(text).toContain(`shadowdiff_collector_batches_total{result="accepted"} 1`);
    const ratio = seriesOf(text, 'shadowdiff_collector_divergence_ratio')[0] ?? '';
    expect(Number(ratio.split(' ').pop())).toBeCloseTo(2 / 3, 10);
    const upper = seriesOf(text, 'shadowdiff_collector_divergence_ratio_upper_bound')[0] ?? '';
    expect(Number(upper.split(' ').pop())).toBeCloseTo(0.9385, 4);
  });

  it('exports only the top-K fields of each route', async () => {
    current = testApp((c) => {
      c.report.topK = 2;
    });
    const fields = (n: number) => Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`$.f${i}`, i < n ? 'ffffffff' : '00000000']));
    const records = [1, 2, 3, 4, 5].flatMap((n) => legs(`t${n}`, { fields: fields(n) }, { fields: fields(0) }));
    await current.post(batch(records));
    const series = seriesOf((await current.get('/metrics')).body, 'shadowdiff_collector_field_divergent_pairs');
    expect(series).toEqual([
      'shadowdiff_collector_field_divergent_pairs{route="GET /orders/{id}",field="$.f0"} 5',
      'shadowdiff_collector_field_divergent_pairs{route="GET /orders/{id}",field="$.f1"} 4',
    ]);
  });

  it('counts the pairs that matched within tolerance per route, and per top-K field', async () => {
    current = testApp((c) => {
      c.compare.tolerances = [{ path: '$.total', abs: 0.0001 }];
    });
    await current.post(
      totals([
        ['w1', '12.345', '12.3451'],
        ['w2', '8.5', '8.5001'],
        ['d1', '10', '10.0002'],
        ['m1', '7', '7'],
      ]),
    );
    const text = (await current.get('/metrics')).body;
    const route = 'route="GET /orders/{id}"';
    expect(seriesOf(text, 'shadowdiff_collector_pairs_within_tolerance_total')).toEqual([
      `shadowdiff_collector_pairs_within_tolerance_total{${route}} 2`,
    ]);
    // within tolerance is a match, never hidden: the pairs with no difference are the rest of them
    expect(text).toContain(`shadowdiff_collector_pairs_total{${route},outcome="match"} 3`);
    expect(text).toContain(`shadowdiff_collector_pairs_total{${route},outcome="diverged"} 1`);
    expect(seriesOf(text, 'shadowdiff_collector_field_within_tolerance_pairs')).toEqual([
      `shadowdiff_collector_field_within_tolerance_pairs{${route},field="$.total"} 2`,
    ]);
    expect(seriesOf(text, 'shadowdiff_collector_field_divergent_pairs')).toEqual([
      `shadowdiff_collector_field_divergent_pairs{${route},field="$.total"} 1`,
    ]);
  });

  it('starts every route at 0 pairs within tolerance, and moves them to `other` with a route that gives up its place', async () => {
    current = testApp((c) => {
      c.routes.max = 1;
      c.compare.tolerances = [{ path: '$.total', abs: 0.0001 }];
    });
    await current.post(totals([['f1', '12.345', '12.3451']], { path: '/first' }));
    await current.post(totals([['s1', '1', '1']], { path: '/second' }));
    const series = seriesOf((await current.get('/metrics')).body, 'shadowdiff_collector_pairs_within_tolerance_total');
    expect(series).toEqual([
      'shadowdiff_collector_pairs_within_tolerance_total{route="other"} 1',
      'shadowdiff_collector_pairs_within_tolerance_total{route="GET /second"} 0',
    ]);
  });

  it("moves a route's secondary counts to `other` with the route when it gives up its place", async () => {
    current = testApp((c) => {
      c.routes.max = 1;
    });
    await current.post(batch([...triple('f1', {}, {}, { path: '/first' }), ...triple('f2', {}, { status: 503 }, { path: '/first' })]));
    await current.post(batch(triple('s1', {}, {}, { path: '/second' })));
    const series = seriesOf((await current.get('/metrics')).body, 'shadowdiff_collector_secondary_total');
    expect(series).toContain('shadowdiff_collector_secondary_total{route="other",outcome="triple"} 1');
    expect(series).toContain('shadowdiff_collector_secondary_total{route="other",outcome="secondary_unusable"} 1');
    expect(series).toContain('shadowdiff_collector_secondary_total{route="GET /second",outcome="triple"} 1');
    expect(series.filter((line) => line.includes('GET /first'))).toEqual([]);
  });

  it('keeps the route label bounded by routes.max: routes that give up their place lose their series', async () => {
    current = testApp((c) => {
      c.routes.max = 3;
    });
    await current.post(batch(Array.from({ length: 20 }, (_, i) => legs(`r${i}`, {}, { path: `/r${i}x` })).flat()));
    const text = (await current.get('/metrics')).body;
    const routes = new Set(seriesOf(text, 'shadowdiff_collector_pairs_total').map((l) => /route="([^"]*)"/.exec(l)?.[1]));
    expect(routes.size).toBe(4);
    expect(routes.has('other')).toBe(true);
    expect(seriesOf(text, 'shadowdiff_collector_route_evictions_total')).toEqual(['shadowdiff_collector_route_evictions_total 17']);
  });

  it('is documented: every collector metric appears in collector/README.md with a unit-bearing name', async () => {
    current = testApp();
    const readme = readFileSync(new URL('../../../collector/README.md', import.meta.url), 'utf8');
    const names = [
      ...(await current.app.inject({ method: 'GET', url: '/metrics' })).body.matchAll(/^# TYPE (shadowdiff_collector_\w+) (\w+)/gm),
    ];
    expect(names.length).toBeGreaterThan(10);
    for (const [, name, type] of names) {
      expect(readme, `${name} missing from README`).toContain(`\`${name}\``);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
  });
});
