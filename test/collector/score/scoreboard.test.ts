import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { routeReports } from '../../../collector/report/buildReport.js';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import type { Scoreboard, RouteTallySnapshot } from '../../../collector/score/scoreboard.js';
import type { DigestRecord } from '../../../collector/types.js';
import { legs, T0 } from '../fixtures.js';
import { NOTHING_IGNORED, testScoreboard } from './testScoreboard.js';

const ROUTE = 'GET /orders/{id}';

const board = testScoreboard;

/** When the next pair fed resolved: each one a millisecond after the last. */
let resolvedAt = T0;

function feed(scoreboard: Scoreboard, id: string, shadow: Partial<DigestRecord>, both: Partial<DigestRecord> = {}, route = ROUTE): void {
  const [p, s] = legs(id, shadow, both);
  scoreboard.recordPair(route, id, p, s, comparePair(p, s, NOTHING_IGNORED, ['content-type']), ++resolvedAt);
}

/** A checkpoint's route changes with the tallies read at once. */
function changedRoutes(scoreboard: Scoreboard): { written: RouteTallySnapshot[]; dropped: string[] } {
  const changes = scoreboard.takeChangedRoutes();
  return { written: [...changes.written], dropped: changes.dropped };
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
      feed(
        scoreboard,
        `p${i}`,
        { fields: { '$.items[0].price': `0000000${i}`, '$.items[1].price': `0000001${i}`, '$.id': 'ffffffff' } },
        { fields: { '$.items[0].price': 'aaaaaaaa', '$.items[1].price': 'bbbbbbbb', '$.id': '0000002a' } },
      );
    }
    feed(
      scoreboard,
      'q',
      { fields: { '$.id': 'ffffffff', '$.items[0].price': 'aaaaaaaa', '$.items[1].price': 'bbbbbbbb' } },
      { fields: { '$.items[0].price': 'aaaaaaaa', '$.items[1].price': 'bbbbbbbb', '$.id': '0000002a' } },
    );
    const fields = routeReports(scoreboard, 10)[0]?.fields ?? [];
    expect(fields.map((f) => [f.path, f.divergentPairs])).toEqual([
      ['$.id', 6],
      ['$.items[*].price', 5],
    ]);
    expect(fields[0]?.rate).toBe(1);
    // The three latest examples by resolution time, newest first.
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
      feed(
        scoreboard,
        `n${i}`,
        { fields: { '$.id': '0000002a', '$.total': '11111111', '$.meta.ts': (i * 2 + 1).toString(16).padStart(8, '0') } },
        { fields: { '$.id': '0000002a', '$.total': '11111111', '$.meta.ts': (i * 2).toString(16).padStart(8, '0') } },
      );
    }
    const [field] = routeReports(scoreboard, 10)[0]?.fields ?? [];
    expect(field).toMatchObject({ path: '$.meta.ts', divergentPairs: 30, likelyNoise: true, suggestedIgnore: '$.meta.ts' });
    expect(field?.noiseReason).toMatch(/values rarely repeat/);
  });

  it('bounds tracked fields per route and counts the field that gave up its place', () => {
    const scoreboard = board({ maxFieldsPerRoute: 2 });
    feed(scoreboard, 'a', { fields: { '$.a': '00000001', '$.b': '00000001', '$.c': '00000001' } }, { fields: {} });
    const route = routeReports(scoreboard, 10)[0];
    expect(route?.fieldsTracked).toBe(2);
    expect(route?.fieldsEvicted).toBe(1);
    // The newcomer took the lightest entry's place and says how approximate its count is.
    expect(route?.fields.find((f) => f.path === '$.c')).toMatchObject({ divergentPairs: 1, countError: 1 });
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
    expect(routeReports(scoreboard, 10)[0]?.coverage).toEqual({
      pairs: 3,
      shadowMissing: 1,
      primaryMissing: 1,
      evicted: 1,
      shadowCoverage: 0.75,
    });
  });
});

describe('FieldRows.INDICES_ONLY (array indices collapse, keys stay)', () => {
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
    expect(FieldRows.INDICES_ONLY.row(path)).toBe(collapsed);
  });
});

