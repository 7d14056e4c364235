// The collector tells the truth through floods: a flood of junk routes and fields through the
// HTTP ingest endpoint does not hide a regression that comes after it, and a flood of huge
// records stays within the byte budgets instead of growing the process.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { BUDGET_PARTS } from '../../../collector/budget/byteBudget.js';
import { RECORD_LIMITS } from '../../../collector/ingest/recordLimits.js';
import type { DigestRecord, Report } from '../../../collector/types.js';
import { batch, legs, record, testApp, type TestApp } from '../fixtures.js';

let current: TestApp | null = null;

afterEach(async () => {
  await current?.app.close();
  current = null;
});

async function post(t: TestApp, records: DigestRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += RECORD_LIMITS.maxRecordsPerBatch) {
    const response = await t.post(batch(records.slice(i, i + RECORD_LIMITS.maxRecordsPerBatch)));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ rejectedRecords: 0 });
  }
}

async function report(t: TestApp): Promise<Report> {
  const response = await t.get('/v1/report?top=10');
  expect(response.statusCode).toBe(200);
  return response.json<Report>();
}

const BASE_FIELDS = { '$.id': '0000002a', '$.total': '11111111' };

describe('a flood of junk routes and fields, then a real regression', () => {
  it('reports the regression and its field, on a route seen all along and on one that appears after the flood', async () => {
    const t = testApp();
    current = t;
    const junkRoutes = 3000;
    const records: DigestRecord[] = [];
    for (let i = 0; i < junkRoutes; i++) {
      // One-off routes (literal segments do not collapse), each diverging in its own fields.
      const junkFields = Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`$.junk_${i}_${k}`, '00000001']));
      records.push(...legs(`junk-${i}`, { fields: { ...BASE_FIELDS, ...junkFields } }, { path: `/junk/r${i}x` }));
      if (i % 50 === 0) {
        // The real route is seen steadily, and gets a flood of junk fields of its own.
        const ownJunk = Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`$.noise_${i}_${k}`, '00000001']));
        records.push(...legs(`steady-${i}`, { fields: { ...BASE_FIELDS, ...ownJunk } }, { path: '/checkout/cart' }));
      }
    }
    await post(t, records);
    const flooded = await report(t);
    expect(flooded.routeEvictions).toBeGreaterThan(junkRoutes - 200);
    expect(flooded.routesTracked).toBe(200);
    expect(flooded.routes.find((r) => r.route === 'GET /checkout/cart')?.fieldsEvicted).toBeGreaterThan(0);

    const regression: DigestRecord[] = [];
    for (let i = 0; i < 50; i++) {
      regression.push(...legs(`cart-reg-${i}`, { fields: { '$.id': '0000002a', '$.total': '99999999' } }, { path: '/checkout/cart' }));
      regression.push(...legs(`new-reg-${i}`, { status: 200, fields: { '$.id': '0000002a', '$.total': '11111111', '$.state': '00000002' } }, { path: `/orders/${1000 + i}`, fields: { ...BASE_FIELDS, '$.state': '00000001' } }));
    }
    await post(t, regression);

    const r = await report(t);
    const cart = r.routes.find((route) => route.route === 'GET /checkout/cart');
    expect(cart).toMatchObject({ pairs: 60 + 50, countError: 0 });
    expect(cart?.diverged).toBeGreaterThanOrEqual(50);
    expect(cart?.fields[0]).toMatchObject({ path: '$.total', divergentPairs: 50, changed: 50 });
    const orders = r.routes.find((route) => route.route === 'GET /orders/{id}');
    expect(orders).toMatchObject({ pairs: 50, diverged: 50 });
    expect(orders?.fields.map((f) => [f.path, f.divergentPairs])).toEqual([['$.state', 50]]);
    // Totals stay exact: what the tracked routes lost is in `other`.
    expect(r.routes.reduce((n, route) => n + route.pairs, 0)).toBe(junkRoutes + 60 + 100);
    expect(r.totals.coverage.pairs).toBe(junkRoutes + 60 + 100);
    expect(r.routes).toHaveLength(201);

    const metrics = (await t.get('/metrics')).body;
    const routeLabels = new Set([...metrics.matchAll(/^shadowdiff_collector_pairs_total\{route="([^"]*)"/gm)].map((m) => m[1]));
    expect(routeLabels.size).toBeLessThanOrEqual(201);
    expect(routeLabels.has('GET /checkout/cart')).toBe(true);
    expect(routeLabels.has('GET /orders/{id}')).toBe(true);
    expect(metrics).toMatch(/^shadowdiff_collector_field_divergent_pairs\{route="GET \/checkout\/cart",field="\$\.total"\} 50$/m);
  });
});

describe('a flood of huge records (4,096 fields of ~1,000-character paths, sent without a token)', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapUsed = (): number => {
    gc();
    return process.memoryUsage().heapUsed;
  };

  function huge(id: string, leg: 'primary' | 'shadow', salt: string): DigestRecord {
    const stem = `$.${'p'.repeat(RECORD_LIMITS.maxFieldPathLength - 24)}`;
    const fields = Object.fromEntries(Array.from({ length: RECORD_LIMITS.maxFields }, (_, i) => [`${stem}${id}_${i}`, salt]));
    return record(leg, { id, path: `/blob/${id}x`, fields });
  }

  it('keeps every part within its configured budget, counts what it evicted, and the heap stays within a loose bound', async () => {
    const MiB = 1024 * 1024;
    const t = testApp((c) => {
      c.budget.pendingBytes = 8 * MiB;
      c.budget.pairsBytes = 12 * MiB;
      c.budget.talliesBytes = 4 * MiB;
    });
    current = t;
    const before = heapUsed();
    for (let i = 0; i < 24; i++) {
      // Half unpaired primaries (they wait in the join window), half pairs differing in every field.
      const records = i % 2 === 0 ? [huge(`u${i}`, 'primary', '00000001')] : [huge(`p${i}`, 'primary', '00000001'), huge(`p${i}`, 'shadow', '00000002')];
      for (const r of records) await post(t, [r]);
      const { budget } = await report(t);
      for (const part of BUDGET_PARTS) expect(budget[part].usedBytes).toBeLessThanOrEqual(budget[part].limitBytes);
    }
    const r = await report(t);
    expect(r.budget.pending.evictions + r.budget.pending.refusals).toBeGreaterThan(0);
    expect(r.budget.pairs.evictions).toBeGreaterThan(0);
    expect(r.totals.coverage.evicted).toBeGreaterThan(0);
    // Without the budgets the collector would now hold ~12 pairs × 8.5 MB and 12 pending legs × 4.2 MB (≈ 150 MB).
    const grown = heapUsed() - before;
    expect(grown).toBeLessThan(24 * MiB + 40 * MiB);
  }, 120_000);
});
