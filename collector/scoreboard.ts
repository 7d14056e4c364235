// Per-route tallies of compared pairs and missing legs, and the ranked report built from them.
// Pure state, no I/O: plain numbers, Maps of plain objects and typed arrays, so a later issue can
// snapshot it (SQLite) without changing how it is fed.

import { LatencySketch } from './latencySketch.js';
import { noiseReason, sampleValue, type NoiseSettings } from './noise.js';
import { isError } from './pairCompare.js';
import type {
  Coverage,
  DiffChange,
  DigestRecord,
  DivergenceKind,
  FallbackReason,
  FieldReport,
  HeaderReport,
  Leg,
  LatencyQuantilesMs,
  MissingOutcome,
  PairDiff,
  RouteReport,
} from './types.js';
import { wilson } from './wilson.js';

export interface ScoreboardSettings {
  examplesPerField: number;
  maxFieldsPerRoute: number;
  noise: NoiseSettings;
}

interface ChangeTally {
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

  constructor(private readonly settings: ScoreboardSettings) {}

  snapshot(): ScoreboardSnapshot {
    const routes: RouteTallySnapshot[] = [];
    for (const tally of this.routes.values()) {
      routes.push({
        ...tally,
        kinds: { ...tally.kinds },
        fallback: { ...tally.fallback },
        primaryLatency: tally.primaryLatency.snapshot(),
        shadowLatency: tally.shadowLatency.snapshot(),
        fields: [...tally.fields.values()].map((field) => ({ ...field, valueSample: [...field.valueSample], examples: [...field.examples] })),
        headers: [...tally.headers.values()].map((header) => ({ ...header, examples: [...header.examples] })),
      });
    }
    return { pairSeq: this.pairSeq, totals: { ...this.totals, records: { ...this.totals.records } }, routes };
  }