describe('Scoreboard tables under floods', () => {
  const junkFields = (n: number, from: number): Record<string, string> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`$.junk${from + i}`, '00000001']));

  it('a flood of one-off routes does not push out a steadily seen route; evicted routes fold into `other` with exact totals', () => {
    const scoreboard = board({ maxRoutes: 10 });
    for (let i = 0; i < 500; i++) {
      feed(scoreboard, `junk-${i}`, {}, {}, `GET /junk/r${i}`);
      if (i % 10 === 0) feed(scoreboard, `real-${i}`, { fields: { '$.id': '0000002a', '$.total': '99999999' } });
    }
    const reports = routeReports(scoreboard, 10);
    const real = reports.find((r) => r.route === ROUTE);
    expect(real).toMatchObject({ pairs: 50, diverged: 50, countError: 0 });
    expect(real?.fields.map((f) => f.path)).toEqual(['$.total']);
    const other = reports.find((r) => r.route === 'other');
    expect(scoreboard.routesTracked).toBe(10);
    expect(reports).toHaveLength(11);
    expect(scoreboard.routeEvictions).toBe(500 - 9);
    expect(reports.reduce((sum, r) => sum + r.pairs, 0)).toBe(550);
    expect(other?.pairs).toBeGreaterThan(0);
    expect(other?.latencyMs.primary.p50).not.toBeNull();
  });

  it('keeps the routes changed between two checkpoints within the table: what it tracks, and deletes only for routes the store holds', () => {
    const scoreboard = board({ maxRoutes: 10, trackChanges: true });
    for (let i = 0; i < 10; i++) feed(scoreboard, `held-${i}`, {}, {}, `GET /held/r${i}`);
    const first = changedRoutes(scoreboard);
    expect(first.written).toHaveLength(10);
    expect(first.dropped).toEqual([]);
    const held = new Set(first.written.map((tally) => tally.route));
    // A flood of 5,000 distinct routes between two checkpoints: each pushes the last one out.
    for (let i = 0; i < 5000; i++) feed(scoreboard, `flood-${i}`, {}, {}, `GET /flood/r${i}`);
    const second = changedRoutes(scoreboard);
    expect(second.written.length).toBeLessThanOrEqual(10);
    expect(second.written.map((tally) => tally.route).sort()).toEqual(
      [...scoreboard.routeTallies()]
        .map((tally) => tally.route)
        .filter((route) => route !== 'other')
        .sort(),
    );
    // Every route the store held was folded: each is deleted once; the flood's own routes cost nothing.
    expect(second.dropped.sort()).toEqual([...held].sort());
    expect(second.written.length + second.dropped.length).toBeLessThanOrEqual(10 + held.size);
    // The next interval deletes what the last checkpoint wrote and the flood has since pushed out.
    for (let i = 0; i < 5000; i++) feed(scoreboard, `again-${i}`, {}, {}, `GET /again/r${i}`);
    const third = changedRoutes(scoreboard);
    expect(third.dropped.sort()).toEqual(second.written.map((tally) => tally.route).sort());
    expect(third.written.length).toBeLessThanOrEqual(10);
  });

  it('copies the tallies of a checkpoint as they are read, each as it was when the checkpoint was taken, whatever is counted meanwhile', () => {
    const scoreboard = board({ maxRoutes: 3, trackChanges: true });
    const routes = ['GET /a', 'GET /b', 'GET /c'];
    for (const route of routes) for (let i = 0; i < 4; i++) feed(scoreboard, `${route}-${i}`, { status: 503 }, {}, route);
    const taken = JSON.parse(JSON.stringify(scoreboard.snapshot().routes)) as RouteTallySnapshot[];
    const changes = scoreboard.takeChangedRoutes();
    const read: RouteTallySnapshot[] = [];
    const iterator = changes.written[Symbol.iterator]();
    const first = iterator.next();
    if (first.done !== true) read.push(first.value);
    // Between two reads: the route read already, one still to be read, a new one that pushes the lightest out.
    for (const route of routes) feed(scoreboard, `${route}-late`, { fields: { '$.id': '0000002a', '$.total': '99999999' } }, {}, route);
    for (let i = 0; i < 20; i++) feed(scoreboard, `new-${i}`, {}, {}, 'GET /new');
    for (let next = iterator.next(); next.done !== true; next = iterator.next()) read.push(next.value);
    const byRoute = (a: RouteTallySnapshot, b: RouteTallySnapshot): number => a.route.localeCompare(b.route);
    expect(read).toHaveLength(3);
    expect((JSON.parse(JSON.stringify(read)) as RouteTallySnapshot[]).sort(byRoute)).toEqual(taken.sort(byRoute));
    // The changes made while they were read are the next checkpoint's.
    const after = changedRoutes(scoreboard);
    expect(after.written.map((tally) => tally.route).sort()).toEqual(
      [...scoreboard.routeTallies()]
        .map((tally) => tally.route)
        .filter((route) => route !== 'other')
        .sort(),
    );
    expect(after.written.every((tally) => tally.pairs === 5 || tally.route === 'GET /new')).toBe(true);
  });

  it('a regression in a field that appears after the field table filled with junk is reported, with its error bound', () => {
    const scoreboard = board({ maxFieldsPerRoute: 32 });
    for (let i = 0; i < 40; i++)
      feed(scoreboard, `junk-${i}`, { fields: { '$.id': '0000002a', '$.total': '11111111', ...junkFields(32, i * 32) } });
    for (let i = 0; i < 50; i++) feed(scoreboard, `reg-${i}`, { fields: { '$.id': '0000002a', '$.total': '99999999' } });
    const route = routeReports(scoreboard, 3)[0];
    expect(route?.fields[0]).toMatchObject({ path: '$.total', divergentPairs: 50 });
    expect(route?.fields[0]?.countError).toBeGreaterThan(0);
    expect(route?.fieldsTracked).toBe(32);
    expect(route?.fieldsEvicted).toBeGreaterThan(1000);
  });

  it('keeps the accounted tally bytes within the budget, taking room from lighter routes first', () => {
    // Room for some twenty junk routes (~45 KB each, route and fields), far fewer than come.
    const budget = new ByteBudget(1024 * 1024);
    const scoreboard = board({ budget, maxRoutes: 200, maxFieldsPerRoute: 512 });
    for (let i = 0; i < 30; i++) feed(scoreboard, `steady-${i}`, { fields: { '$.id': '0000002a', '$.total': '99999999' } });
    const long = 'x'.repeat(900);
    for (let i = 0; i < 200; i++) {
      feed(
        scoreboard,
        `j-${i}`,
        { fields: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`$.${long}${i}_${k}`, '00000001'])) },
        {},
        `GET /junk/${i}x`,
      );
      expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    }
    expect(budget.evictions).toBeGreaterThan(0);
    const steady = routeReports(scoreboard, 10).find((r) => r.route === ROUTE);
    expect(steady?.fields.map((f) => [f.path, f.divergentPairs])).toEqual([['$.total', 30]]);
  });

  it('collapses id-keyed maps into one row, so they do not fill the table', () => {
    const scoreboard = board({ rows: new FieldRows({ collapseKeys: true, keyPatterns: ['^sku-[0-9]+$'] }), maxFieldsPerRoute: 4 });
    for (let i = 0; i < 100; i++)
      feed(scoreboard, `m-${i}`, { fields: { '$.id': '0000002a', '$.total': '11111111', [`$.prices["sku-${i}"]`]: '00000001' } });
    const route = routeReports(scoreboard, 10)[0];
    expect(route?.fields.map((f) => [f.path, f.divergentPairs, f.countError])).toEqual([['$.prices[{key}]', 100, 0]]);
    expect(route?.fieldsEvicted).toBe(0);
  });

  it('restores the same tables, weights and errors, and the budget accounted again', () => {
    const scoreboard = board({ maxRoutes: 3 });
    for (let i = 0; i < 6; i++) feed(scoreboard, `r-${i}`, { status: 500 }, {}, `GET /r${i}`);
    feed(scoreboard, 'x', { fields: { '$.id': '0000002a', '$.total': '99999999' } });
    const budget = new ByteBudget(Number.MAX_SAFE_INTEGER);
    const restored = board({ maxRoutes: 3, budget });
    restored.restore(JSON.parse(JSON.stringify(scoreboard.snapshot())));
    expect(routeReports(restored, 10)).toEqual(routeReports(scoreboard, 10));
    const byRoute = (s: ReturnType<Scoreboard['snapshot']>) => ({
      ...s,
      routes: [...s.routes].sort((a, b) => a.route.localeCompare(b.route)),
    });
    expect(byRoute(restored.snapshot())).toEqual(byRoute(scoreboard.snapshot()));
    expect(budget.usedBytes).toBeGreaterThan(0);
  });
});

