// Builds the report out of the scoreboard's tallies: rates, Wilson intervals, latency quantiles,
// coverage, the ranked routes and their top fields. Pure: tallies in, a Report (reportSchema.ts) out.

import { noiseReason, type NoiseSettings } from '../score/noise.js';
import { zeroCounts } from '../schema/countsBy.js';
import {
  SECONDARY_OUTCOME_COUNTS,
  type ChangeTally,
  type FieldTally,
  type RouteTally,
  type Scoreboard,
  type SecondaryOutcomeCount,
} from '../score/scoreboard.js';
import type { LatencySketch } from '../score/latencySketch.js';
import { latencyHistogram } from '../score/latencyHistogram.js';
import { latencyVerdict } from '../score/latencyVerdict.js';
import { wilson } from '../score/wilson.js';
import { magnitudeReport } from '../score/magnitudeSummary.js';
import { gateCount, routeJudgements, type SecondaryEvidenceOf } from '../score/secondaryGate.js';
import { noiseEvidence } from '../score/secondaryNoise.js';
import type { BudgetPart, BudgetReading } from '../budget/byteBudget.js';
import type { Coverage, FieldReport, HeaderReport, LatencyQuantilesMs, Report, RouteReport, SecondaryEvidence } from './reportSchema.js';

export interface ReportInput {
  board: Scoreboard;
  /** fields per route */
  top: number;
  /** only this route */
  route?: string | undefined;
  generatedAtUnixMs: number;
  windowMs: number;
  /** report.gateMaxUpperBound */
  gateMaxUpperBound: number;
  /** legs waiting in the join window; null where the join runs elsewhere (Kafka mode's report role) */
  pending: number | null;
  budget: Record<BudgetPart, BudgetReading>;
}

export function buildReport(input: ReportInput): Report {
  const { board } = input;
  let matched = 0;
  let diverged = 0;
  for (const tally of board.routeTallies()) {
    matched += tally.pairs - tally.diverged;
    diverged += tally.diverged;
  }
  const totals = board.totals;
  return {
    generatedAtUnixMs: input.generatedAtUnixMs,
    windowMs: input.windowMs,
    rolloutGate: { maxUpperBound: input.gateMaxUpperBound },
    totals: {
      records: { ...totals.records },
      duplicates: totals.duplicates,
      late: totals.late,
      rejectedRecords: totals.rejectedRecords,
      lostOnRestart: totals.lostOnRestart,
      pending: input.pending,
      matched,
      diverged,
      coverage: coverage(board.routeTallies()),
    },
    routesTracked: board.routesTracked,
    routeEvictions: board.routeEvictions,
    budget: input.budget,
    routes: routeReports(board, input.top, input.route),
  };
}

/** Routes ranked by the lower bound of their divergence interval: a sure 5% outranks a lucky 1 of 1. */
export function routeReports(board: Scoreboard, top: number, only?: string): RouteReport[] {
  const reports: RouteReport[] = [];
  for (const tally of board.routeTallies()) {
    if (only === undefined || tally.route === only) reports.push(routeReport(board, tally, top));
  }
  return reports.sort(
    (a, b) =>
      (b.divergenceCi95?.low ?? -1) - (a.divergenceCi95?.low ?? -1) ||
      b.diverged - a.diverged ||
      b.pairs - a.pairs ||
      a.route.localeCompare(b.route),
  );
}

export function coverage(
  tallies: Iterable<Pick<RouteTally, 'pairs' | 'shadowMissing' | 'primaryMissing' | 'evicted' | 'secondary'>>,
): Coverage {
  const sum = { pairs: 0, shadowMissing: 0, primaryMissing: 0, evicted: 0 };
  let secondary: Record<SecondaryOutcomeCount, number> | null = null;
  for (const t of tallies) {
    sum.pairs += t.pairs;
    sum.shadowMissing += t.shadowMissing;
    sum.primaryMissing += t.primaryMissing;
    sum.evicted += t.evicted;
    if (t.secondary !== undefined) {
      secondary ??= zeroCounts(SECONDARY_OUTCOME_COUNTS);
      for (const count of SECONDARY_OUTCOME_COUNTS) secondary[count] += t.secondary[count];
    }
  }
  const withPrimary = sum.pairs + sum.shadowMissing;
  const shown: Coverage = { ...sum, shadowCoverage: withPrimary === 0 ? null : sum.pairs / withPrimary };
  if (secondary === null) return shown;
  // An unusable secondary (secondaryComparable.ts) is no evidence: coverage is of the evidence.
  const announced = secondary.triples + secondary.secondaryMissing + secondary.secondaryUnusable;
  return { ...shown, ...secondary, secondaryCoverage: announced === 0 ? null : secondary.triples / announced };
}

