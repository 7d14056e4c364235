// The join of one legs partition, without Kafka: fed the same legs, it judges every id as the
// embedded pipeline does (any order, duplicates, late legs, windows closing by event time, caps),
// once; rebuilt at any point from what it made durable (verdicts, tallies, the committable
// offset) and fed the legs from that offset again, it loses no pending leg, judges no id twice
// and counts no leg twice.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pendingLegBytes } from '../../../collector/budget/sizeEstimates.js';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { PairComparer } from '../../../collector/compare/pairComparer.js';
import {
  PartitionJoin,
  partitionShare,
  type ConsumedLeg,
  type JoinOutput,
  type VerdictBody,
} from '../../../collector/kafka/partitionJoin.js';
import {
  ORPHANED_RECORD_VERSION,
  TALLY_RECORD_VERSION,
  VERDICT_RECORD_VERSION,
  type VerdictTopicRecord,
} from '../../../collector/kafka/verdictRecord.js';
import { WIRE_LEGS } from '../../../collector/ingest/wireSchema.js';
import { zeroCounts } from '../../../collector/schema/countsBy.js';
import type { CollectorConfig, IngestedRecord } from '../../../collector/types.js';
import { config, noisyTriple, record, T0, triple } from '../fixtures.js';
import { comparable } from './comparableReport.js';
import { reportSeries, served } from './judgedVerdicts.js';
import { embeddedModel, type ArrivedLeg, type LegTotals } from './joinModel.js';

const WINDOW_MS = 1000;

function settings(overrides: (c: CollectorConfig) => void = () => {}): CollectorConfig {
  return config((c) => {
    c.join.windowMs = WINDOW_MS;
    c.join.rememberMs = 3000;
    overrides(c);
  });
}

function newJoin(c: CollectorConfig, committedOffset = 0, records: readonly VerdictTopicRecord[] = []): PartitionJoin {
  return new PartitionJoin(0, partitionShare(c, 1), new PairComparer(c, new FieldRows(c.compare)), { committedOffset, records });
}

const consumed = (legs: readonly ArrivedLeg[], from = 0): ConsumedLeg[] =>
  legs.slice(from).map((leg, i) => ({ offset: from + i, leg: { v: 1, arrivedUnixMs: leg.arrivedUnixMs, record: leg.record } }));

/** What the worker writes to the verdicts partition for an output, as a rebuild reads it back. */
function logged(output: JoinOutput): VerdictTopicRecord[] {
  const records: VerdictTopicRecord[] = output.verdicts.map((verdict) => ({ v: VERDICT_RECORD_VERSION, kind: 'verdict', ...verdict }));
  for (const orphaned of output.orphaned) records.push({ v: ORPHANED_RECORD_VERSION, kind: 'orphaned', ...orphaned });
  if (output.tally !== null) records.push({ v: TALLY_RECORD_VERSION, kind: 'tally', ...output.tally });
  return records;
}

interface Run {
  verdicts: VerdictBody[];
  /** the routes of the orphaned secondaries, in order */
  orphaned: string[];
  log: VerdictTopicRecord[];
  totals: LegTotals;
}

function emptyRun(): Run {
  return {
    verdicts: [],
    orphaned: [],
    log: [],
    totals: { records: zeroCounts(WIRE_LEGS), duplicates: zeroCounts(WIRE_LEGS), late: zeroCounts(WIRE_LEGS) },
  };
}

function collect(run: Run, output: JoinOutput): void {
  run.verdicts.push(...output.verdicts);
  run.orphaned.push(...output.orphaned.map((orphaned) => orphaned.route));
  run.log.push(...logged(output));
  if (output.tally !== null) {
    for (const leg of WIRE_LEGS)
      for (const count of ['records', 'duplicates', 'late'] as const) run.totals[count][leg] += output.tally[count][leg] ?? 0;
  }
}

/** Consumes `legs` in runs of `chunk`. */
function feed(join: PartitionJoin, legs: readonly ConsumedLeg[], chunk: number, run: Run): void {
  for (let i = 0; i < legs.length; i += chunk) collect(run, join.consume(legs.slice(i, i + chunk)));
}

/** The verdicts in order, without their time, as the model lists its resolutions. */
const sequence = (verdicts: readonly VerdictBody[]): VerdictBody['pair'][] =>
  verdicts.map(({ pair }) => ({ ...pair, resolvedAtUnixMs: null }));

