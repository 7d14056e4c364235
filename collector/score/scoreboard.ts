// Per-route tallies of compared pairs and missing legs (report/ builds the report from them).
// Pure state, no I/O: plain numbers, plain objects and typed arrays, snapshot as plain JSON.
//
// Every table is bounded twice, in entries and in bytes, and keeps the heaviest entries rather
// than the first ones (space-saving, spaceSaving.ts): routes per collector (`maxRoutes`), fields
// per route (`maxFieldsPerRoute`), headers per route (the wire format's header limit), all
// within the tallies byte budget. A route that gives up its place is folded into `other`, so
// totals and coverage stay exact; a field that gives up its place leaves its weight to the
// newcomer as `countError`. Weights: a field counts the pairs it differed in; a route counts
// each resolved request once and a diverged pair twice, so a steadily diverging route holds its
// place against a flood of one-off routes.
//
// While no table overflows and the budget refuses nothing, the tallies are a function of the set
// of resolutions counted, not of their order (Kafka mode's report instances read partitions
// interleaved as they come): counts add up, examples are the latest by resolution time
// (examples.ts), samples are the bottom-k by a hash of the id (bottomK.ts). Once a table has
// overflowed, which keys it holds and their countError depend on the order (space-saving's
// bounds hold in every order).

import { LatencySketch } from './latencySketch.js';
import type { LatencySettings } from './latencyVerdict.js';
import { pairLatency } from './pairLatency.js';
import { PairReservoir, pairReservoirBytes, type PairReservoirSnapshot } from './pairReservoir.js';
import { mergeValueSample, restoredValueSample, sampleValue, type NoiseSettings, type ValueSample } from './noise.js';
import { SpaceSaving, type Weighted } from './spaceSaving.js';
import { CopiesOnWrite } from './copiesOnWrite.js';
import type { ByteBudget } from '../budget/byteBudget.js';
import { changeTallyBytes, fieldValueBytes, routeTallyBytes } from '../budget/sizeEstimates.js';
import { DIVERGENCE_KINDS, FALLBACK_REASONS, matchedWithinTolerance } from '../compare/divergence.js';
import type { FieldRows } from '../compare/fieldRows.js';
import { isError } from '../compare/pairCompare.js';
import { OTHER_ROUTE } from '../compare/routeTemplate.js';
import { RECORD_LIMITS } from '../ingest/recordLimits.js';
import { zeroCounts } from '../schema/countsBy.js';
import type { DiffChange, DivergenceKind, FallbackReason, FieldDiff, PairDiff } from '../compare/divergence.js';
import { magnitudeSnapshot } from './magnitudeSummary.js';
import {
  addValueParts,
  countMagnitude,
  hasValueParts,
  isValued,
  mergeValueParts,
  shownValues,
  type FieldValueParts,
} from './fieldValues.js';
import { keepExample, mergeExamples, restoredExamples, type Examples } from './examples.js';
import { idHash } from './idHash.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { CountsByLeg } from '../ingest/wireSchema.js';
import { SECONDARY_OUTCOMES, type MissingOutcome, type SecondaryOutcome } from '../join/outcomes.js';
import type { Resolution, SecondaryLeg } from './resolution.js';
import { secondaryComparable } from './secondaryComparable.js';

export interface ScoreboardSettings {
  examplesPerField: number;
  /** routes tracked apart; the rest is folded into `other` */
  maxRoutes: number;
  maxFieldsPerRoute: number;
  noise: NoiseSettings;
  /** how a field path becomes a report row (indices and id-like keys collapsed) */
  rows: FieldRows;
  /** the tallies' byte budget */
  budget: ByteBudget;
  /** the latency verdict's settings; `reservoirPairs` sizes each route's pair reservoir */
  latency: LatencySettings;
  /** keep the routes counted or evicted since the last takeChangedRoutes(), for a durable store's incremental checkpoint */
  trackChanges?: boolean;
}

/**
 * The routes that changed since the last takeChangedRoutes(): tallies to write, routes no longer
 * tracked to delete. `written` is read once; each tally is copied as it is read (or before it
 * changes, when that comes first), so reading it may take several turns of the event loop.
 */
export interface RouteChanges {
  written: Iterable<RouteTallySnapshot>;
  dropped: string[];
}

/** Counts, and the latest examples (examples.ts). */
export interface ChangeTally extends Weighted, Examples {
  divergentPairs: number;
  changed: number;
  missingInShadow: number;
  extraInShadow: number;
}

export interface FieldTally extends ChangeTally, FieldValueParts, ValueSample {
  path: string;
  /** sequence number of the last pair counted, so a field counts once per pair */
  lastPair: number;
}

export interface HeaderTally extends ChangeTally {
  name: string;
}

/** How often a field differed between the two primaries of a route's triples (primary vs secondary). */
export interface SecondaryFieldTally extends ChangeTally {
  path: string;
}

/** A route's secondary counts: one per secondary outcome (SECONDARY_OUTCOME_COUNT), and the fields' denominator. */
export interface SecondaryCounts {
  /** pairs judged with a comparable secondary (secondaryComparable.ts): the evidence */
  triples: number;
  secondaryMissing: number;
  /** pairs whose secondary came but was not comparable: judged as pairs */
  secondaryUnusable: number;
  secondaryOrphaned: number;
  /** triples whose primary and secondary were structurally compared (status classes equal, structural basis): the fields' denominator */
  secondaryCompared: number;
}