function routeReport(board: Scoreboard, tally: RouteTally, top: number): RouteReport {
  const judged = routeJudgements(tally);
  const primary = quantilesMs(tally.primaryLatency);
  const shadow = quantilesMs(tally.shadowLatency);
  const primaryErrorRate = ratio(tally.primaryErrors, tally.pairs);
  const shadowErrorRate = ratio(tally.shadowErrors, tally.pairs);
  const report: RouteReport = {
    route: tally.route,
    coverage: coverage([tally]),
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
      verdict: latencyVerdict(tally.latencyPairs, board.settings.latency),
    },
    latencyHistogram: latencyHistogram(tally.primaryLatency, tally.shadowLatency),
    headers: [...tally.headers.values()]
      .sort((a, b) => b.divergentPairs - a.divergentPairs || a.name.localeCompare(b.name))
      .map((h): HeaderReport => withEvidence({ name: h.name, ...changeReport(h) }, judged.headers.get(h.name))),
    fields: board
      .topFields(tally, top)
      .map((f) => fieldReport(f, tally.structurallyCompared, board.settings.noise, judged.fields.get(f.path))),
    fieldsTracked: tally.fields.size,
    fieldsEvicted: tally.fieldsEvicted,
    countError: tally.countError,
  };
  const byMagnitude = fieldsByMagnitude(tally, top);
  if (byMagnitude.length > 0) report.fieldsByMagnitude = byMagnitude;
  if (tally.withinTolerance !== undefined) report.withinTolerance = tally.withinTolerance;
  const gate = gateCount(tally, judged);
  if (gate !== undefined) report.gate = { ...gate, rate: ratio(gate.diverged, tally.pairs), ci95: wilson(gate.diverged, tally.pairs) };
  return report;
}

/** The `top` numeric fields by their largest relative difference, then absolute. */
function fieldsByMagnitude(tally: RouteTally, top: number): NonNullable<RouteReport['fieldsByMagnitude']> {
  const measured: NonNullable<RouteReport['fieldsByMagnitude']> = [];
  for (const field of tally.fields.values()) {
    if (field.magnitude !== undefined && field.magnitude.measured > 0)
      measured.push({ path: field.path, ...magnitudeReport(field.magnitude) });
  }
  return measured.sort((a, b) => b.maxRel - a.maxRel || b.maxAbs - a.maxAbs || a.path.localeCompare(b.path)).slice(0, top);
}

/**
 * A field's row. With a secondary's `noise` or `regression` finding, that evidence decides
 * likelyNoise (and a proven regression is not noise, whatever its name or values look like);
 * otherwise the heuristics (noise.ts) do, as without secondaries.
 */
function fieldReport(field: FieldTally, compared: number, noise: NoiseSettings, judged: SecondaryEvidenceOf | undefined): FieldReport {
  let reason: string | null;
  if (judged?.finding === 'noise') reason = noiseEvidence(judged);
  else if (judged?.finding === 'regression') reason = null;
  else reason = noiseReason(field, compared, noise);
  const report: FieldReport = {
    path: field.path,
    rate: compared === 0 ? 0 : field.divergentPairs / compared,
    ...changeReport(field),
    likelyNoise: reason !== null,
    noiseReason: reason,
    suggestedIgnore: reason === null ? null : field.path,
  };
  if (field.exampleValues !== undefined) report.exampleValues = exampleValues(field, field.exampleValues);
  if (field.magnitude !== undefined && field.magnitude.measured > 0) report.magnitude = magnitudeReport(field.magnitude);
  if (field.withinTolerance !== undefined) report.withinTolerance = field.withinTolerance;
  return withEvidence(report, judged);
}

/** A field's or header's row with the secondary's evidence, when its route has triples. */
function withEvidence<T extends { secondary?: SecondaryEvidence }>(row: T, judged: SecondaryEvidenceOf | undefined): T {
  if (judged === undefined) return row;
  const { finding, shadowRate, shadowCi95, secondaryRate, secondaryCi95, divergentTriples, triples } = judged;
  row.secondary = { triples, divergentTriples, secondaryRate, secondaryCi95, shadowRate, shadowCi95, finding };
  return row;
}

/** The examples whose values were captured, newest first, as changeReport orders the ids. */
function exampleValues(field: FieldTally, values: NonNullable<FieldTally['exampleValues']>): NonNullable<FieldReport['exampleValues']> {
  const out: NonNullable<FieldReport['exampleValues']> = [];
  field.examples.forEach((id, i) => {
    const [primary, shadow] = values[i] ?? [null, null];
    if (primary !== null || shadow !== null) out.push({ id, primary, shadow });
  });
  return out;
}

function changeReport(tally: ChangeTally): Omit<HeaderReport, 'name'> {
  return {
    divergentPairs: tally.divergentPairs,
    countError: tally.countError,
    changed: tally.changed,
    missingInShadow: tally.missingInShadow,
    extraInShadow: tally.extraInShadow,
    examples: [...tally.examples],
  };
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
