// Per-route tallies of compared pairs and missing legs (report/ builds the report from them).
// Pure state, no I/O: plain numbers, Maps of plain objects and typed arrays, snapshot as plain JSON.

import { LatencySketch } from './latencySketch.js';
import { sampleValue, type NoiseSettings } from './noise.js';
import { DIVERGENCE_KINDS, FALLBACK_REASONS } from '../compare/divergence.js';
import { isError } from '../compare/pairCompare.js';
import { zeroCounts } from '../schema/countsBy.js';
import type { DiffChange, DivergenceKind, FallbackReason, PairDiff } from '../compare/divergence.js';
import type { DigestRecord, Leg } from '../ingest/wireSchema.js';
import type { MissingOutcome } from '../join/outcomes.js';
import type { Resolution } from './resolution.js';

export interface ScoreboardSettings {
  examplesPerField: number;
  maxFieldsPerRoute: number;
  noise: NoiseSettings;
}

export interface ChangeTally {
  divergentPairs: number;
  changed: number;
  missingInShadow: number;
  extraInShadow: number;
  /** ring of recent example correlation ids; `nextExample` is the write position */
  examples: string[];
  nextExample: number;
}

export interface FieldTally extends ChangeTally {
  path: string;
  valueSample: number[];
  valueSamples: number;
  /** sequence number of the last pair counted, so a field counts once per pair */
  lastPair: number;
}

export interface HeaderTally extends ChangeTally {
  name: string;
}

export interface RouteTally {
  route: string;
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
  primaryLatency: LatencySketch;
  shadowLatency: LatencySketch;
  fields: Map<string, FieldTally>;
  fieldsOverflowed: number;
  headers: Map<string, HeaderTally>;
}

export interface Totals {
  records: Record<Leg, number>;
  duplicates: number;
  late: number;
  rejectedRecords: number;
  /** legs that were waiting for their partner when the collector stopped (or crashed), over all restarts */
  lostOnRestart: number;
}

/** A route's tally as plain JSON: sketches as sparse buckets, maps as arrays. */
export interface RouteTallySnapshot extends Omit<RouteTally, 'primaryLatency' | 'shadowLatency' | 'fields' | 'headers'> {
  primaryLatency: Array<[number, number]>;
  shadowLatency: Array<[number, number]>;
  fields: FieldTally[];
  headers: HeaderTally[];
}

export interface ScoreboardSnapshot {
  pairSeq: number;
  totals: Totals;
  routes: RouteTallySnapshot[];
}

export class Scoreboard {
  private readonly routes = new Map<string, RouteTally>();
  private pairSeq = 0;
  readonly totals: Totals = { records: { primary: 0, shadow: 0 }, duplicates: 0, late: 0, rejectedRecords: 0, lostOnRestart: 0 };

  /** Routes counted since the last takeChangedRoutes(), for a durable store's incremental checkpoint; bounded by routes.max. */
  private readonly changedRoutes = new Set<string>();

  constructor(readonly settings: ScoreboardSettings) {}

  snapshot(): ScoreboardSnapshot {
    return { pairSeq: this.pairSeq, totals: this.totalsSnapshot(), routes: [...this.routes.values()].map(tallySnapshot) };
  }

  totalsSnapshot(): Totals {
    return { ...this.totals, records: { ...this.totals.records } };
  }

  get lastPairSeq(): number {
    return this.pairSeq;
  }

  /** The tallies of the routes counted since the last call. */
  takeChangedRoutes(): RouteTallySnapshot[] {
    const changed: RouteTallySnapshot[] = [];
    for (const route of this.changedRoutes) {
      const tally = this.routes.get(route);
      if (tally !== undefined) changed.push(tallySnapshot(tally));
    }
    this.changedRoutes.clear();
    return changed;
  }

  /** Replaces every tally with the snapshot's; the ranking and examples come back as they were. */
  restore(snapshot: ScoreboardSnapshot): void {
    this.routes.clear();
    this.changedRoutes.clear();
    this.pairSeq = snapshot.pairSeq;
    Object.assign(this.totals, snapshot.totals, { records: { ...snapshot.totals.records } });
    for (const route of snapshot.routes) {
      this.routes.set(route.route, {
        ...route,
        primaryLatency: LatencySketch.fromSnapshot(route.primaryLatency),
        shadowLatency: LatencySketch.fromSnapshot(route.shadowLatency),
        fields: new Map(route.fields.map((field) => [field.path, field])),
        headers: new Map(route.headers.map((header) => [header.name, header])),
      });
    }
  }

  hasRoute(route: string): boolean {
    return this.routes.has(route);
  }

  routeTallies(): IterableIterator<RouteTally> {
    return this.routes.values();
  }

  /** Counts one resolved request. */
  record(resolution: Resolution): void {
    switch (resolution.kind) {
      case 'paired':
        return this.recordPair(resolution.route, resolution.primary.id, resolution.primary, resolution.shadow, resolution.diff);
      case 'missing':
        return this.recordMissing(resolution.route, resolution.outcome);
      case 'evicted':
        return this.recordEvicted(resolution.route);
    }
  }