/**
 * What a route learned from secondaries, present once it counted a triple, an announced
 * secondary that never came, one not comparable, or an orphaned one: per field row and per header, how often the two
 * primaries differed. `signatures`: the diverged pairs counted since whose only differences were
 * fields and headers, by the sorted set of their field rows and header rows (SIGNATURE_HEADER and
 * the name), joined by "\n": what the gate needs to leave out the pairs that differed only in
 * what the secondary proved noise. At most MAX_SIGNATURES sets per route, within the tallies
 * budget; a pair of a set not held counts for the gate as diverged.
 */
export interface SecondaryTally extends SecondaryCounts {
  fields: SpaceSaving<SecondaryFieldTally>;
  headers: SpaceSaving<HeaderTally>;
  signatures: Map<string, number>;
}

/** A route's secondary tally as plain JSON. */
export interface SecondaryTallySnapshot extends SecondaryCounts {
  fields: Array<Omit<SecondaryFieldTally, 'exampleTimes'> & PreviousTallyParts>;
  headers: HeaderTallySnapshot[];
  signatures: Array<[rows: string, pairs: number]>;
}

/** How a header is named among a signature's rows (field rows begin with `$`). */
export const SIGNATURE_HEADER = 'header ';

/** Sets of field rows kept per route for the gate (SecondaryTally). */
export const MAX_SIGNATURES = 64;

/** The count of a route's SecondaryCounts that each secondary outcome (join/outcomes.ts) adds to: the report's coverage and the metrics' series. */
export const SECONDARY_OUTCOME_COUNT = {
  triple: 'triples',
  secondary_missing: 'secondaryMissing',
  secondary_unusable: 'secondaryUnusable',
  secondary_orphaned: 'secondaryOrphaned',
} as const satisfies Record<SecondaryOutcome, keyof SecondaryCounts>;
export type SecondaryOutcomeCount = (typeof SECONDARY_OUTCOME_COUNT)[SecondaryOutcome];
/** Those counts, in the order of SECONDARY_OUTCOMES (the report's coverage shows them so). */
export const SECONDARY_OUTCOME_COUNTS: readonly SecondaryOutcomeCount[] = SECONDARY_OUTCOMES.map(
  (outcome) => SECONDARY_OUTCOME_COUNT[outcome],
);

const SECONDARY_COUNTS: ReadonlyArray<keyof SecondaryCounts> = [...SECONDARY_OUTCOME_COUNTS, 'secondaryCompared'];

/**
 * What a snapshot of a release before order-independent tallies holds instead of example times
 * and sample keys: the examples ring's write position, and how many values were sampled
 * (`valueSample` then holds the distinct ones). Restored as examples.ts and noise.ts say.
 */
interface PreviousTallyParts {
  exampleTimes?: number[];
  nextExample?: number;
}

/** A header's tally as a snapshot holds it (this release's, or a previous one's). */
export type HeaderTallySnapshot = Omit<HeaderTally, 'exampleTimes'> & PreviousTallyParts;

/** A field's tally as a snapshot holds it (this release's, or a previous one's). */
export type FieldTallySnapshot = Omit<FieldTally, 'exampleTimes' | 'valueKeys'> &
  PreviousTallyParts & { valueKeys?: number[]; valueSamples?: number };

export interface RouteCounts {
  pairs: number;
  diverged: number;
  shadowMissing: number;
  primaryMissing: number;
  evicted: number;
  kinds: Record<DivergenceKind, number>;
  fallbackPairs: number;
  fallback: Record<FallbackReason, number>;
  structurallyCompared: number;
  primaryErrors: number;
  shadowErrors: number;
  shadowOnlyErrors: number;
  primaryOnlyErrors: number;
  /** pairs that differed only within tolerance (compare.tolerances); absent until the first */
  withinTolerance?: number;
}

export interface RouteTally extends RouteCounts, Weighted {
  route: string;
  primaryLatency: LatencySketch;
  shadowLatency: LatencySketch;
  /** a bounded uniform sample of the route's latency pairs, for the latency verdict's interval */
  latencyPairs: PairReservoir;
  fields: SpaceSaving<FieldTally>;
  /** fields that gave up their place in this route's table (to a heavier newcomer or to the byte budget) */
  fieldsEvicted: number;
  headers: SpaceSaving<HeaderTally>;
  /** estimated bytes of this tally and its fields and headers, as taken from the budget */
  bytes: number;
  /** present once the route counted anything of a secondary leg */
  secondary?: SecondaryTally;
}

export interface Totals {
  /** `secondary`: secondary legs received, present once one was */
  records: CountsByLeg;
  duplicates: number;
  late: number;
  rejectedRecords: number;
  /** legs that were waiting for their partner when the collector stopped (or crashed), over all restarts */
  lostOnRestart: number;
}