function byId(verdicts: readonly VerdictBody[]): Map<string, VerdictBody['pair']> {
  const map = new Map<string, VerdictBody['pair']>();
  for (const { pair } of verdicts) {
    expect(map.has(pair.id), `a second verdict for ${pair.id}`).toBe(false);
    map.set(pair.id, pair);
  }
  return map;
}

/**
 * Random traffic: a few ids, both legs in any order, copies, some divergent, arrivals moving
 * forward (some past the window); with `secondaries`, the primaries of even ids announce a
 * secondary, and secondary legs come for any id (triples, late ones, orphans).
 */
const trafficOf = (secondaries: boolean) =>
  fc
    .array(
      fc.record({
        id: fc.integer({ min: 0, max: 9 }),
        leg: secondaries
          ? fc.constantFrom('primary' as const, 'shadow' as const, 'secondary' as const)
          : fc.constantFrom('primary' as const, 'shadow' as const),
        status: fc.constantFrom(200, 200, 200, 500),
        stepMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 900 }), fc.constant(1500)),
      }),
      { minLength: 1, maxLength: 60 },
    )
    .map((events) => {
      let at = T0;
      return events.map(({ id, leg, status, stepMs }): ArrivedLeg => {
        at += stepMs;
        const announced = secondaries && leg === 'primary' && id % 2 === 0 ? { withSecondary: true as const } : {};
        return { arrivedUnixMs: at, record: record(leg, { id: `req-${id}`, status, path: `/orders/${id % 3}`, ...announced }) };
      });
    });
const traffic = fc.oneof(trafficOf(false), trafficOf(true));

const endOf = (legs: readonly ArrivedLeg[]): number => (legs.at(-1)?.arrivedUnixMs ?? T0) + WINDOW_MS;

