// How one correlation id was resolved, as the pipeline hands it on: the scoreboard, the metrics
// and the pair store all take in this same value, so they cannot count a request differently.

import type { PairDiff } from '../compare/divergence.js';
import type { DigestRecord } from '../ingest/wireSchema.js';
import type { MissingOutcome } from '../join/outcomes.js';

export type Resolution =
  | { kind: 'paired'; route: string; primary: DigestRecord; shadow: DigestRecord; diff: PairDiff }
  | { kind: 'missing'; route: string; record: DigestRecord; outcome: MissingOutcome }
  | { kind: 'evicted'; route: string; record: DigestRecord };