/** A route's tally as plain JSON: sketches as sparse buckets, tables as arrays. */
export interface RouteTallySnapshot
  extends Omit<RouteTally, 'primaryLatency' | 'shadowLatency' | 'latencyPairs' | 'fields' | 'headers' | 'bytes' | 'secondary'> {
  primaryLatency: Array<[number, number]>;
  shadowLatency: Array<[number, number]>;
  /** absent in snapshots of collectors before the latency verdict */
  latencyPairs?: PairReservoirSnapshot;
  fields: FieldTallySnapshot[];
  headers: HeaderTallySnapshot[];
  /** absent until the route counted a secondary leg (and in snapshots of releases before them) */
  secondary?: SecondaryTallySnapshot;
}

export interface ScoreboardSnapshot {
  pairSeq: number;
  totals: Totals;
  routes: RouteTallySnapshot[];
  /** routes folded into `other`, null before the first */
  other: RouteTallySnapshot | null;
  routeEvictions: number;
}

/** Where a resolution was counted, and the routes that gave up their place for it (already folded into `other`). */
export interface Placement {
  route: string;
  evictedRoutes: readonly RouteTally[];
}

const NOTHING_EVICTED: readonly RouteTally[] = Object.freeze([]);

/** The counts a route folds into `other`: every plain number and per-kind count of RouteCounts. */
const ROUTE_COUNTS = [
  'pairs',
  'diverged',
  'shadowMissing',
  'primaryMissing',
  'evicted',
  'fallbackPairs',
  'structurallyCompared',
  'primaryErrors',
  'shadowErrors',
  'shadowOnlyErrors',
  'primaryOnlyErrors',
] as const satisfies ReadonlyArray<keyof RouteCounts>;

export class Scoreboard {
  private readonly routes: SpaceSaving<RouteTally>;
  private other: RouteTally | null = null;
  private pairSeq = 0;
  /** routes that gave up their place and were folded into `other` */
  routeEvictions = 0;
  private evicted: RouteTally[] = [];
  readonly totals: Totals = { records: { primary: 0, shadow: 0 }, duplicates: 0, late: 0, rejectedRecords: 0, lostOnRestart: 0 };

  /**
   * With trackChanges: the tracked routes counted since the last takeChangedRoutes() (at most
   * maxRoutes, plus those a restore left to write or delete), the routes folded since that the
   * store holds (to delete), and the routes the store holds: those tracked at the last call. A
   * route that came and went between two calls leaves nothing, so a flood of distinct routes
   * costs no more than the table's cap.
   */
  private readonly changedRoutes: Set<string> | null;
  private readonly droppedRoutes = new Set<string>();
  private heldRoutes = new Set<string>();
  /** the tallies the last takeChangedRoutes() answered, until all are read: copied before they change */
  private copying: CopiesOnWrite<RouteTally, RouteTallySnapshot> | null = null;

  constructor(readonly settings: ScoreboardSettings) {
    this.routes = new SpaceSaving(settings.maxRoutes);
    this.changedRoutes = settings.trackChanges === true ? new Set() : null;
  }

  totalsSnapshot(): Totals {
    return { ...this.totals, records: { ...this.totals.records } };
  }

  get lastPairSeq(): number {
    return this.pairSeq;
  }

  otherSnapshot(): RouteTallySnapshot | null {
    return this.other === null ? null : routeSnapshot(this.other);
  }

  /**
   * The routes counted or evicted since the last call (only with trackChanges); `all`: every
   * tracked route is written (a full checkpoint). The tallies are copied as they are read, not
   * here: a checkpoint of 200 routes of 512 fields does not copy them all in one turn of the event loop.
   */
  takeChangedRoutes(options: { all: boolean } = { all: false }): RouteChanges {
    if (this.changedRoutes === null) return { written: [], dropped: [] };
    const tallies: RouteTally[] = options.all ? [...this.routes.values()] : [];
    for (const route of this.changedRoutes) {
      const tally = this.routes.get(route);
      if (tally === undefined) {
        if (this.heldRoutes.has(route)) this.droppedRoutes.add(route);
      } else if (!options.all) tallies.push(tally);
    }
    const dropped = [...this.droppedRoutes];
    this.changedRoutes.clear();
    this.droppedRoutes.clear();
    // Written whole or in part now, the store holds every route tracked (a failed write is followed by a full one).
    this.heldRoutes = new Set([...this.routes.values()].map((tally) => tally.route));
    // A copying still unread (a checkpoint that stopped half-way) has no reader any more.
    this.copying = new CopiesOnWrite(tallies, routeSnapshot);
    return { written: this.copying, dropped };
  }

  get routesTracked(): number {
    return this.routes.size;
  }

  snapshot(): ScoreboardSnapshot {
    return {
      pairSeq: this.pairSeq,
      totals: this.totalsSnapshot(),
      routes: [...this.routes.values()].map(routeSnapshot),
      other: this.otherSnapshot(),
      routeEvictions: this.routeEvictions,
    };
  }

