// When a triple's secondary is evidence. A secondary that is down still yields a record: its
// filter digests Envoy's local reply (a 503, no `upstreamUs`), which differs from the primary in
// every field; taken as evidence, it would make every primary-vs-shadow difference look like
// noise and let the gate pass real regressions. So the primary-vs-secondary comparison is used
// only when both answered alike: the same status, and both reached their upstreams (`upstreamUs`
// on both) or neither record says (wire format 1 has no `upstreamUs`; two local replies of one
// status are alike). Any other secondary is `secondary_unusable`: shown in the pair view, counted
// apart, and its pair judged two-way, as if it had not come. Doubt errs towards "not noise".

import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { SecondaryOutcome } from '../join/outcomes.js';
import type { SecondaryLeg } from './resolution.js';

/** Whether the secondary answered as the primary did, so that what differs between them is non-determinism. */
export function secondaryComparable(primary: IngestedRecord, secondary: IngestedRecord): boolean {
  return secondary.status === primary.status && (secondary.upstreamUs === undefined) === (primary.upstreamUs === undefined);
}

/** What became of a judged pair's announced or joined secondary. */
export function secondaryOutcome(
  primary: IngestedRecord,
  secondary: NonNullable<SecondaryLeg> | null,
): Exclude<SecondaryOutcome, 'secondary_orphaned'> {
  if (secondary === null) return 'secondary_missing';
  return secondaryComparable(primary, secondary.record) ? 'triple' : 'secondary_unusable';
}