  recordPair(route: string, id: string, primary: DigestRecord, shadow: DigestRecord, diff: PairDiff): void {
    const tally = this.tally(route);
    const pairSeq = ++this.pairSeq;
    tally.pairs++;
    tally.primaryLatency.add(primary.lastByteUs);
    tally.shadowLatency.add(shadow.lastByteUs);
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
    if (diff.basis === 'fields' && !diff.statusClassChanged) {
      tally.structurallyCompared++;
      for (const field of diff.fields) this.countField(tally, field.path, field.change, field.primary ?? field.shadow, id, pairSeq);
    }
    for (const header of diff.headers) {
      let headerTally = tally.headers.get(header.name);
      if (headerTally === undefined) {
        headerTally = { name: header.name, ...emptyChangeTally() };
        tally.headers.set(header.name, headerTally);
      }
      countChange(headerTally, header.change, id, this.settings.examplesPerField);
    }
    if (!diff.diverged) return;
    tally.diverged++;
    for (const kind of diff.kinds) tally.kinds[kind]++;
  }

  recordMissing(route: string, outcome: MissingOutcome): void {
    const tally = this.tally(route);
    if (outcome === 'shadow_missing') tally.shadowMissing++;
    else tally.primaryMissing++;
  }

  recordEvicted(route: string): void {
    this.tally(route).evicted++;
  }

  /** The `k` fields of a route that differ in most pairs. */
  topFields(tally: RouteTally, k: number): FieldTally[] {
    return [...tally.fields.values()]
      .sort((a, b) => b.divergentPairs - a.divergentPairs || a.path.localeCompare(b.path))
      .slice(0, k);
  }

  private countField(tally: RouteTally, path: string, change: DiffChange, value: string | null, id: string, pairSeq: number): void {
    const key = collapseIndices(path);
    let field = tally.fields.get(key);
    if (field === undefined) {
      if (tally.fields.size >= this.settings.maxFieldsPerRoute) {
        tally.fieldsOverflowed++;
        return;
      }
      field = { path: key, valueSample: [], valueSamples: 0, lastPair: 0, ...emptyChangeTally() };
      tally.fields.set(key, field);
    }
    if (field.lastPair === pairSeq) return;
    field.lastPair = pairSeq;
    countChange(field, change, id, this.settings.examplesPerField);
    if (value !== null) sampleValue(field, value);
  }

  private tally(route: string): RouteTally {
    this.changedRoutes.add(route);
    let tally = this.routes.get(route);
    if (tally === undefined) {
      tally = {
        route,
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
        fields: new Map(),
        fieldsOverflowed: 0,
        headers: new Map(),
      };
      this.routes.set(route, tally);
    }
    return tally;
  }
}

/** Which count a change adds to. */
const CHANGE_COUNTERS = {
  changed: 'changed',
  missing_in_shadow: 'missingInShadow',
  extra_in_shadow: 'extraInShadow',
} as const satisfies Record<DiffChange, keyof ChangeTally>;

function emptyChangeTally(): ChangeTally {
  return { divergentPairs: 0, changed: 0, missingInShadow: 0, extraInShadow: 0, examples: [], nextExample: 0 };
}

function countChange(tally: ChangeTally, change: DiffChange, id: string, maxExamples: number): void {
  tally.divergentPairs++;
  tally[CHANGE_COUNTERS[change]]++;
  if (maxExamples === 0) return;
  // Keep the most recent examples: they are the ones the pair store still holds.
  tally.examples[tally.nextExample] = id;
  tally.nextExample = (tally.nextExample + 1) % maxExamples;
}

/**
 * `$.items[3].price` -> `$.items[*].price`, so a field is one row however long the array is.
 * Quoted keys (`$["a[1]"]`) are left alone.
 */
export function collapseIndices(path: string): string {
  if (!path.includes('[')) return path;
  let out = '';
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '[' && path[i + 1] === '"') {
      const end = closingQuote(path, i + 2);
      out += path.slice(i, end + 2);
      i = end + 2;
    } else if (c === '[') {
      let j = i + 1;
      while (j < path.length && path.charCodeAt(j) >= 48 && path.charCodeAt(j) <= 57) j++;
      if (j > i + 1 && path[j] === ']') {
        out += '[*]';
        i = j + 1;
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index of the `"` that closes a quoted key starting at `from` (escapes honoured), or the end. */
function closingQuote(path: string, from: number): number {
  for (let i = from; i < path.length; i++) {
    if (path[i] === '\\') i++;
    else if (path[i] === '"') return i;
  }
  return path.length;
}

function tallySnapshot(tally: RouteTally): RouteTallySnapshot {
  return {
    ...tally,
    kinds: { ...tally.kinds },
    fallback: { ...tally.fallback },
    primaryLatency: tally.primaryLatency.snapshot(),
    shadowLatency: tally.shadowLatency.snapshot(),
    fields: [...tally.fields.values()].map((field) => ({ ...field, valueSample: [...field.valueSample], examples: [...field.examples] })),
    headers: [...tally.headers.values()].map((header) => ({ ...header, examples: [...header.examples] })),
  };
}