  /** Replaces every tally with the snapshot's, within this board's caps and budget. */
  restore(snapshot: ScoreboardSnapshot): void {
    while (this.routes.popLightest() !== undefined);
    this.settings.budget.release(this.settings.budget.usedBytes);
    this.other = null;
    // Every restored route is written (or deleted, when smaller caps folded it) at the next checkpoint.
    this.changedRoutes?.clear();
    this.droppedRoutes.clear();
    for (const route of snapshot.routes) this.changedRoutes?.add(route.route);
    if (this.changedRoutes !== null) this.heldRoutes = new Set(this.changedRoutes);
    this.pairSeq = snapshot.pairSeq;
    this.routeEvictions = snapshot.routeEvictions;
    Object.assign(this.totals, snapshot.totals, { records: { ...snapshot.totals.records } });
    if (snapshot.other !== null) this.fold(this.restoredTally(snapshot.other));
    // Lightest first, so that caps smaller than before fold the lightest routes.
    for (const route of [...snapshot.routes].sort((a, b) => a.weight - b.weight)) {
      const restored = this.restoredTally(route);
      const placed = this.admitRoute(route.route, 0);
      if (placed === null) {
        this.fold(restored);
        continue;
      }
      this.mergeInto(placed, restored);
      placed.countError = restored.countError;
      this.routes.add(route.route, restored.weight - placed.weight);
    }
    this.evicted = [];
  }

  hasRoute(route: string): boolean {
    return route === OTHER_ROUTE ? this.other !== null : this.routes.get(route) !== undefined;
  }

  /** Tracked routes, then `other` when something was folded into it. */
  *routeTallies(): IterableIterator<RouteTally> {
    yield* this.routes.values();
    if (this.other !== null) yield this.other;
  }

  /** Counts one resolved request (resolved at `atUnixMs`); says under which route and which routes it displaced. */
  record(resolution: Resolution, atUnixMs: number): Placement {
    switch (resolution.kind) {
      case 'paired':
        return this.recordPair(
          resolution.route,
          resolution.primary.id,
          resolution.primary,
          resolution.shadow,
          resolution.diff,
          atUnixMs,
          resolution.secondary,
        );
      case 'missing':
        return this.recordMissing(resolution.route, resolution.outcome);
      case 'evicted':
        return this.recordEvicted(resolution.route);
    }
  }

  recordPair(
    route: string,
    id: string,
    primary: IngestedRecord,
    shadow: IngestedRecord,
    diff: PairDiff,
    atUnixMs: number,
    secondary?: SecondaryLeg,
  ): Placement {
    const tally = this.tally(route, diff.diverged ? 2 : 1);
    const pairSeq = ++this.pairSeq;
    const example: PairExample = { id, key: idHash(id), atUnixMs };
    tally.pairs++;
    const latency = pairLatency(primary, shadow);
    tally.primaryLatency.add(latency.primaryUs);
    tally.shadowLatency.add(latency.shadowUs);
    tally.latencyPairs.add(example.key, latency.primaryUs, latency.shadowUs);
    const primaryError = isError(primary);
    const shadowError = isError(shadow);
    if (primaryError) tally.primaryErrors++;
    if (shadowError) tally.shadowErrors++;
    if (shadowError && !primaryError) tally.shadowOnlyErrors++;
    if (primaryError && !shadowError) tally.primaryOnlyErrors++;
    if (diff.fallback !== null) {
      tally.fallbackPairs++;
      tally.fallback[diff.fallback]++;
    }
    // Field rates are about bodies of the same kind of response; a 200 vs 503 pair is already
    // reported as a status-class change and would only flood the field ranking.
    if (diff.basis !== 'body' && !diff.statusClassChanged) {
      tally.structurallyCompared++;
      for (const field of diff.fields) this.countField(tally, field, example, pairSeq);
      for (const field of diff.withinTolerance ?? []) this.countWithinTolerance(tally, field, example, pairSeq);
      if (matchedWithinTolerance(diff)) tally.withinTolerance = (tally.withinTolerance ?? 0) + 1;
    }
    for (const header of diff.headers) {
      const headerTally = this.entry(tally, tally.headers, header.name, (name) => ({ name, ...emptyChangeTally() }));
      if (headerTally !== undefined) {
        countChange(headerTally, header.change);
        keepExample(headerTally, id, atUnixMs, this.settings.examplesPerField);
      }
    }
    if (diff.diverged) {
      tally.diverged++;
      for (const kind of diff.kinds) tally.kinds[kind]++;
    }
    if (secondary !== undefined) this.countSecondary(tally, this.secondaryOf(tally), primary, secondary, example);
    if (tally.secondary !== undefined && diff.diverged) this.countSignature(tally, tally.secondary, diff);
    return this.placement(tally);
  }

  /** A secondary leg whose pair never came: counted under its route, judged with nothing. */
  recordOrphanedSecondary(route: string): Placement {
    const tally = this.tally(route, 1);
    this.secondaryOf(tally).secondaryOrphaned++;
    return this.placement(tally);
  }

  /**
   * A triple's primary-vs-secondary differences, per header and field row (once per triple), or
   * an announced secondary that never came, or one not comparable (secondaryComparable.ts): counted, no evidence.
   */
  private countSecondary(
    tally: RouteTally,
    learned: SecondaryTally,
    primary: IngestedRecord,
    secondary: NonNullable<SecondaryLeg> | null,
    example: PairExample,
  ): void {
    if (secondary === null) {
      learned.secondaryMissing++;
      return;
    }
    if (!secondaryComparable(primary, secondary.record)) {
      learned.secondaryUnusable++;
      return;
    }
    learned.triples++;
    const { diff } = secondary;
    for (const header of diff.headers) {
      const counted = this.entry(tally, learned.headers, header.name, (name) => ({ name, ...emptyChangeTally() }));
      if (counted === undefined) continue;
      countChange(counted, header.change);
      keepExample(counted, example.id, example.atUnixMs, this.settings.examplesPerField);
    }
    if (diff.basis === 'body' || diff.statusClassChanged) return;
    learned.secondaryCompared++;
    // Once per row and triple: fields that collapse into one row count once.
    const rows = new Set<string>();
    for (const field of diff.fields) {
      const row = this.settings.rows.row(field.path);
      if (rows.has(row)) continue;
      rows.add(row);
      const counted = this.entry(tally, learned.fields, row, (path) => ({ path, ...emptyChangeTally() }));
      if (counted === undefined) continue;
      countChange(counted, field.change);
      keepExample(counted, example.id, example.atUnixMs, this.settings.examplesPerField);
    }
  }

