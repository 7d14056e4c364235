// The pipeline with secondary legs: triples judged primary-vs-secondary, noise proven by them
// shown with its evidence, the gate counting regressions only, secondary coverage.

import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../collector/pipeline.js';
import { wilson } from '../../collector/score/wilson.js';
import type { IngestedRecord } from '../../collector/types.js';
import { config, FakeClock, legs, noisyTriple, record, triple } from './fixtures.js';

const hex = (n: number): string => n.toString(16).padStart(8, '0');
const ROUTE = 'GET /orders/{id}';

function pipeline(overrides: Parameters<typeof config>[0] = () => {}) {
  const clock = new FakeClock();
  const metrics = new CollectorMetrics({ defaultMetrics: false });
  return { p: new Pipeline(config(overrides), clock, metrics), clock, metrics };
}

/**
 * 40 triples whose `$.meta.at` differs on every leg (the two primaries too), 10 of them
 * with a `$.total` the shadow alone changes; 5 announced secondaries that never come.
 */
function seeded(p: Pipeline, clock: FakeClock): void {
  for (let n = 0; n < 45; n++) {
    const [primary, shadow, secondary] = noisyTriple(n, n < 10 ? '99999999' : '11111111');
    p.ingest(n < 40 ? [primary, secondary, shadow] : [primary, shadow]);
  }
  p.ingest([record('secondary', { id: 'orphan' })]);
  clock.advance(30_000);
}

describe('Pipeline with secondary legs', () => {
  it('shows noise the triples prove, with its evidence and an ignore rule, and a regression they do not explain', () => {
    const { p, clock } = pipeline();
    seeded(p, clock);
    const report = p.report();
    const route = report.routes[0]!;
    expect(route).toMatchObject({ route: ROUTE, pairs: 45, diverged: 45 });
    const byPath = Object.fromEntries(route.fields.map((field) => [field.path, field]));
    expect(byPath['$.meta.at']).toMatchObject({
      divergentPairs: 45,
      likelyNoise: true,
      suggestedIgnore: '$.meta.at',
      secondary: { triples: 40, divergentTriples: 40, secondaryRate: 1, shadowRate: 1, finding: 'noise', secondaryCi95: wilson(40, 40) },
    });
    expect(byPath['$.meta.at']!.noiseReason).toMatch(/^differs between the two primaries in 40 of 40 triples/);
    expect(byPath['$.total']).toMatchObject({
      divergentPairs: 10,
      likelyNoise: false,
      noiseReason: null,
      suggestedIgnore: null,
      secondary: { triples: 40, divergentTriples: 0, finding: 'regression' },
    });
    // The gate leaves out the 35 pairs whose only difference was the proven noise.
    expect(route.gate).toEqual({ diverged: 10, noiseOnly: 35, rate: 10 / 45, ci95: wilson(10, 45) });
    // Divergence itself is never rewritten: noise is shown, not hidden.
    expect(route.divergenceCi95).toEqual(wilson(45, 45));
  });

  it('judges headers by the triples too: a header that differs per instance is noise, and a pair differing only in noise leaves the gate', () => {
    const { p, clock } = pipeline((c) => {
      c.compare.headers = ['content-type', 'x-served-by'];
    });
    for (let n = 0; n < 30; n++) {
      const served = (leg: number) => ({ 'content-type': '1a2b3c4d', 'x-served-by': hex(3 * n + leg) });
      const [primary, shadow, secondary] = noisyTriple(n);
      // Ten shadows also change content-type: a regression the primaries never show.
      const shadowHeaders = n < 10 ? { ...served(1), 'content-type': 'ffffffff' } : served(1);
      p.ingest([
        { ...primary, headers: served(0) },
        { ...shadow, headers: shadowHeaders },
        { ...secondary, headers: served(2) },
      ]);
    }
    clock.advance(30_000);
    const route = p.report().routes[0]!;
    const byName = Object.fromEntries(route.headers.map((header) => [header.name, header]));
    expect(byName['x-served-by']?.secondary).toMatchObject({ triples: 30, divergentTriples: 30, finding: 'noise' });
    expect(byName['content-type']?.secondary).toMatchObject({ divergentTriples: 0, finding: 'regression' });
    expect(route.gate).toEqual({ diverged: 10, noiseOnly: 20, rate: 10 / 30, ci95: wilson(10, 30) });
  });

  it('reports secondary coverage per route and in the totals, and the pair views of triples', () => {
    const { p, clock } = pipeline();
    seeded(p, clock);
    const report = p.report();
    const coverage = { triples: 40, secondaryMissing: 5, secondaryOrphaned: 1, secondaryCoverage: 40 / 45 };
    expect(report.totals.coverage).toMatchObject({ pairs: 45, ...coverage });
    expect(report.routes[0]!.coverage).toMatchObject(coverage);
    expect(report.totals.records).toEqual({ primary: 45, shadow: 45, secondary: 41 });
    const joined = p.pair('t-0')!;
    expect(joined).toMatchObject({ state: 'paired', secondary: { leg: 'secondary', id: 't-0' } });
    expect(joined.secondaryDiff?.fields.map((field) => field.path)).toEqual(['$.meta.at']);
    expect(p.pair('t-44')).toMatchObject({ state: 'paired', secondary: null });
    expect(p.pair('t-44')?.secondaryDiff).toBeUndefined();
    // A secondary after its pair was judged without it is late.
    expect(p.ingest([triple('t-44')[2]])).toEqual({ accepted: 1, duplicates: 0, late: 1 });
  });

  it('shows a triple waiting for its secondary as pending, all its legs in the view', () => {
    const { p } = pipeline();
    const [primary, shadow, secondary] = triple('w');
    p.ingest([primary, shadow]);
    expect(p.pair('w')).toMatchObject({ state: 'pending', primary, shadow });
    expect(p.report().totals.pending).toBe(1);
    p.ingest([secondary]);
    expect(p.pair('w')).toMatchObject({ state: 'paired', primary, shadow, secondary });
  });

  it('exports secondary coverage and gates on regressions only in /metrics', async () => {
    const { p, clock, metrics } = pipeline();
    seeded(p, clock);
    const text = await metrics.render(p.metricsReading());
    const route = `route="${ROUTE}"`;
    expect(text).toContain(`shadowdiff_collector_secondary_total{${route},outcome="triple"} 40`);
    expect(text).toContain(`shadowdiff_collector_secondary_total{${route},outcome="secondary_missing"} 5`);
    expect(text).toContain(`shadowdiff_collector_secondary_total{${route},outcome="secondary_orphaned"} 1`);
    expect(text).toContain('shadowdiff_collector_records_received_total{leg="secondary"} 41');
    expect(text).toContain(`shadowdiff_collector_divergence_ratio{${route}} 1`);
    expect(text).toContain(`shadowdiff_collector_divergence_ratio_upper_bound{${route}} ${wilson(10, 45)!.high}`);
  });

  it('without secondary legs, reports, pair views and metrics carry nothing of them', async () => {
    const { p, metrics, clock } = pipeline();
    const records: IngestedRecord[] = [];
    for (let n = 0; n < 30; n++) records.push(...legs(`p-${n}`, { fields: { '$.id': '0000002a', '$.total': hex(n) } }));
    p.ingest([...records, record('primary', { id: 'alone' })]);
    clock.advance(30_000);
    const text = JSON.stringify([p.report(), p.pair('p-0'), p.pair('alone')]);
    for (const word of ['secondary', 'triples', 'gate']) expect(text).not.toContain(word);
    const rendered = await metrics.render(p.metricsReading());
    expect(rendered).not.toContain('shadowdiff_collector_secondary_total{');
  });
});

