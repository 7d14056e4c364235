// How one correlation id was resolved, as the pipeline hands it on: the scoreboard, the metrics
// and the pair store all take in this same value, so they cannot count a request differently.

import type { PairDiff } from '../compare/divergence.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { MissingOutcome } from '../join/outcomes.js';
import type { PairView } from '../report/reportSchema.js';

export type Resolution =
  | { kind: 'paired'; route: string; primary: IngestedRecord; shadow: IngestedRecord; diff: PairDiff }
  | { kind: 'missing'; route: string; record: IngestedRecord; outcome: MissingOutcome }
  | { kind: 'evicted'; route: string; record: IngestedRecord };

/** The pair view of a resolved id, as the pair store keeps it and a verdict carries it; `now`: when it resolved. */
export function pairViewOf(resolution: Resolution, now: number): PairView {
  if (resolution.kind === 'paired') {
    const { primary, shadow, route, diff } = resolution;
    return { id: primary.id, state: 'paired', route, primary, shadow, diff, resolvedAtUnixMs: now };
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
    case 'paired':
      return primary !== null && shadow !== null && diff !== null ? { kind: 'paired', route, primary, shadow, diff } : null;
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