  /** A diverged pair of a route that learns from secondaries: its set of field and header rows, when fields and headers are all that differed. */
  private countSignature(tally: RouteTally, learned: SecondaryTally, diff: PairDiff): void {
    if (!diff.kinds.every((kind) => kind === 'field' || kind === 'header')) return;
    const rows = new Set(diff.headers.map((header) => `${SIGNATURE_HEADER}${header.name}`));
    for (const field of diff.fields) rows.add(this.settings.rows.row(field.path));
    if (rows.size > 0) this.addSignature(tally, learned, [...rows].sort().join('\n'), 1);
  }

  private addSignature(tally: RouteTally, learned: SecondaryTally, key: string, pairs: number): void {
    const held = learned.signatures.get(key);
    if (held !== undefined) {
      learned.signatures.set(key, held + pairs);
      return;
    }
    const bytes = changeTallyBytes(key, 0);
    if (learned.signatures.size >= MAX_SIGNATURES || !this.settings.budget.fits(bytes)) {
      if (learned.signatures.size < MAX_SIGNATURES) this.settings.budget.refusals++;
      return;
    }
    this.settings.budget.take(bytes);
    tally.bytes += bytes;
    learned.signatures.set(key, pairs);
  }

  /** The route's secondary tally, made at its first secondary leg. */
  private secondaryOf(tally: RouteTally): SecondaryTally {
    tally.secondary ??= {
      triples: 0,
      secondaryMissing: 0,
      secondaryUnusable: 0,
      secondaryOrphaned: 0,
      secondaryCompared: 0,
      fields: new SpaceSaving(this.settings.maxFieldsPerRoute),
      headers: new SpaceSaving(RECORD_LIMITS.maxHeaders),
      signatures: new Map(),
    };
    return tally.secondary;
  }

  recordMissing(route: string, outcome: MissingOutcome): Placement {
    const tally = this.tally(route, 1);
    if (outcome === 'shadow_missing') tally.shadowMissing++;
    else tally.primaryMissing++;
    return this.placement(tally);
  }

  recordEvicted(route: string): Placement {
    const tally = this.tally(route, 1);
    tally.evicted++;
    return this.placement(tally);
  }

  /** The `k` fields of a route that differ in most pairs (counted since tracked: the lower bound). */
  topFields(tally: RouteTally, k: number): FieldTally[] {
    return [...tally.fields.values()].sort((a, b) => b.divergentPairs - a.divergentPairs || a.path.localeCompare(b.path)).slice(0, k);
  }

  private placement(tally: RouteTally): Placement {
    const evictedRoutes = this.evicted.length === 0 ? NOTHING_EVICTED : this.evicted;
    if (this.evicted.length > 0) this.evicted = [];
    return { route: tally.route, evictedRoutes };
  }

  private countField(tally: RouteTally, diff: FieldDiff, example: PairExample, pairSeq: number): void {
    const field = this.fieldOfPair(tally, diff, pairSeq);
    if (field === undefined) return;
    countChange(field, diff.change);
    keepExample(field, example.id, example.atUnixMs, this.settings.examplesPerField, shownValues(diff));
    const value = diff.primary ?? diff.shadow;
    if (value !== null) sampleValue(field, value, example.key);
    countMagnitude(field, diff, example.id, example.key);
  }

  /** A difference within tolerance: counted and measured, but no divergence and no example. */
  private countWithinTolerance(tally: RouteTally, diff: FieldDiff, example: PairExample, pairSeq: number): void {
    const field = this.fieldOfPair(tally, diff, pairSeq);
    if (field === undefined) return;
    field.withinTolerance = (field.withinTolerance ?? 0) + 1;
    countMagnitude(field, diff, example.id, example.key);
  }

  /** The field's tally, unless it was counted for this pair already; with value parts when the diff brings values and the budget allows. */
  private fieldOfPair(tally: RouteTally, diff: FieldDiff, pairSeq: number): FieldTally | undefined {
    const row = this.settings.rows.row(diff.path);
    const existing = tally.fields.get(row);
    if (existing !== undefined && existing.lastPair === pairSeq) return undefined;
    const field = this.entry(tally, tally.fields, row, newFieldTally);
    if (field === undefined) return undefined;
    field.lastPair = pairSeq;
    if (isValued(diff) && !hasValueParts(field)) this.addValueParts(tally, field);
    return field;
  }