describe('Scoreboard restore under smaller caps', () => {
  it('keeps the heaviest routes and fields and folds the rest into `other`', () => {
    const scoreboard = board();
    for (let r = 0; r < 4; r++) {
      for (let i = 0; i <= r; i++) {
        const fields = Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`$.f${k}`, k <= i ? '00000009' : '00000001']));
        feed(
          scoreboard,
          `r${r}-${i}`,
          { fields: { ...BASE, ...fields } },
          { fields: { ...BASE, ...Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`$.f${k}`, '00000001'])) } },
          `GET /r${r}`,
        );
      }
    }
    const smaller = board({ maxRoutes: 2, maxFieldsPerRoute: 2 });
    smaller.restore(JSON.parse(JSON.stringify(scoreboard.snapshot())));
    const reports = routeReports(smaller, 10);
    expect(reports.map((r) => r.route).sort()).toEqual(['GET /r2', 'GET /r3', 'other']);
    expect(reports.find((r) => r.route === 'GET /r3')?.fields.map((f) => f.path)).toEqual(['$.f0', '$.f1']);
    expect(reports.reduce((n, r) => n + r.pairs, 0)).toBe(1 + 2 + 3 + 4);
  });

  it('after a restore, writes the routes kept and deletes those folded, which the store holds', () => {
    const scoreboard = board();
    for (let r = 0; r < 4; r++) for (let i = 0; i <= r; i++) feed(scoreboard, `r${r}-${i}`, {}, {}, `GET /r${r}`);
    const smaller = board({ maxRoutes: 2, trackChanges: true });
    smaller.restore(JSON.parse(JSON.stringify(scoreboard.snapshot())));
    const changes = changedRoutes(smaller);
    expect(changes.written.map((tally) => tally.route).sort()).toEqual(['GET /r2', 'GET /r3']);
    expect(changes.dropped.sort()).toEqual(['GET /r0', 'GET /r1']);
  });
});