describe('Pipeline with a secondary that is down', () => {
  /**
   * 30 requests whose shadow changes content-type (all) and `$.total` (ten), the secondary's
   * cluster refusing connections: its filter records Envoy's local reply (503, no upstreamUs),
   * which differs from the primary in everything.
   */
  function downSecondary() {
    const { p, clock, metrics } = pipeline((c) => {
      c.compare.headers = ['content-type'];
    });
    for (let n = 0; n < 30; n++) {
      const [primary, shadow] = noisyTriple(n, n < 10 ? '99999999' : '11111111');
      p.ingest([
        { ...primary, upstreamUs: 5_000 },
        { ...shadow, upstreamUs: 6_000, headers: { 'content-type': 'ffffffff' } },
        record('secondary', {
          id: primary.id,
          status: 503,
          json: 'none',
          fields: {},
          respBytes: 19,
          bodyHash: '0badc0de0badc0de',
          headers: { 'content-type': 'deadbeef' },
        }),
      ]);
    }
    clock.advance(30_000);
    return { p, metrics };
  }

  it('proves no noise with it: the pairs are judged two-way, and a real regression stays a regression the gate counts', () => {
    const { p } = downSecondary();
    const route = p.report().routes[0]!;
    expect(route).toMatchObject({ pairs: 30, diverged: 30 });
    // Its local replies differ from the primary in content-type as the shadow does: taken as
    // evidence, they would call the shadow's change noise and leave every pair out of the gate.
    const contentType = route.headers.find((header) => header.name === 'content-type');
    expect(contentType).toMatchObject({ divergentPairs: 30 });
    expect(contentType?.secondary).toBeUndefined();
    for (const field of route.fields) expect(field.secondary).toBeUndefined();
    expect(route.fields.find((field) => field.path === '$.total')).toMatchObject({ divergentPairs: 10, likelyNoise: false });
    expect(route.gate).toEqual({ diverged: 30, noiseOnly: 0, rate: 1, ci95: wilson(30, 30) });
  });

  it('counts its legs apart, visibly: secondary coverage, the pair view and /metrics', async () => {
    const { p, metrics } = downSecondary();
    const coverage = { triples: 0, secondaryMissing: 0, secondaryUnusable: 30, secondaryOrphaned: 0, secondaryCoverage: 0 };
    expect(p.report().totals.coverage).toMatchObject(coverage);
    expect(p.report().routes[0]!.coverage).toMatchObject(coverage);
    expect(p.pair('t-0')).toMatchObject({ state: 'paired', secondary: { leg: 'secondary', status: 503 } });
    const text = await metrics.render(p.metricsReading());
    const route = `route="${ROUTE}"`;
    expect(text).toContain(`shadowdiff_collector_secondary_total{${route},outcome="secondary_unusable"} 30`);
    expect(text).toContain(`shadowdiff_collector_secondary_total{${route},outcome="triple"} 0`);
    expect(text).toContain(`shadowdiff_collector_divergence_ratio_upper_bound{${route}} ${wilson(30, 30)!.high}`);
  });
});