  private addValueParts(tally: RouteTally, field: FieldTally): void {
    const budget = this.settings.budget;
    const bytes = fieldValueBytes(this.settings.examplesPerField);
    if (!budget.fits(bytes)) {
      budget.refusals++;
      return;
    }
    budget.take(bytes);
    tally.bytes += bytes;
    addValueParts(field, field.examples.length);
  }

  /** What a field or header tally holds of the budget: its counts, and a field's value parts. */
  private tallyBytes(key: string, entry: ChangeTally): number {
    const examples = this.settings.examplesPerField;
    const bytes = changeTallyBytes(key, examples);
    return hasValueParts(entry) ? bytes + fieldValueBytes(examples) : bytes;
  }

  /**
   * The tracked entry for `key` in one of a route's tables with one more pair counted, admitted
   * when new: it takes the place of the table's lightest entry when the table is full, and bytes
   * come from `other`'s fields and headers first (what was folded there is the least telling),
   * then from the lightest route lighter than this one, then from this table's lightest
   * entries. Undefined when it cannot fit at all (counted as a budget refusal).
   */
  private entry<T extends ChangeTally>(tally: RouteTally, table: SpaceSaving<T>, key: string, create: (key: string) => T): T | undefined {
    const existing = table.get(key);
    if (existing !== undefined) {
      table.add(key, 1);
      return existing;
    }
    const budget = this.settings.budget;
    const bytes = changeTallyBytes(key, this.settings.examplesPerField);
    let error = 0;
    const dropLightest = (): boolean => {
      const lightest = table.popLightest();
      if (lightest === undefined) return false;
      const freed = this.tallyBytes(lightest[0], lightest[1]);
      budget.release(freed);
      tally.bytes -= freed;
      tally.fieldsEvicted++;
      error = Math.max(error, lightest[1].weight);
      return true;
    };
    if (table.full) dropLightest();
    while (!budget.fits(bytes)) {
      const lightestRoute = this.routes.lightest();
      if (tally !== this.other && this.reclaimFromOther()) {
        budget.evictions++;
      } else if (tally !== this.other && lightestRoute !== undefined && lightestRoute !== tally && lightestRoute.weight < tally.weight) {
        this.evictLightestRoute();
        budget.evictions++;
      } else if (dropLightest()) {
        budget.evictions++;
      } else {
        budget.refusals++;
        return undefined;
      }
    }
    budget.take(bytes);
    tally.bytes += bytes;
    const entry = create(key);
    entry.weight = error + 1;
    entry.countError = error;
    table.insert(key, entry);
    return entry;
  }

  /** The route's tally with `weight` counted; a route that cannot be tracked is counted in `other`. */
  private tally(route: string, weight: number): RouteTally {
    if (route === OTHER_ROUTE) return this.otherTally();
    const tracked = this.routes.get(route);
    if (tracked !== undefined) {
      this.beforeChange(tracked);
      this.routes.add(route, weight);
      this.changedRoutes?.add(route);
      return tracked;
    }
    const admitted = this.admitRoute(route, weight);
    if (admitted === null) return this.otherTally();
    this.changedRoutes?.add(route);
    return admitted;
  }

  /**
   * A tracked route's tally is about to change: a checkpoint still reading its copy gets it first.
   * (A route folded into `other` is not changed by the fold, and `other` is copied when a
   * checkpoint is taken; so only the tally a resolution is counted in needs this.)
   */
  private beforeChange(tally: RouteTally): void {
    if (this.copying === null) return;
    if (this.copying.done) this.copying = null;
    else this.copying.beforeChange(tally);
  }

  private admitRoute(route: string, weight: number): RouteTally | null {
    const budget = this.settings.budget;
    const bytes = this.routeBytes(route);
    let error = 0;
    if (this.routes.full) error = this.evictLightestRoute();
    while (!budget.fits(bytes)) {
      if (!this.reclaimFromOther()) {
        if (this.routes.size === 0) break;
        error = Math.max(error, this.evictLightestRoute());
      }
      budget.evictions++;
    }
    if (!budget.fits(bytes)) {
      budget.refusals++;
      return null;
    }
    budget.take(bytes);
    const tally = this.newTally(route, bytes);
    tally.weight = error + weight;
    tally.countError = error;
    this.routes.insert(route, tally);
    return tally;
  }

  /** Drops `other`'s lightest field, or else its lightest header; false when it has none. */
  private reclaimFromOther(): boolean {
    const other = this.other;
    if (other === null) return false;
    const dropped = other.fields.popLightest() ?? other.headers.popLightest();
    if (dropped === undefined) return false;
    const freed = this.tallyBytes(dropped[0], dropped[1]);
    this.settings.budget.release(freed);
    other.bytes -= freed;
    other.fieldsEvicted++;
    return true;
  }

  /** Folds the lightest route into `other`; returns its weight. */
  private evictLightestRoute(): number {
    const lightest = this.routes.popLightest();
    if (lightest === undefined) return 0;
    const [route, tally] = lightest;
    if (this.changedRoutes !== null) {
      this.changedRoutes.delete(route);
      if (this.heldRoutes.has(route)) this.droppedRoutes.add(route);
    }
    this.routeEvictions++;
    this.evicted.push(tally);
    this.settings.budget.release(tally.bytes);
    this.fold(tally);
    return tally.weight;
  }