describe('PartitionJoin', () => {
  it('judges every id once, as the embedded pipeline does, whatever the order, copies, late legs and run sizes', () => {
    const c = settings();
    fc.assert(
      fc.property(traffic, fc.integer({ min: 1, max: 7 }), (legs, chunk) => {
        const join = newJoin(c);
        const run = emptyRun();
        feed(join, consumed(legs), chunk, run);
        collect(run, join.closeIdle(endOf(legs)));
        const model = embeddedModel(c, legs, endOf(legs));
        expect(sequence(run.verdicts)).toEqual(model.resolutions);
        expect(run.orphaned).toEqual(model.orphaned);
        expect(run.totals).toEqual(model.totals);
        expect(join.pendingCount).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('with secondaries, its verdicts, orphans and tallies give a report instance the embedded pipeline’s report, findings and gate included', async () => {
    // No id forgotten and sent again: the report instance's clock does not move with the legs'.
    const c = settings((cfg) => {
      cfg.join.rememberMs = 1_000_000;
    });
    await fc.assert(
      fc.asyncProperty(trafficOf(true), fc.integer({ min: 1, max: 7 }), async (legs, chunk) => {
        const join = newJoin(c);
        const run = emptyRun();
        feed(join, consumed(legs), chunk, run);
        collect(run, join.closeIdle(endOf(legs)));
        const model = embeddedModel(c, legs, endOf(legs));
        const got = await served(c, messagesOf(run.log), []);
        expect(comparable(got.report)).toEqual(comparable(model.report));
      }),
      { numRuns: 100 },
    );
  });

  it('rebuilt at any cut from its verdicts, tallies and committable offset, loses no leg, judges no id twice and counts no leg twice', () => {
    const c = settings();
    fc.assert(
      fc.property(traffic, fc.nat(), fc.integer({ min: 1, max: 5 }), (legs, cutSeed, chunk) => {
        const cut = cutSeed % (legs.length + 1);
        const all = consumed(legs);
        const first = newJoin(c);
        const run = emptyRun();
        feed(first, all.slice(0, cut), chunk, run);
        const committed = first.committableOffset;
        expect(committed).toBeLessThanOrEqual(cut);
        // Every leg before the committed offset is of an id judged or a copy of one.
        const judged = new Set([
          ...run.verdicts.map((verdict) => verdict.pair.id),
          ...run.log.flatMap((logged) => (logged.kind === 'orphaned' ? [logged.id] : [])),
        ]);
        for (const leg of legs.slice(0, committed)) expect(judged.has(leg.record.id)).toBe(true);

        const second = newJoin(c, committed, run.log);
        expect(second.position).toBe(committed);
        feed(second, all.slice(committed), chunk, run);
        collect(run, second.closeIdle(endOf(legs)));
        const model = embeddedModel(c, legs, endOf(legs));
        expect(sequence(run.verdicts)).toEqual(model.resolutions);
        expect(run.orphaned).toEqual(model.orphaned);
        // A verdict does not say which late legs followed it: after a rebuild, a copy of a late
        // leg consumed before the committed offset counts as late rather than as a duplicate (of the same leg).
        expect(run.totals.records).toEqual(model.totals.records);
        for (const leg of WIRE_LEGS)
          expect(run.totals.duplicates[leg] + run.totals.late[leg], leg).toBe(model.totals.duplicates[leg] + model.totals.late[leg]);
      }),
      { numRuns: 300 },
    );
  });

  it('pairs both legs in either order with the diff the comparer gives, and closes a lone leg only when event time passes its window', () => {
    const c = settings();
    const join = newJoin(c);
    const out = join.consume(
      consumed([
        { arrivedUnixMs: T0, record: record('shadow', { id: 'a', status: 500 }) },
        { arrivedUnixMs: T0 + 10, record: record('primary', { id: 'b' }) },
        { arrivedUnixMs: T0 + 20, record: record('primary', { id: 'a' }) },
      ]),
    );
    expect(out.verdicts.map((v) => [v.pair.id, v.pair.state, v.pair.diff?.diverged, v.legs])).toEqual([
      ['a', 'paired', true, { partition: 0, offset: 2 }],
    ]);
    expect(out.tally).toEqual({
      legs: { partition: 0, fromOffset: 0, toOffset: 2 },
      records: { primary: 2, shadow: 1 },
      duplicates: { primary: 0, shadow: 0 },
      late: { primary: 0, shadow: 0 },
    });
    // b waits: its window closes at T0 + 10 + window, and nothing but event time moves it.
    expect(join.committableOffset).toBe(1);
    expect(join.closeIdle(T0 + 10 + WINDOW_MS - 1).verdicts).toEqual([]);
    const closed = join.closeIdle(T0 + 10 + WINDOW_MS).verdicts;
    expect(closed.map((v) => [v.pair.id, v.pair.state, v.legs.offset, v.pair.resolvedAtUnixMs])).toEqual([
      ['b', 'shadow_missing', 2, T0 + 10 + WINDOW_MS],
    ]);
    expect(join.committableOffset).toBe(3);
    // Its partner now is late, and a copy of it a duplicate: counted, never judged again.
    const after = join.consume([
      { offset: 3, leg: { v: 1, arrivedUnixMs: T0 + 2000, record: record('shadow', { id: 'b' }) } },
      { offset: 4, leg: { v: 1, arrivedUnixMs: T0 + 2000, record: record('primary', { id: 'b' }) } },
    ]);
    expect(after.verdicts).toEqual([]);
    expect(after.tally).toMatchObject({
      legs: { fromOffset: 3, toOffset: 4 },
      duplicates: { primary: 1, shadow: 0 },
      late: { primary: 0, shadow: 1 },
    });
  });

  it('a backlog consumed late judges by the legs’ arrival, not by when it is read', () => {
    const c = settings();
    const join = newJoin(c);
    // Primary and shadow 900 ms apart (inside the window), consumed long after both arrived.
    const out = join.consume(
      consumed([
        { arrivedUnixMs: T0, record: record('primary', { id: 'x' }) },
        { arrivedUnixMs: T0 + 900, record: record('shadow', { id: 'x' }) },
      ]),
    );
    expect(out.verdicts.map((v) => v.pair.state)).toEqual(['paired']);
    expect(join.eventTime).toBe(T0 + 900);
  });

  it('evicts the oldest pending leg past its share of join.maxPending, as the embedded pipeline does', () => {
    const c = settings((cfg) => {
      cfg.join.maxPending = 2;
    });
    const legs: ArrivedLeg[] = ['p', 'q', 'r'].map((id, i) => ({ arrivedUnixMs: T0 + i, record: record('primary', { id }) }));
    legs.push({ arrivedUnixMs: T0 + 5, record: record('shadow', { id: 'p' }) });
    const join = newJoin(c);
    const run = emptyRun();
    feed(join, consumed(legs), 10, run);
    expect(run.verdicts.map((v) => [v.pair.id, v.pair.state, v.legs.offset])).toEqual([['p', 'evicted', 2]]);
    expect(join.committableOffset).toBe(1);
    collect(run, join.closeIdle(endOf(legs)));
    const model = embeddedModel(c, legs, endOf(legs));
    expect(byId(run.verdicts)).toEqual(model.pairs);
    expect(run.totals).toEqual(model.totals);
  });

  it('evicts past its share of the pending byte budget, and refuses a leg larger than all of it, as the embedded pipeline does', () => {
    const one = pendingLegBytes(record('primary'));
    const c = settings((cfg) => {
      cfg.budget.pendingBytes = 2 * one + one / 2;
    });
    const big = record('primary', {
      id: 'big',
      fields: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`$.f${i}`, '00000000'])),
    });
    const legs: ArrivedLeg[] = [
      ...['u', 'v', 'w'].map((id, i) => ({ arrivedUnixMs: T0 + i, record: record('primary', { id }) })),
      { arrivedUnixMs: T0 + 3, record: big },
      { arrivedUnixMs: T0 + 4, record: record('shadow', { id: 'w' }) },
    ];
    const join = newJoin(c);
    const run = emptyRun();
    feed(join, consumed(legs), 2, run);
    expect(run.verdicts.map((v) => [v.pair.id, v.pair.state])).toEqual([
      ['u', 'evicted'],
      ['big', 'evicted'],
      ['w', 'paired'],
    ]);
    collect(run, join.closeIdle(endOf(legs)));
    const model = embeddedModel(c, legs, endOf(legs));
    expect(sequence(run.verdicts)).toEqual(model.resolutions);
  });

  it('splits the caps among the partitions, never below one pending leg', () => {
    const c = settings((cfg) => {
      cfg.join.maxPending = 10;
      cfg.join.maxRemembered = 7;
      cfg.budget.pendingBytes = 1_000_000;
    });
    expect(partitionShare(c, 4)).toEqual({ windowMs: WINDOW_MS, rememberMs: 3000, maxPending: 2, maxRemembered: 1, pendingBytes: 250_000 });
    expect(partitionShare(c, 100).maxPending).toBe(1);
  });

  it('skips a record that is not a leg, inside the tally’s offsets, and does not hold the committable offset back', () => {
    const join = newJoin(settings());
    const out = join.consume([
      { offset: 0, leg: null },
      { offset: 1, leg: { v: 1, arrivedUnixMs: T0, record: record('primary', { id: 'k' }) } },
      { offset: 2, leg: { v: 1, arrivedUnixMs: T0, record: record('shadow', { id: 'k' }) } },
    ]);
    expect(out.undecodable).toBe(1);
    expect(out.tally?.legs).toEqual({ partition: 0, fromOffset: 0, toOffset: 2 });
    expect(join.committableOffset).toBe(3);
  });

  it('rebuilt, produces no tally for legs a tally already counted, and skips offsets before its position', () => {
    const c = settings();
    const legs: ArrivedLeg[] = [
      { arrivedUnixMs: T0, record: record('primary', { id: 'm' }) },
      { arrivedUnixMs: T0 + 1, record: record('primary', { id: 'n' }) },
      { arrivedUnixMs: T0 + 2, record: record('shadow', { id: 'n' }) },
    ];
    const first = newJoin(c);
    const out = first.consume(consumed(legs));
    expect(first.committableOffset).toBe(0);
    const rebuilt = newJoin(c, 0, logged(out));
    const replay = rebuilt.consume(consumed(legs));
    expect(replay.tally).toBeNull();
    expect(replay.verdicts).toEqual([]);
    expect(rebuilt.pendingLegs('m')?.primary?.id).toBe('m');
    // A run overlapping what was consumed takes only what is new.
    const more = rebuilt.consume([
      ...consumed(legs).slice(1),
      { offset: 3, leg: { v: 1, arrivedUnixMs: T0 + 3, record: record('shadow', { id: 'm' }) } },
    ]);
    expect(more.verdicts.map((v) => [v.pair.id, v.pair.state])).toEqual([['m', 'paired']]);
    expect(more.tally).toMatchObject({ legs: { fromOffset: 3, toOffset: 3 }, records: { primary: 0, shadow: 1 } });
  });

  it('ignores the verdicts of other partitions when rebuilt', () => {
    const c = settings();
    // A previous release's tally (version 1) reads as one of this release's.
    const other: VerdictTopicRecord = {
      v: 1,
      kind: 'tally',
      legs: { partition: 3, fromOffset: 0, toOffset: 99 },
      records: { primary: 1, shadow: 0 },
      duplicates: 0,
      late: 0,
    };
    const join = newJoin(c, 0, [other]);
    const primary: IngestedRecord = record('primary', { id: 'z' });
    expect(join.consume([{ offset: 0, leg: { v: 1, arrivedUnixMs: T0, record: primary } }]).tally).not.toBeNull();
  });

  it('gives the report role the embedded report of triples: noise and regression findings, the gate, coverage and the secondary series', async () => {
    const c = settings((cfg) => {
      cfg.join.rememberMs = 1_000_000;
    });
    const legs: ArrivedLeg[] = [];
    let at = T0;
    const arrive = (record: IngestedRecord): void => {
      legs.push({ arrivedUnixMs: at, record });
      at += 7;
    };
    // 45 triples: the shadow of 10 sets `$.total` (a regression), every leg its own `$.meta.at` (noise).
    for (let n = 0; n < 45; n++) {
      const [primary, shadow, secondary] = noisyTriple(n, n % 9 === 0 || n % 9 === 4 ? '22222222' : '11111111');
      if (n % 2 === 0) [secondary, shadow, primary].forEach(arrive);
      else [primary, shadow, secondary].forEach(arrive);
    }
    // Announced secondaries that never come, one after its pair's window closed (late), a copy, orphans.
    for (const id of ['miss-0', 'miss-1']) triple(id).slice(0, 2).forEach(arrive);
    arrive(record('secondary', { id: 'orphan-0', path: '/users/5' }));
    arrive(noisyTriple(3)[2]);
    at += 2 * WINDOW_MS;
    arrive(triple('miss-0')[2]);
    arrive(record('secondary', { id: 'orphan-1' }));
    const join = newJoin(c);
    const run = emptyRun();
    feed(join, consumed(legs), 4, run);
    collect(run, join.closeIdle(at + WINDOW_MS));
    const model = embeddedModel(c, legs, at + WINDOW_MS);
    const got = await served(c, messagesOf(run.log), []);
    const route = model.report.routes.find((r) => r.route === 'GET /orders/{id}')!;
    expect(route.fields.find((f) => f.path === '$.meta.at')?.secondary?.finding).toBe('noise');
    expect(route.fields.find((f) => f.path === '$.total')?.secondary?.finding).toBe('regression');
    expect(route.gate).toMatchObject({ diverged: 10, noiseOnly: 35 });
    expect(model.report.totals.coverage).toMatchObject({ triples: 45, secondaryMissing: 2, secondaryOrphaned: 2 });
    expect(model.report.totals).toMatchObject({ records: { secondary: 49 }, duplicates: 1, late: 1 });
    expect(comparable(got.report)).toEqual(comparable(model.report));
    const embeddedText = await model.metrics.registry.metrics();
    const embeddedSeries = reportSeries(embeddedText);
    expect(got.series).toEqual(embeddedSeries);
    const secondarySeries = (text: string) => text.split('\n').filter((line) => line.startsWith('shadowdiff_collector_secondary_total{'));
    expect(secondarySeries(embeddedText)).toContain(
      'shadowdiff_collector_secondary_total{route="GET /users/{id}",outcome="secondary_orphaned"} 1',
    );
    expect(secondarySeries(got.metricsText)).toEqual(secondarySeries(embeddedText));
    expect(embeddedSeries['shadowdiff_collector_records_late_total{leg="secondary"}']).toBe(1);
  });

  it('judges a triple once its secondary joined, with the primary-vs-secondary diff, and holds the committable offset at its first leg', () => {
    const c = settings();
    const join = newJoin(c);
    const [primary, shadow, secondary] = triple('t', { status: 500 }, { fields: { '$.id': '00000099' } });
    const first = join.consume(
      consumed([
        { arrivedUnixMs: T0, record: primary },
        { arrivedUnixMs: T0 + 1, record: record('primary', { id: 'other' }) },
        { arrivedUnixMs: T0 + 2, record: shadow },
      ]),
    );
    // The pair waits for the secondary its primary announced, from offset 0 on.
    expect(first.verdicts).toEqual([]);
    expect(join.committableOffset).toBe(0);
    const out = join.consume([{ offset: 3, leg: { v: 1, arrivedUnixMs: T0 + 3, record: secondary } }]);
    expect(
      out.verdicts.map(({ pair, legs }) => [pair.id, pair.state, pair.diff?.diverged, pair.secondaryDiff?.diverged, legs.offset]),
    ).toEqual([['t', 'paired', true, true, 3]]);
    expect(out.verdicts[0]!.pair.secondary).toEqual(secondary);
    expect(out.tally).toMatchObject({ records: { primary: 0, shadow: 0, secondary: 1 } });
    expect(join.committableOffset).toBe(1);
  });

  it('judges a pair still missing its secondary as a pair when the window closes, a later secondary late, and a lone one orphaned', () => {
    const c = settings();
    const join = newJoin(c);
    const [primary, shadow, secondary] = triple('m');
    const run = emptyRun();
    collect(
      run,
      join.consume(
        consumed([
          { arrivedUnixMs: T0, record: primary },
          { arrivedUnixMs: T0 + 5, record: shadow },
          { arrivedUnixMs: T0 + 10, record: record('secondary', { id: 'alone', path: '/users/1' }) },
        ]),
      ),
    );
    expect(run.verdicts).toEqual([]);
    collect(run, join.closeIdle(T0 + 10 + WINDOW_MS));
    expect(run.verdicts.map(({ pair }) => [pair.id, pair.state, pair.secondary])).toEqual([['m', 'paired', null]]);
    expect(run.orphaned).toEqual(['GET /users/{id}']);
    expect(run.log.filter((r) => r.kind === 'orphaned')).toEqual([
      {
        v: ORPHANED_RECORD_VERSION,
        kind: 'orphaned',
        legs: { partition: 0, offset: 2 },
        id: 'alone',
        route: 'GET /users/{id}',
        resolvedAtUnixMs: T0 + 10 + WINDOW_MS,
      },
    ]);
    expect(join.committableOffset).toBe(3);
    // The secondary after its pair's window closed is late, a copy of the orphan a duplicate; so after a rebuild too.
    const late: ConsumedLeg[] = [
      { offset: 3, leg: { v: 1, arrivedUnixMs: T0 + 2000, record: secondary } },
      { offset: 4, leg: { v: 1, arrivedUnixMs: T0 + 2000, record: record('secondary', { id: 'alone', path: '/users/1' }) } },
    ];
    for (const after of [join.consume(late), newJoin(c, 3, run.log).consume(late)]) {
      expect(after.verdicts).toEqual([]);
      expect(after.orphaned).toEqual([]);
      expect(after.tally).toMatchObject({ duplicates: { secondary: 1 }, late: { secondary: 1 } });
    }
  });

  it('rebuilt while a triple waits, gets all its legs back from the committable offset and judges it once', () => {
    const c = settings();
    const [primary, shadow, secondary] = triple('w');
    const legs: ArrivedLeg[] = [
      { arrivedUnixMs: T0, record: primary },
      { arrivedUnixMs: T0 + 1, record: record('primary', { id: 'p' }) },
      { arrivedUnixMs: T0 + 2, record: record('shadow', { id: 'p' }) },
      { arrivedUnixMs: T0 + 3, record: shadow },
      { arrivedUnixMs: T0 + 4, record: secondary },
    ];
    const first = newJoin(c);
    const run = emptyRun();
    feed(first, consumed(legs).slice(0, 4), 4, run);
    expect(run.verdicts.map(({ pair }) => pair.id)).toEqual(['p']);
    expect(first.committableOffset).toBe(0);
    const rebuilt = newJoin(c, first.committableOffset, run.log);
    feed(rebuilt, consumed(legs), 5, run);
    expect(run.verdicts.map(({ pair }) => [pair.id, pair.secondary?.id])).toEqual([
      ['p', undefined],
      ['w', 'w'],
    ]);
    expect(run.totals.records).toEqual({ primary: 2, shadow: 2, secondary: 1 });
  });
});

/** A partition's log as the report role reads it. */
function messagesOf(log: readonly VerdictTopicRecord[]): Array<{ partition: number; offset: number; key: Buffer; value: Buffer }> {
  return log.map((record, offset) => {
    const key = record.kind === 'tally' ? `tally/${record.legs.partition}` : record.kind === 'orphaned' ? record.id : record.pair.id;
    return { partition: 0, offset, key: Buffer.from(key, 'utf8'), value: Buffer.from(JSON.stringify(record), 'utf8') };
  });
}
