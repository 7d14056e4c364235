// The join of one legs partition, without I/O: legs in (in offset order), verdicts and tallies
// out, as the embedded pipeline's join → compare steps would resolve the same legs (any order,
// duplicates, late legs, caps and eviction: the collector's JoinWindow and PairComparer).
//
// Its clock is event time: the highest `arrivedUnixMs` of the partition's legs consumed so far,
// so a backlog consumed late (after a worker restart) judges as it would have live; the worker
// moves it on by wall clock only while the partition is caught up (closeIdle).
//
// It is rebuilt from the log: the verdicts and tallies of its verdicts partition (from a point
// covering the remembered horizon) say which ids are judged and which legs were counted; the legs
// from the committed offset on are then consumed again. A leg of a judged id meets its tombstone
// (duplicate or late, as it would have live) and so is never judged twice; a leg already counted
// by a tally (offset ≤ countedThrough) is not counted again; every other leg is consumed as new.
// The committable offset is the first leg still pending (or the next offset): every leg before it
// belongs to an id whose verdict was produced, so nothing is lost when a worker restarts there.
//
// Triples are judged as the embedded pipeline judges them: a pair whose primary announced a
// secondary waits for it (its verdict carries the secondary and their diff), or is judged as a
// pair missing it when its window closes (`secondary: null`); a lone secondary becomes an
// `orphaned` record. A triple's legs wait as one entry, from the offset of its first leg, so
// the committable offset never passes a leg of it and a rebuild gets all of them back.

import { ByteBudget } from '../budget/byteBudget.js';
import type { OrphanedSecondary, PairComparer } from '../compare/pairComparer.js';
import { LEGS, type WireLeg } from '../ingest/wireSchema.js';
import { InsertionOrderedMap } from '../join/insertionOrderedMap.js';
import { JoinWindow, legBit, type ClosedWindow, type PendingLegs, type RememberedId } from '../join/joinWindow.js';
import type { PairView } from '../report/reportSchema.js';
import { zeroCounts } from '../schema/countsBy.js';
import { pairViewOf, type Resolution } from '../score/resolution.js';
import type { CollectorConfig } from '../types.js';
import type { LegRecord } from './legRecord.js';
import type { Orphaned, Tally, Verdict, VerdictTopicRecord } from './verdictRecord.js';

/** A partition's share of the collector's join caps (they bound the whole process in embedded mode). */
export interface PartitionJoinSettings {
  windowMs: number;
  rememberMs: number;
  maxPending: number;
  maxRemembered: number;
  pendingBytes: number;
}

/**
 * The caps split evenly among the legs topic's partitions, so what a partition evicts does not
 * depend on which worker owns it or how many partitions that worker has: its replay after a
 * move evicts what its first owner did.
 */
export function partitionShare(config: Pick<CollectorConfig, 'join' | 'budget'>, partitions: number): PartitionJoinSettings {
  const share = (total: number, minimum: number): number => Math.max(minimum, Math.floor(total / partitions));
  return {
    windowMs: config.join.windowMs,
    rememberMs: config.join.rememberMs,
    maxPending: share(config.join.maxPending, 1),
    maxRemembered: share(config.join.maxRemembered, 0),
    pendingBytes: share(config.budget.pendingBytes, 1),
  };
}

/** One consumed record of the legs partition; `leg` null when it could not be decoded (skipped, counted apart). */
export interface ConsumedLeg {
  offset: number;
  leg: LegRecord | null;
}

export type TallyBody = Omit<Tally, 'v' | 'kind'>;
export type VerdictBody = Omit<Verdict, 'v' | 'kind'>;
export type OrphanedBody = Omit<Orphaned, 'v' | 'kind'>;

/** What consuming a run of legs (or closing idle windows) produced: to be made durable before the offset moves past them. */
export interface JoinOutput {
  verdicts: VerdictBody[];
  /** secondary legs whose pair never came */
  orphaned: OrphanedBody[];
  /** null when no leg of the run was new to the tallies (a replay of counted legs) */
  tally: TallyBody | null;
  /** records of the run that are not leg records (skipped) */
  undecodable: number;
}

/** What the verdicts partition says about the legs partition, for a rebuild. */
export interface PartitionHistory {
  /** the consumer group's committed offset on the legs partition (0 when none) */
  committedOffset: number;
  /** the verdicts partition's records from a point covering the remembered horizon, in log order */
  records: readonly VerdictTopicRecord[];
}

export class PartitionJoin {
  private readonly window: JoinWindow;
  /** pending ids with the offset of their first leg, oldest first: the front is the committable offset */
  private readonly pendingOffsets = new InsertionOrderedMap<number>();
  private clock = 0;
  private nextOffset: number;
  /** the highest legs offset a tally already counts */
  private countedThrough: number;

