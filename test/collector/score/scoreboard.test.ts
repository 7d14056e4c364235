import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { routeReports } from '../../../collector/report/buildReport.js';
import { collapseIndices, Scoreboard } from '../../../collector/score/scoreboard.js';
import type { DigestRecord } from '../../../collector/types.js';
import { legs } from '../fixtures.js';

const NOTHING_IGNORED = { field: () => false, header: () => false };
const ROUTE = 'GET /orders/{id}';

function board(overrides: Partial<{ examplesPerField: number; maxFieldsPerRoute: number }> = {}): Scoreboard {
  return new Scoreboard({ examplesPerField: 3, maxFieldsPerRoute: 100, noise: { threshold: 0.9, minPairs: 20 }, ...overrides });
}

function feed(scoreboard: Scoreboard, id: string, shadow: Partial<DigestRecord>, both: Partial<DigestRecord> = {}, route = ROUTE): void {
  const [p, s] = legs(id, shadow, both);
  scoreboard.recordPair(route, id, p, s, comparePair(p, s, NOTHING_IGNORED, ['content-type']));
}

describe('Scoreboard', () => {
  it('counts pairs, divergence, its Wilson interval and kinds per route', () => {
    const scoreboard = board();
    for (let i = 0; i < 8; i++) feed(scoreboard, `m${i}`, {});
    feed(scoreboard, 'd1', { status: 503 });
    feed(scoreboard, 'd2', { fields: { '$.id': '0000002a', '$.total': '99999999' } });
    const [route] = routeReports(scoreboard, 10);
    expect(route?.pairs).toBe(10);
    expect(route?.diverged).toBe(2);
    expect(route?.divergenceRate).toBeCloseTo(0.2, 10);
    expect(route?.divergenceCi95?.low).toBeCloseTo(0.0567, 4);
    expect(route?.divergenceCi95?.high).toBeCloseTo(0.5098, 4);
    expect(route?.kinds).toMatchObject({ status_class: 1, field: 1, body: 0, header: 0 });
  });

  it('reports error rates per leg and errors only one side has, apart from body differences', () => {
    const scoreboard = board();
    feed(scoreboard, 'a', { status: 500 });
    feed(scoreboard, 'b', { status: 0, complete: false });
    feed(scoreboard, 'c', {}, { status: 502 });
    feed(scoreboard, 'd', {});
    const errors = routeReports(scoreboard, 10)[0]?.errors;
    expect(errors).toEqual({
      primary: { count: 1, rate: 0.25 },
      shadow: { count: 3, rate: 0.75 },
      rateDelta: 0.5,
      shadowOnly: 2,
      primaryOnly: 0,
    });
  });

  it('reports latency quantiles per leg and the shadow minus primary delta', () => {
    const scoreboard = board();
    for (let i = 1; i <= 100; i++) feed(scoreboard, `l${i}`, { lastByteUs: i * 1000 + 5000 }, { lastByteUs: i * 1000 });
    const latency = routeReports(scoreboard, 10)[0]?.latencyMs;
    expect(latency?.primary.p50).toBeCloseTo(50, -0.5);
    expect(latency?.shadow.p99).toBeCloseTo(104, -0.5);
    expect(latency?.delta.p50).toBeCloseTo(5, -0.5);
  });

  it('ranks fields by the pairs they differ in, collapsing array indices and counting a field once per pair', () => {
    const scoreboard = board();
    for (let i = 0; i < 5; i++) {
      feed(scoreboard, `p${i}`, { fields: { '$.items[0].price': `0000000${i}`, '$.items[1].price': `0000001${i}`, '$.id': 'ffffffff' } }, { fields: { '$.items[0].price': 'aaaaaaaa', '$.items[1].price': 'bbbbbbbb', '$.id': '0000002a' } });
    }
    feed(scoreboard, 'q', { fields: { '$.id': 'ffffffff', '$.items[0].price': 'aaaaaaaa', '$.items[1].price': 'bbbbbbbb' } }, { fields: { '$.items[0].price': 'aaaaaaaa', '$.items[1].price': 'bbbbbbbb', '$.id': '0000002a' } });
    const fields = routeReports(scoreboard, 10)[0]?.fields ?? [];
    expect(fields.map((f) => [f.path, f.divergentPairs])).toEqual([
      ['$.id', 6],
      ['$.items[*].price', 5],
    ]);
    expect(fields[0]?.rate).toBe(1);
    // Three most recent examples, newest first.
    expect(fields[0]?.examples).toEqual(['q', 'p4', 'p3']);
  });

  it('counts missing and extra fields', () => {
    const scoreboard = board();
    feed(scoreboard, 'a', { fields: { '$.id': '0000002a', '$.new': '00000001' } });
    const fields = routeReports(scoreboard, 10)[0]?.fields ?? [];
    expect(fields.find((f) => f.path === '$.total')).toMatchObject({ missingInShadow: 1, changed: 0 });
    expect(fields.find((f) => f.path === '$.new')).toMatchObject({ extraInShadow: 1 });
  });

  it('keeps status-class changes and body-hash fallbacks out of the field ranking', () => {
    const scoreboard = board();
    feed(scoreboard, 'a', { status: 500, fields: { '$.error': '00000001' } });
    feed(scoreboard, 'b', { json: 'malformed', fields: {}, bodyHash: 'ffffffffffffffff' });
    const route = routeReports(scoreboard, 10)[0];
    expect(route?.fields).toEqual([]);
    expect(route?.structurallyCompared).toBe(0);
    expect(route?.bodyFallback.pairs).toBe(1);
    expect(route?.bodyFallback.reasons.json_state_differs).toBe(1);
  });

  it('flags a volatile field as likely noise and suggests an ignore rule, without hiding it', () => {
    const scoreboard = board();
    for (let i = 0; i < 30; i++) {
      feed(scoreboard, `n${i}`, { fields: { '$.id': '0000002a', '$.total': '11111111', '$.meta.ts': (i * 2 + 1).toString(16).padStart(8, '0') } }, { fields: { '$.id': '0000002a', '$.total': '11111111', '$.meta.ts': (i * 2).toString(16).padStart(8, '0') } });
    }
    const [field] = routeReports(scoreboard, 10)[0]?.fields ?? [];
    expect(field).toMatchObject({ path: '$.meta.ts', divergentPairs: 30, likelyNoise: true, suggestedIgnore: '$.meta.ts' });
    expect(field?.noiseReason).toMatch(/values rarely repeat/);
  });

  it('bounds tracked fields per route and counts the overflow', () => {
    const scoreboard = board({ maxFieldsPerRoute: 2 });
    feed(scoreboard, 'a', { fields: { '$.a': '00000001', '$.b': '00000001', '$.c': '00000001' } }, { fields: {} });
    const route = routeReports(scoreboard, 10)[0];
    expect(route?.fieldsTracked).toBe(2);
    expect(route?.fieldsOverflowed).toBe(1);
  });

  it('ranks routes by the lower bound of their interval, not by raw rate', () => {
    const scoreboard = board();
    feed(scoreboard, 'lucky', { status: 500 }, {}, 'GET /one');
    for (let i = 0; i < 200; i++) feed(scoreboard, `s${i}`, i < 80 ? { status: 500 } : {}, {}, 'GET /many');
    expect(routeReports(scoreboard, 10).map((r) => r.route)).toEqual(['GET /many', 'GET /one']);
    expect(routeReports(scoreboard, 10, 'GET /one').map((r) => r.route)).toEqual(['GET /one']);
  });

  it('counts coverage: missing legs and evictions apart from pairs', () => {
    const scoreboard = board();
    feed(scoreboard, 'a', {});
    feed(scoreboard, 'b', {});
    feed(scoreboard, 'c', {});
    scoreboard.recordMissing(ROUTE, 'shadow_missing');
    scoreboard.recordMissing(ROUTE, 'primary_missing');
    scoreboard.recordEvicted(ROUTE);
    expect(routeReports(scoreboard, 10)[0]?.coverage).toEqual({ pairs: 3, shadowMissing: 1, primaryMissing: 1, evicted: 1, shadowCoverage: 0.75 });
  });
});

describe('collapseIndices', () => {
  it.each([
    ['$.a', '$.a'],
    ['$.items[0].price', '$.items[*].price'],
    ['$[3][12]', '$[*][*]'],
    ['$["a[1]"].b[2]', '$["a[1]"].b[*]'],
    ['$["q\\"[1]"][4]', '$["q\\"[1]"][*]'],
    // Not paths the filter writes, but nothing is collapsed that is not a whole `[digits]`.
    ['$.a[]', '$.a[]'],
    ['$.a[12x]', '$.a[12x]'],
    ['$.a[7', '$.a[7'],
    ['$["a[1]', '$["a[1]'],
  ])('%s -> %s', (path, collapsed) => {
    expect(collapseIndices(path)).toBe(collapsed);
  });
});