  /** Adds a route's counts, latencies, fields and headers to `other`. */
  private fold(tally: RouteTally): void {
    this.mergeInto(this.otherTally(), tally);
  }

  private mergeInto(target: RouteTally, source: RouteTally): void {
    for (const name of ROUTE_COUNTS) target[name] += source[name];
    for (const kind of DIVERGENCE_KINDS) target.kinds[kind] += source.kinds[kind];
    for (const reason of FALLBACK_REASONS) target.fallback[reason] += source.fallback[reason];
    target.primaryLatency.merge(source.primaryLatency);
    target.shadowLatency.merge(source.shadowLatency);
    target.latencyPairs.merge(source.latencyPairs);
    target.fieldsEvicted += source.fieldsEvicted;
    if (source.withinTolerance !== undefined) target.withinTolerance = (target.withinTolerance ?? 0) + source.withinTolerance;
    for (const field of source.fields.values()) {
      const into = this.entry(target, target.fields, field.path, newFieldTally);
      if (into === undefined) continue;
      if (hasValueParts(field) && !hasValueParts(into)) this.addValueParts(target, into);
      mergeValueParts(into, field);
      mergeChanges(into, field, this.settings.examplesPerField);
      target.fields.add(field.path, field.weight - 1);
      into.lastPair = Math.max(into.lastPair, field.lastPair);
      mergeValueSample(into, field);
    }
    for (const header of source.headers.values()) {
      const into = this.entry(target, target.headers, header.name, (name) => ({ name, ...emptyChangeTally() }));
      if (into === undefined) continue;
      mergeChanges(into, header, this.settings.examplesPerField);
      target.headers.add(header.name, header.weight - 1);
    }
    if (source.secondary !== undefined) this.mergeSecondary(target, source.secondary);
  }

  private mergeSecondary(target: RouteTally, source: SecondaryTally): void {
    const learned = this.secondaryOf(target);
    for (const name of SECONDARY_COUNTS) learned[name] += source[name];
    for (const field of source.fields.values()) {
      const into = this.entry(target, learned.fields, field.path, (path) => ({ path, ...emptyChangeTally() }));
      if (into === undefined) continue;
      mergeChanges(into, field, this.settings.examplesPerField);
      learned.fields.add(field.path, field.weight - 1);
    }
    for (const header of source.headers.values()) {
      const into = this.entry(target, learned.headers, header.name, (name) => ({ name, ...emptyChangeTally() }));
      if (into === undefined) continue;
      mergeChanges(into, header, this.settings.examplesPerField);
      learned.headers.add(header.name, header.weight - 1);
    }
    for (const [key, pairs] of source.signatures) this.addSignature(target, learned, key, pairs);
  }

  /** `other` exists once something is folded into it; its bytes are taken whatever the budget says (one tally). */
  private otherTally(): RouteTally {
    if (this.other === null) {
      const bytes = this.routeBytes(OTHER_ROUTE);
      this.settings.budget.take(bytes);
      this.other = this.newTally(OTHER_ROUTE, bytes);
    }
    return this.other;
  }

  private restoredTally(snapshot: RouteTallySnapshot): RouteTally {
    const tally = this.newTally(snapshot.route, 0);
    const { fields, headers, primaryLatency, shadowLatency, latencyPairs, secondary, ...counts } = snapshot;
    Object.assign(tally, counts, { kinds: { ...counts.kinds }, fallback: { ...counts.fallback } });
    if (secondary !== undefined) tally.secondary = this.restoredSecondary(secondary);
    tally.primaryLatency = LatencySketch.fromSnapshot(primaryLatency);
    tally.shadowLatency = LatencySketch.fromSnapshot(shadowLatency);
    if (latencyPairs !== undefined) tally.latencyPairs = PairReservoir.fromSnapshot(latencyPairs, this.settings.latency.reservoirPairs);
    // Not accounted: a restored tally is only a source that mergeInto copies from. Heaviest
    // first, so that a smaller maxFieldsPerRoute than before keeps the heaviest.
    for (const field of [...fields].sort((a, b) => b.weight - a.weight))
      if (!tally.fields.full) tally.fields.insert(field.path, restoredField(field));
    for (const header of [...headers].sort((a, b) => b.weight - a.weight))
      if (!tally.headers.full) tally.headers.insert(header.name, restoredChangeTally(header));
    return tally;
  }

  /** Not accounted, as restoredTally's: a source mergeInto copies from. */
  private restoredSecondary(snapshot: SecondaryTallySnapshot): SecondaryTally {
    const { fields, headers, signatures, ...counts } = snapshot;
    const restored: SecondaryTally = {
      ...counts,
      fields: new SpaceSaving(this.settings.maxFieldsPerRoute),
      headers: new SpaceSaving(RECORD_LIMITS.maxHeaders),
      signatures: new Map(signatures),
    };
    for (const field of [...fields].sort((a, b) => b.weight - a.weight))
      if (!restored.fields.full) restored.fields.insert(field.path, restoredChangeTally(field));
    for (const header of [...headers].sort((a, b) => b.weight - a.weight))
      if (!restored.headers.full) restored.headers.insert(header.name, restoredChangeTally(header));
    return restored;
  }

  /** A route's tally with its pair reservoir, whose size the settings fix. */
  private routeBytes(route: string): number {
    return routeTallyBytes(route) + pairReservoirBytes(this.settings.latency.reservoirPairs);
  }

