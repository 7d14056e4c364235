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
  /** The same metric of the no-op proxy-wasm floor (bench/noopFilter) in the same runs, and measured / floor per run pair. */
  vsFloor?: { floor: Spread; ratio: Spread };
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

/** measured / baseline for each run pair (the runs alternated together). */
function pairedRatios(baselineRuns: readonly number[], measuredRuns: readonly number[]): number[] {
  const pairs = Math.min(baselineRuns.length, measuredRuns.length);
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) ratios.push((measuredRuns[i] ?? Number.NaN) / (baselineRuns[i] ?? Number.NaN));
  return ratios;
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
  const measured = spread(measuredRuns);
  const ratio = spread(pairedRatios(baselineRuns, measuredRuns));
  return {
    line,
    metric,
    unit,
    goal,
    baseline: spread(baselineRuns),
    measured,
    ratio,
    met: judge(goal, measured, ratio),
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * A compared row that also sets the variant against the floor's runs of the same alternation. The
 * goal stays on the ratio against the baseline (no filter): the floor row says how much of that is
 * the proxy-wasm host's and how much the filter's own.
 */
export function flooredRow(
  line: number,
  metric: string,
  unit: string,
  goal: Goal | null,
  runs: { baseline: readonly number[]; floor: readonly number[]; measured: readonly number[] },
  note?: string,
): ResultRow {
  return {
    ...comparedRow(line, metric, unit, goal, runs.baseline, runs.measured, note),
    vsFloor: { floor: spread(runs.floor), ratio: spread(pairedRatios(runs.floor, runs.measured)) },
  };
}

/** A row whose goal is on the measured value itself. */
export function absoluteRow(
  line: number,
  metric: string,
  unit: string,
  goal: Goal | null,
  measuredRuns: readonly number[],
  note?: string,
): ResultRow {
  const measured = spread(measuredRuns);
  return {
    line,
    metric,
    unit,
    goal,
    baseline: null,
    measured,
    ratio: null,
    met: judge(goal, measured, null),
    ...(note === undefined ? {} : { note }),
  };
}

export function runsOf<T>(samples: Map<string, T[]>, label: string, pick: (sample: T) => number): number[] {
  return (samples.get(label) ?? []).map(pick);
}