  constructor(
    readonly partition: number,
    settings: PartitionJoinSettings,
    private readonly comparer: PairComparer,
    history: PartitionHistory,
  ) {
    this.window = new JoinWindow(settings, new ByteBudget(settings.pendingBytes));
    this.nextOffset = history.committedOffset;
    // Everything before the committed offset was consumed, and its tally made durable first.
    this.countedThrough = history.committedOffset - 1;
    const judged = new Map<string, RememberedId>();
    for (const record of history.records) {
      if (record.legs.partition !== partition) continue;
      if (record.kind === 'tally') {
        this.countedThrough = Math.max(this.countedThrough, record.legs.toOffset);
        continue;
      }
      if (record.kind === 'orphaned') {
        judged.set(record.id, [record.id, legBit('secondary'), record.resolvedAtUnixMs + settings.rememberMs]);
        continue;
      }
      const { pair } = record;
      const legs =
        (pair.primary === null ? 0 : legBit('primary')) |
        (pair.shadow === null ? 0 : legBit('shadow')) |
        (pair.secondary == null ? 0 : legBit('secondary'));
      judged.set(pair.id, [pair.id, legs, (pair.resolvedAtUnixMs ?? 0) + settings.rememberMs]);
    }
    // Tombstones are forgotten oldest first: their order must be their deadlines' order.
    this.window.restore(
      [...judged.values()].sort((a, b) => a[2] - b[2]),
      [],
    );
  }

  /** Where the consumer group may commit: the first leg still pending, else the next offset to consume. */
  get committableOffset(): number {
    return this.pendingOffsets.oldest()?.[1] ?? this.nextOffset;
  }

  /** The next offset this join expects. */
  get position(): number {
    return this.nextOffset;
  }

  get pendingCount(): number {
    return this.window.pendingCount;
  }

  /** The partition's event time: the highest arrival consumed, or the idle wall clock. */
  get eventTime(): number {
    return this.clock;
  }

  /** Consumes a run of consecutive legs (offsets from `position` on; earlier ones are skipped as already consumed). */
  consume(legs: readonly ConsumedLeg[]): JoinOutput {
    const output: JoinOutput = { verdicts: [], orphaned: [], tally: null, undecodable: 0 };
    const tally: TallyBody = {
      legs: { partition: this.partition, fromOffset: 0, toOffset: 0 },
      records: zeroCounts(LEGS),
      duplicates: zeroCounts(LEGS),
      late: zeroCounts(LEGS),
    };
    for (const { offset, leg } of legs) {
      if (offset < this.nextOffset) continue;
      this.nextOffset = offset + 1;
      const counted = offset > this.countedThrough;
      if (counted && output.tally === null) {
        output.tally = tally;
        tally.legs.fromOffset = offset;
      }
      if (counted) {
        tally.legs.toOffset = offset;
        this.countedThrough = offset;
      }
      if (leg === null) {
        output.undecodable++;
        continue;
      }
      const now = Math.max(this.clock, leg.arrivedUnixMs);
      this.clock = now;
      this.closed(this.window.expire(now), now, offset, output);
      const { record } = leg;
      if (counted) countLeg(tally.records, record.leg);
      const event = this.window.offer(record, now);
      switch (event.kind) {
        case 'waiting':
          // A triple's later legs wait with its first: the committable offset stays at that one.
          if (this.pendingOffsets.get(record.id) === undefined) this.pendingOffsets.set(record.id, offset);
          for (const evicted of event.evicted)
            this.judge({ kind: 'evicted', route: this.comparer.route(evicted), record: evicted }, now, offset, output);
          if (event.closed !== undefined) this.closed(event.closed, now, offset, output);
          break;
        case 'paired':
          this.judge(this.comparer.judge(event.primary, event.shadow, event.secondary), now, offset, output);
          break;
        case 'duplicate':
          if (counted) countLeg(tally.duplicates, record.leg);
          break;
        case 'late':
          if (counted) countLeg(tally.late, record.leg);
          break;
      }
    }
    return output;
  }

  /**
   * Moves the clock to `now` (the worker's wall clock less an allowance, while the partition is
   * caught up and idle) and closes the windows that ended by then. The verdicts name the last
   * consumed leg: nothing later was read when they were decided.
   */
  closeIdle(now: number): JoinOutput {
    const output: JoinOutput = { verdicts: [], orphaned: [], tally: null, undecodable: 0 };
    if (now > this.clock) {
      this.clock = now;
      this.closed(this.window.expire(now), now, this.nextOffset - 1, output);
    }
    return output;
  }

  /** The legs waiting for a partner, for a pair lookup; undefined when `id` is not pending here. */
  pendingLegs(id: string): PendingLegs | undefined {
    return this.window.pendingLegs(id);
  }

  private closed(windows: readonly ClosedWindow[], now: number, offset: number, output: JoinOutput): void {
    for (const window of windows) this.judge(this.comparer.closed(window), now, offset, output);
  }

  private judge(judged: Resolution | OrphanedSecondary, now: number, offset: number, output: JoinOutput): void {
    const legs = { partition: this.partition, offset };
    if (judged.kind === 'orphaned') {
      const { id } = judged.record;
      this.pendingOffsets.delete(id);
      output.orphaned.push({ legs, id, route: judged.route, resolvedAtUnixMs: now });
      return;
    }
    const pair: PairView = pairViewOf(judged, now);
    this.pendingOffsets.delete(pair.id);
    output.verdicts.push({ legs, pair });
  }
}

/** One more leg of `leg` (a tally's `secondary` is there only once there was one). */
function countLeg(counts: TallyBody['records'], leg: WireLeg): void {
  counts[leg] = (counts[leg] ?? 0) + 1;
}
