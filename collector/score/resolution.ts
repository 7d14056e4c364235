// How one correlation id was resolved, as the pipeline hands it on: the scoreboard, the metrics
// and the pair store all take in this same value, so they cannot count a request differently.

import type { PairDiff } from '../compare/divergence.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { MissingOutcome } from '../join/outcomes.js';

export type Resolution =
  | { kind: 'paired'; route: string; primary: IngestedRecord; shadow: IngestedRecord; diff: PairDiff }
  | { kind: 'missing'; route: string; record: IngestedRecord; outcome: MissingOutcome }
  | { kind: 'evicted'; route: string; record: IngestedRecord };