  /** Replaces every tally with the snapshot's; the ranking and examples come back as they were. */
  restore(snapshot: ScoreboardSnapshot): void {
    this.routes.clear();
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

  /** Routes ranked by the lower bound of their divergence interval: a sure 5% outranks a lucky 1 of 1. */
  routeReports(top: number, only?: string): RouteReport[] {
    const reports: RouteReport[] = [];
    for (const tally of this.routes.values()) {
      if (only === undefined || tally.route === only) reports.push(this.routeReport(tally, top));
    }
    return reports.sort(
      (a, b) =>
        (b.divergenceCi95?.low ?? -1) - (a.divergenceCi95?.low ?? -1) ||
        b.diverged - a.diverged ||
        b.pairs - a.pairs ||
        a.route.localeCompare(b.route),
    );
  }

  /** The `k` fields of a route that differ in most pairs. */
  topFields(tally: RouteTally, k: number): FieldTally[] {
    return [...tally.fields.values()]
      .sort((a, b) => b.divergentPairs - a.divergentPairs || a.path.localeCompare(b.path))
      .slice(0, k);
  }

  coverage(tallies: Iterable<Pick<RouteTally, 'pairs' | 'shadowMissing' | 'primaryMissing' | 'evicted'>>): Coverage {
    const sum = { pairs: 0, shadowMissing: 0, primaryMissing: 0, evicted: 0 };
    for (const t of tallies) {
      sum.pairs += t.pairs;
      sum.shadowMissing += t.shadowMissing;
      sum.primaryMissing += t.primaryMissing;
      sum.evicted += t.evicted;
    }
    const withPrimary = sum.pairs + sum.shadowMissing;
    return { ...sum, shadowCoverage: withPrimary === 0 ? null : sum.pairs / withPrimary };
  }

  private routeReport(tally: RouteTally, top: number): RouteReport {
    const primary = quantilesMs(tally.primaryLatency);
    const shadow = quantilesMs(tally.shadowLatency);
    const primaryErrorRate = ratio(tally.primaryErrors, tally.pairs);
    const shadowErrorRate = ratio(tally.shadowErrors, tally.pairs);
    return {
      route: tally.route,
      coverage: this.coverage([tally]),
      pairs: tally.pairs,
      diverged: tally.diverged,
      divergenceRate: ratio(tally.diverged, tally.pairs),
      divergenceCi95: wilson(tally.diverged, tally.pairs),
      kinds: { ...tally.kinds },
      bodyFallback: { pairs: tally.fallbackPairs, reasons: { ...tally.fallback } },
      structurallyCompared: tally.structurallyCompared,
      errors: {
        primary: { count: tally.primaryErrors, rate: primaryErrorRate },
        shadow: { count: tally.shadowErrors, rate: shadowErrorRate },
        rateDelta: primaryErrorRate === null || shadowErrorRate === null ? null : shadowErrorRate - primaryErrorRate,
        shadowOnly: tally.shadowOnlyErrors,
        primaryOnly: tally.primaryOnlyErrors,
      },
      latencyMs: {
        primary,
        shadow,
        delta: { p50: minus(shadow.p50, primary.p50), p95: minus(shadow.p95, primary.p95), p99: minus(shadow.p99, primary.p99) },
      },
      headers: [...tally.headers.values()]
        .sort((a, b) => b.divergentPairs - a.divergentPairs || a.name.localeCompare(b.name))
        .map((h): HeaderReport => ({ name: h.name, ...changeReport(h) })),
      fields: this.topFields(tally, top).map((f) => this.fieldReport(f, tally.structurallyCompared)),
      fieldsTracked: tally.fields.size,
      fieldsOverflowed: tally.fieldsOverflowed,
    };
  }

  private fieldReport(field: FieldTally, compared: number): FieldReport {
    const reason = noiseReason(field, compared, this.settings.noise);
    return {
      path: field.path,
      rate: compared === 0 ? 0 : field.divergentPairs / compared,
      ...changeReport(field),
      likelyNoise: reason !== null,
      noiseReason: reason,
      suggestedIgnore: reason === null ? null : field.path,
    };
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
    let tally = this.routes.get(route);
    if (tally === undefined) {
      tally = {
        route,
        pairs: 0,
        diverged: 0,
        shadowMissing: 0,
        primaryMissing: 0,
        evicted: 0,
        kinds: { status_class: 0, status: 0, completion: 0, header: 0, body: 0, field: 0 },
        fallbackPairs: 0,
        fallback: { json_none: 0, json_malformed: 0, json_state_differs: 0, fields_truncated: 0, no_fields: 0, hash_algorithm_differs: 0 },
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

function emptyChangeTally(): ChangeTally {
  return { divergentPairs: 0, changed: 0, missingInShadow: 0, extraInShadow: 0, examples: [], nextExample: 0 };
}

function countChange(tally: ChangeTally, change: DiffChange, id: string, maxExamples: number): void {
  tally.divergentPairs++;
  if (change === 'changed') tally.changed++;
  else if (change === 'missing_in_shadow') tally.missingInShadow++;
  else tally.extraInShadow++;
  if (maxExamples === 0) return;
  // Keep the most recent examples: they are the ones the pair store still holds.
  tally.examples[tally.nextExample] = id;
  tally.nextExample = (tally.nextExample + 1) % maxExamples;
}

function changeReport(tally: ChangeTally): Omit<HeaderReport, 'name'> {
  const n = tally.examples.length;
  const examples: string[] = [];
  for (let i = 1; i <= n; i++) examples.push(tally.examples[(tally.nextExample - i + n) % n] ?? '');
  return {
    divergentPairs: tally.divergentPairs,
    changed: tally.changed,
    missingInShadow: tally.missingInShadow,
    extraInShadow: tally.extraInShadow,
    examples,
  };
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

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** Difference of two millisecond values, rounded to the microsecond so no float dust shows. */
function minus(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.round((a - b) * 1000) / 1000;
}

function quantilesMs(sketch: LatencySketch): LatencyQuantilesMs {
  const ms = (q: number): number | null => {
    const us = sketch.quantile(q);
    return us === null ? null : Math.round(us) / 1000;
  };
  return { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) };
}