const BASE = { '$.id': '0000002a', '$.total': '11111111' };

describe('Scoreboard latency', () => {
  it('times pairs by pairLatency: the upstream spans when both legs carry them, the verdict over the same pairs', () => {
    const scoreboard = board();
    // the filter's spans say +200 ms (the mirror's hop); the routers' say equal
    for (let i = 0; i < 40; i++) {
      const [p, s] = legs(`id${i}`, { lastByteUs: 250_000 }, { lastByteUs: 50_000, upstreamUs: 10_000 + i });
      scoreboard.recordPair(ROUTE, p.id, p, s, comparePair(p, s, NOTHING_IGNORED, ['content-type']), ++resolvedAt);
    }
    const [route] = routeReports(scoreboard, 10);
    expect(route!.latencyMs.delta.p95).toBe(0);
    expect(route!.latencyMs.verdict).toMatchObject({ pairs: 40, deltaMs: 0, ci95: { low: 0, high: 0 }, finding: 'no_change' });
  });

  it('keeps its latency pairs through a snapshot, and restores a snapshot from before them with none', () => {
    const scoreboard = board();
    for (let i = 0; i < 30; i++) feed(scoreboard, `id${i}`, { lastByteUs: 60_000 + i }, { lastByteUs: 10_000 + i });
    const snapshot = scoreboard.snapshot();
    const restored = board();
    restored.restore(snapshot);
    expect(restored.snapshot().routes[0]!.latencyPairs).toEqual(snapshot.routes[0]!.latencyPairs);
    expect(routeReports(restored, 10)[0]!.latencyMs.verdict).toEqual(routeReports(scoreboard, 10)[0]!.latencyMs.verdict);
    const { latencyPairs: _dropped, ...older } = snapshot.routes[0]!;
    const fromOlder = board();
    fromOlder.restore({ ...snapshot, routes: [older] });
    expect(routeReports(fromOlder, 10)[0]!.latencyMs.verdict).toMatchObject({ pairs: 0, finding: 'too_few_pairs' });
    expect(routeReports(fromOlder, 10)[0]!.pairs).toBe(30);
  });
});
