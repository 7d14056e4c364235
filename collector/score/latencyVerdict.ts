// Whether a route's shadow is slower (or faster) at p95 than its primary: only when the paired
// difference is both larger than the configured threshold and significant: its whole 95% interval
// (quantileDifference.ts, over the route's pair reservoir) past the threshold on the same side. A
// delta that noise could give, however large, is `no_change`; too few pairs give no verdict.

import type { LatencyVerdict } from '../report/reportSchema.js';
import type { PairReservoir } from './pairReservoir.js';
import { pairedQuantileDifference, quantileRank } from './quantileDifference.js';

export const LATENCY_FINDINGS = ['regression', 'improvement', 'no_change', 'too_few_pairs'] as const;
export type LatencyFinding = (typeof LATENCY_FINDINGS)[number];

/** The quantile compared, and the interval's confidence. */
export const VERDICT_QUANTILE = 0.95;
export const VERDICT_CONFIDENCE = 0.95;

/** The collector's `score.latency` (configSchema.ts). */
export interface LatencySettings {
  /** a delta smaller than this (ms) is never a finding */
  minDeltaMs: number;
  /** nor one smaller than this share of the primary's p95 */
  minRelativeDelta: number;
  /** fewer pairs in the reservoir: too_few_pairs */
  minPairs: number;
  /** pairs kept per route for the interval */
  reservoirPairs: number;
  /** bootstrap resamples per interval */
  resamples: number;
}

/**
 * The last verdict of each reservoir, with the reservoir's version then: a report reads every
 * route, and an interval costs O(resamples × pairs). Recomputed only when the kept pairs changed
 * (as the reservoir fills, at almost every pair; once full, at about reservoirPairs / seen of
 * them), so a verdict is a function of the pairs kept, never of when the report was read.
 */
const verdicts = new WeakMap<PairReservoir, { version: number; verdict: LatencyVerdict }>();

export function latencyVerdict(reservoir: PairReservoir, settings: LatencySettings): LatencyVerdict {
  const cached = verdicts.get(reservoir);
  if (cached !== undefined && cached.version === reservoir.version) return cached.verdict;
  const verdict = computeVerdict(reservoir, settings);
  verdicts.set(reservoir, { version: reservoir.version, verdict });
  return verdict;
}

function computeVerdict(reservoir: PairReservoir, settings: LatencySettings): LatencyVerdict {
  const { primaryUs, shadowUs } = reservoir.pairs();
  const pairs = primaryUs.length;
  // Seeded by the kept pairs (in their key order): the same pairs always give the same interval.
  const difference = pairedQuantileDifference(primaryUs, shadowUs, {
    quantile: VERDICT_QUANTILE,
    confidence: VERDICT_CONFIDENCE,
    resamples: settings.resamples,
    seed: reservoir.contentSeed,
  });
  const base = { quantile: VERDICT_QUANTILE, pairs, minPairs: settings.minPairs };
  if (difference === null) return { ...base, deltaMs: null, ci95: null, thresholdMs: null, finding: 'too_few_pairs' };
  const primaryQuantileMs = [...primaryUs].sort((a, b) => a - b)[quantileRank(VERDICT_QUANTILE, pairs) - 1]! / 1000;
  const thresholdMs = Math.max(settings.minDeltaMs, settings.minRelativeDelta * primaryQuantileMs);
  const deltaMs = difference.delta / 1000;
  const ci95 = { low: difference.low / 1000, high: difference.high / 1000 };
  return {
    ...base,
    deltaMs: roundUs(deltaMs),
    ci95: { low: roundUs(ci95.low), high: roundUs(ci95.high) },
    thresholdMs: roundUs(thresholdMs),
    finding: finding(pairs, ci95, thresholdMs, settings.minPairs),
  };
}

/**
 * A finding needs the whole interval past the threshold, not only the point estimate: "slower by
 * at least the threshold" at 97.5% confidence. The resampled quantiles of a tail that stalls
 * shape pile up at a difference of zero, so an interval whose low end only just clears zero is
 * not evidence of a shift worth reporting.
 */
function finding(pairs: number, ci95: { low: number; high: number }, thresholdMs: number, minPairs: number): LatencyFinding {
  if (pairs < minPairs) return 'too_few_pairs';
  if (ci95.low > 0 && ci95.low >= thresholdMs) return 'regression';
  if (ci95.high < 0 && -ci95.high >= thresholdMs) return 'improvement';
  return 'no_change';
}

/** Milliseconds to the microsecond, so no float dust shows. */
function roundUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
