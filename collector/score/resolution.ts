// How one correlation id was resolved, as the pipeline hands it on: the scoreboard, the metrics
// and the pair store all take in this same value, so they cannot count a request differently.

import type { PairDiff } from '../compare/divergence.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { MissingOutcome } from '../join/outcomes.js';
import type { PairView } from '../report/reportSchema.js';

/**
 * A pair's secondary leg (a second instance of the primary's version): joined and compared with
 * the primary (`diff`: primary vs secondary, what non-determinism alone makes differ), or null
 * when the primary announced it (`withSecondary`) and it never came. Absent: none announced.
 */
export type SecondaryLeg = { record: IngestedRecord; diff: PairDiff } | null;

export type Resolution =
  | { kind: 'paired'; route: string; primary: IngestedRecord; shadow: IngestedRecord; diff: PairDiff; secondary?: SecondaryLeg }
  | { kind: 'missing'; route: string; record: IngestedRecord; outcome: MissingOutcome }
  | { kind: 'evicted'; route: string; record: IngestedRecord };

/** The pair view of a resolved id, as the pair store keeps it and a verdict carries it; `now`: when it resolved. */
export function pairViewOf(resolution: Resolution, now: number): PairView {
  if (resolution.kind === 'paired') {
    const { primary, shadow, route, diff, secondary } = resolution;
    const view: PairView = { id: primary.id, state: 'paired', route, primary, shadow, diff, resolvedAtUnixMs: now };
    if (secondary === null) view.secondary = null;
    else if (secondary !== undefined) Object.assign(view, { secondary: secondary.record, secondaryDiff: secondary.diff });
    return view;
  }
  const { record, route } = resolution;
  const state = resolution.kind === 'missing' ? resolution.outcome : 'evicted';
  const primary = record.leg === 'primary' ? record : null;
  const shadow = record.leg === 'shadow' ? record : null;
  return { id: record.id, state, route, primary, shadow, diff: null, resolvedAtUnixMs: now };
}

/** The correlation id a resolution settles. */
export function resolvedId(resolution: Resolution): string {
  return resolution.kind === 'paired' ? resolution.primary.id : resolution.record.id;
}

/** The resolution a pair view records (pairViewOf's inverse), as the scoreboard takes it in; null when the view is inconsistent. */
export function resolutionOf(pair: PairView): Resolution | null {
  const { route, primary, shadow, diff } = pair;
  if (route === null) return null;
  switch (pair.state) {
    case 'paired': {
      if (primary === null || shadow === null || diff === null) return null;
      const paired: Resolution = { kind: 'paired', route, primary, shadow, diff };
      if (pair.secondary === null) paired.secondary = null;
      else if (pair.secondary !== undefined) {
        if (pair.secondaryDiff === undefined) return null;
        paired.secondary = { record: pair.secondary, diff: pair.secondaryDiff };
      }
      return paired;
    }
    case 'shadow_missing':
      return primary !== null && shadow === null ? { kind: 'missing', route, record: primary, outcome: 'shadow_missing' } : null;
    case 'primary_missing':
      return shadow !== null && primary === null ? { kind: 'missing', route, record: shadow, outcome: 'primary_missing' } : null;
    case 'evicted': {
      const record = primary ?? shadow;
      return record !== null && (primary === null || shadow === null) ? { kind: 'evicted', route, record } : null;
    }
    case 'pending':
      return null;
  }
}
