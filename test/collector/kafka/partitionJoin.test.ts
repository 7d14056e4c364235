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
import { TALLY_RECORD_VERSION, VERDICT_RECORD_VERSION, type VerdictTopicRecord } from '../../../collector/kafka/verdictRecord.js';
import { LEGS, type Leg } from '../../../collector/ingest/wireSchema.js';
import { zeroCounts } from '../../../collector/schema/countsBy.js';
import type { CollectorConfig, IngestedRecord } from '../../../collector/types.js';
import { config, record, T0 } from '../fixtures.js';
import { embeddedModel, type ArrivedLeg } from './joinModel.js';

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
  if (output.tally !== null) records.push({ v: TALLY_RECORD_VERSION, kind: 'tally', ...output.tally });
  return records;
}

interface Run {
  verdicts: VerdictBody[];
  log: VerdictTopicRecord[];
  totals: { records: Record<Leg, number>; duplicates: Record<Leg, number>; late: Record<Leg, number> };
}

function emptyRun(): Run {
  return { verdicts: [], log: [], totals: { records: zeroCounts(LEGS), duplicates: zeroCounts(LEGS), late: zeroCounts(LEGS) } };
}

function collect(run: Run, output: JoinOutput): void {
  run.verdicts.push(...output.verdicts);
  run.log.push(...logged(output));
  if (output.tally !== null) {
    for (const leg of LEGS)
      for (const count of ['records', 'duplicates', 'late'] as const) run.totals[count][leg] += output.tally[count][leg];
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

/** Random traffic: a few ids, both legs in any order, copies, some divergent, arrivals moving forward (some past the window). */
const traffic = fc
  .array(
    fc.record({
      id: fc.integer({ min: 0, max: 9 }),
      leg: fc.constantFrom('primary' as const, 'shadow' as const),
      status: fc.constantFrom(200, 200, 200, 500),
      stepMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 900 }), fc.constant(1500)),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((events) => {
    let at = T0;
    return events.map(({ id, leg, status, stepMs }): ArrivedLeg => {
      at += stepMs;
      return { arrivedUnixMs: at, record: record(leg, { id: `req-${id}`, status }) };
    });
  });

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
        expect(run.totals).toEqual(model.totals);
        expect(join.pendingCount).toBe(0);
      }),
      { numRuns: 300 },
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
        const judged = new Set(run.verdicts.map((verdict) => verdict.pair.id));
        for (const leg of legs.slice(0, committed)) expect(judged.has(leg.record.id)).toBe(true);

        const second = newJoin(c, committed, run.log);
        expect(second.position).toBe(committed);
        feed(second, all.slice(committed), chunk, run);
        collect(run, second.closeIdle(endOf(legs)));
        const model = embeddedModel(c, legs, endOf(legs));
        expect(sequence(run.verdicts)).toEqual(model.resolutions);
        // A verdict does not say which late legs followed it: after a rebuild, a copy of a late
        // leg consumed before the committed offset counts as late rather than as a duplicate (of the same leg).
        expect(run.totals.records).toEqual(model.totals.records);
        for (const leg of LEGS)
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
      v: VERDICT_RECORD_VERSION,
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

  it('judges pairs only: a secondary leg is skipped (counted with undecodable records) and a primary announcing one is paired at once', () => {
    const join = newJoin(settings());
    const primary = record('primary', { id: 'x', withSecondary: true });
    const legs: ArrivedLeg[] = [
      { arrivedUnixMs: T0, record: primary },
      { arrivedUnixMs: T0 + 1, record: record('secondary', { id: 'x' }) },
      { arrivedUnixMs: T0 + 2, record: record('shadow', { id: 'x' }) },
    ];
    const output = join.consume(consumed(legs));
    expect(output.undecodable).toBe(1);
    expect(output.verdicts.map(({ pair }) => [pair.id, pair.state, 'secondary' in pair])).toEqual([['x', 'paired', false]]);
    expect(output.verdicts[0]!.pair.primary).toEqual(record('primary', { id: 'x' }));
    expect(output.tally).toMatchObject({ records: { primary: 1, shadow: 1 }, duplicates: { primary: 0, shadow: 0 } });
    expect(join.pendingCount).toBe(0);
  });
});
