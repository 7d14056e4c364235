// The demo with --secondary end to end, through a real Envoy: a second orders v1 instance proves
// the noise fields noise with no ignore rules declared (the collector runs
// examples/orders/collector-secondary.yaml), while every one of the five seeded regressions is
// still named, and the rollout gate counts only them.

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../collector/config.js';
import { demoCollectorConfig } from '../../scripts/demo/demoStack.js';
import type { DemoOptions } from '../../scripts/demo/flags.js';
import { demoRunPerBlock } from '../support/demoRunPerBlock.js';

const ANY_FREE_PORT = { edge: 0, admin: 0, v1: 0, v2: 0, secondary: 0, collector: 0 };
// The demo's default traffic: at 400 requests POST /orders gets fewer triples than a finding needs.
const OPTIONS: DemoOptions = { ports: ANY_FREE_PORT, requests: 800, seed: 7, concurrency: 4, once: true, secondary: true };
/** The noise both versions produce (examples/orders/responseNoise.ts), by the names it appears under. */
const NOISE_FIELD_NAMES = ['generatedAt', 'requestTraceId', 'traceId'];
const REGRESSION_FIELDS: Record<string, string[]> = {
  'GET /orders/{id}': ['$.totals.converted', '$.totals.tax', '$.totals.total'],
  'GET /orders/{id}/shipping': ['$.charge'],
};

describe('npm run demo -- --secondary --once', () => {
  const demo = demoRunPerBlock(OPTIONS, 150_000);
  const route = demo.route;

  it('declares no ignore rules, and every mirrored request is a triple', () => {
    const config = loadConfig({ file: demoCollectorConfig(true) });
    expect(config.ignore).toMatchObject({ fields: [], routes: {} });
    expect(demo.printed()).toContain('collector-secondary.yaml');
    expect(demo.run().settled).toBe(true);
    expect(demo.run().report.totals.coverage).toMatchObject({ secondaryMissing: 0, secondaryUnusable: 0, secondaryCoverage: 1 });
  });

  it('reports every noise field as noise proven by the secondary, with its ignore rule, on every route', () => {
    const proven = new Set<string>();
    for (const report of demo.run().report.routes) {
      for (const field of report.fields) {
        if (!NOISE_FIELD_NAMES.some((name) => field.path.includes(name))) continue;
        expect(field.secondary?.finding, `${report.route} ${field.path}`).toBe('noise');
        expect(field).toMatchObject({ likelyNoise: true, suggestedIgnore: field.path });
        proven.add(field.path);
      }
    }
    expect([...proven].sort()).toEqual(['$.items[*].traceId', '$.meta.generatedAt', '$.meta.requestTraceId']);
    const count = demo
      .run()
      .report.routes.flatMap((report) => report.fields)
      .filter((field) => field.secondary?.finding === 'noise').length;
    expect(demo.printed()).toContain(`the secondary proved ${count} fields noise on 4 routes`);
  });

  it('still names all five seeded regressions, and the gate counts only them', () => {
    for (const [name, paths] of Object.entries(REGRESSION_FIELDS)) {
      const byPath = new Map(route(name).fields.map((field) => [field.path, field]));
      for (const path of paths) {
        expect(byPath.get(path)?.secondary?.finding, `${name} ${path}`).toBe('regression');
        expect(byPath.get(path)?.likelyNoise).toBe(false);
      }
      // Each diverged pair the gate counts has a regressed field: the rest differed in noise only.
      expect(route(name).gate!.diverged).toBe(Math.max(...paths.map((path) => byPath.get(path)!.divergentPairs)));
    }
    const catalog = route('GET /catalog/items/{sku}');
    expect(catalog.errors.shadowOnly).toBeGreaterThan(0);
    expect(catalog.gate!.diverged).toBe(catalog.kinds.status_class);
    expect(route('GET /orders/{id}').latencyMs.verdict.finding).toBe('regression');
    expect(route('POST /orders').gate!.diverged).toBe(0);
  });
});
