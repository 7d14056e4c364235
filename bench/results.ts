import { spread, type Spread } from './summary.js';

/** A target: the measured value must stay at or below (`atMost`) or at or above (`atLeast`) `limit`. */
export interface Goal {
  bound: 'atMost' | 'atLeast';
  limit: number;
  /** What the limit is compared with: the ratio against the baseline, or the measured value itself. */
  on: 'ratio' | 'measured';
}

/** One row of the results table: a metric of a line, its goal, and what was measured. */
export interface ResultRow {
  line: number;
  metric: string;
  unit: string;
  goal: Goal | null;
  /** null for metrics measured without a baseline (an absolute goal). */
  baseline: Spread | null;
  measured: Spread;
  /** Median of the per-run ratios measured / baseline (runs paired in the order they alternated). */
  ratio: Spread | null;
  met: boolean | null;
  note?: string;
}

export interface LineResult {
  line: number;
  title: string;
  /** What was compared with what, and how. */
  method: string;
  rows: ResultRow[];
  /** Supporting numbers (RSS, filter counters, achieved rates) for the report's details. */
  details: Record<string, unknown>;
}

function judge(goal: Goal | null, measured: Spread, ratio: Spread | null): boolean | null {
  if (goal === null) return null;
  const value = goal.on === 'ratio' ? ratio?.median : measured.median;
  if (value === undefined || Number.isNaN(value)) return null;
  return goal.bound === 'atMost' ? value <= goal.limit : value >= goal.limit;
}

/** A row comparing a variant's runs with the baseline's runs of the same alternation. */
export function comparedRow(
  line: number,
  metric: string,
  unit: string,
  goal: Goal | null,
  baselineRuns: readonly number[],
  measuredRuns: readonly number[],
  note?: string,
): ResultRow {
  const pairs = Math.min(baselineRuns.length, measuredRuns.length);
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) ratios.push((measuredRuns[i] ?? Number.NaN) / (baselineRuns[i] ?? Number.NaN));
  const measured = spread(measuredRuns);
  const ratio = spread(ratios);
  return { line, metric, unit, goal, baseline: spread(baselineRuns), measured, ratio, met: judge(goal, measured, ratio), ...(note === undefined ? {} : { note }) };
}

/** A row whose goal is on the measured value itself. */
export function absoluteRow(line: number, metric: string, unit: string, goal: Goal | null, measuredRuns: readonly number[], note?: string): ResultRow {
  const measured = spread(measuredRuns);
  return { line, metric, unit, goal, baseline: null, measured, ratio: null, met: judge(goal, measured, null), ...(note === undefined ? {} : { note }) };
}

export function runsOf<T>(samples: Map<string, T[]>, label: string, pick: (sample: T) => number): number[] {
  return (samples.get(label) ?? []).map(pick);
}