  private newTally(route: string, bytes: number): RouteTally {
    return {
      route,
      weight: 0,
      countError: 0,
      pairs: 0,
      diverged: 0,
      shadowMissing: 0,
      primaryMissing: 0,
      evicted: 0,
      kinds: zeroCounts(DIVERGENCE_KINDS),
      fallbackPairs: 0,
      fallback: zeroCounts(FALLBACK_REASONS),
      structurallyCompared: 0,
      primaryErrors: 0,
      shadowErrors: 0,
      shadowOnlyErrors: 0,
      primaryOnlyErrors: 0,
      primaryLatency: new LatencySketch(),
      shadowLatency: new LatencySketch(),
      latencyPairs: new PairReservoir(this.settings.latency.reservoirPairs),
      fields: new SpaceSaving(this.settings.maxFieldsPerRoute),
      fieldsEvicted: 0,
      headers: new SpaceSaving(RECORD_LIMITS.maxHeaders),
      bytes,
    };
  }
}

function routeSnapshot(tally: RouteTally): RouteTallySnapshot {
  const { fields, headers, primaryLatency, shadowLatency, latencyPairs, bytes: _bytes, secondary, ...counts } = tally;
  const snapshot: RouteTallySnapshot = {
    ...counts,
    kinds: { ...tally.kinds },
    fallback: { ...tally.fallback },
    primaryLatency: primaryLatency.snapshot(),
    shadowLatency: shadowLatency.snapshot(),
    latencyPairs: latencyPairs.snapshot(),
    fields: [...fields.values()].map(fieldSnapshot),
    headers: [...headers.values()].map(changeTallySnapshot),
  };
  if (secondary !== undefined) {
    const { fields: learnedFields, headers: learnedHeaders, signatures, ...secondaryCounts } = secondary;
    snapshot.secondary = {
      ...secondaryCounts,
      fields: [...learnedFields.values()].map(changeTallySnapshot),
      headers: [...learnedHeaders.values()].map(changeTallySnapshot),
      signatures: [...signatures],
    };
  }
  return snapshot;
}

function changeTallySnapshot<T extends ChangeTally>(tally: T): T {
  return { ...tally, examples: [...tally.examples], exampleTimes: [...tally.exampleTimes] };
}

function fieldSnapshot(field: FieldTally): FieldTally {
  const copy: FieldTally = {
    ...field,
    valueSample: [...field.valueSample],
    valueKeys: [...field.valueKeys],
    examples: [...field.examples],
    exampleTimes: [...field.exampleTimes],
  };
  if (field.magnitude !== undefined) copy.magnitude = magnitudeSnapshot(field.magnitude);
  if (field.exampleValues !== undefined) copy.exampleValues = field.exampleValues.map(([p, s]) => [p, s]);
  return copy;
}

/** A snapshot's field tally, live: a previous release's examples ring and value sample converted. */
function restoredField(snapshot: FieldTallySnapshot): FieldTally {
  const { nextExample: _next, valueSamples: _samples, exampleValues: _values, ...rest } = snapshot;
  return { ...rest, ...restoredExamples(snapshot), ...restoredValueSample(snapshot, snapshot.divergentPairs) };
}

/** A header's or secondary field's tally from a snapshot: a previous release's examples ring converted. */
function restoredChangeTally<T extends Omit<ChangeTally, 'exampleTimes'> & PreviousTallyParts>(
  snapshot: T,
): Omit<T, 'nextExample' | 'exampleTimes'> & Examples {
  const { nextExample: _next, exampleTimes: _times, ...rest } = snapshot;
  const { examples, exampleTimes } = restoredExamples(snapshot);
  return { ...rest, examples, exampleTimes };
}

/** The pair a field or header difference is an example of: its id, the id's sampling key, when it resolved. */
interface PairExample {
  id: string;
  key: number;
  atUnixMs: number;
}

/** Which count a change adds to. */
const CHANGE_COUNTERS = {
  changed: 'changed',
  missing_in_shadow: 'missingInShadow',
  extra_in_shadow: 'extraInShadow',
} as const satisfies Record<DiffChange, keyof ChangeTally>;

function newFieldTally(path: string): FieldTally {
  return { path, valueSample: [], valueKeys: [], lastPair: 0, ...emptyChangeTally() };
}

function emptyChangeTally(): ChangeTally {
  return { weight: 0, countError: 0, divergentPairs: 0, changed: 0, missingInShadow: 0, extraInShadow: 0, examples: [], exampleTimes: [] };
}

function countChange(tally: ChangeTally, change: DiffChange): void {
  tally.divergentPairs++;
  tally[CHANGE_COUNTERS[change]]++;
}

/** Adds `from`'s counts, error and examples (with their values) to `into`. */
function mergeChanges(
  into: ChangeTally & Pick<FieldTally, 'exampleValues'>,
  from: ChangeTally & Pick<FieldTally, 'exampleValues'>,
  maxExamples: number,
): void {
  into.countError += from.countError;
  into.divergentPairs += from.divergentPairs;
  into.changed += from.changed;
  into.missingInShadow += from.missingInShadow;
  into.extraInShadow += from.extraInShadow;
  mergeExamples(into, from, maxExamples);
}
