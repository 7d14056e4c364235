// What a checkpoint written by an earlier build of the same snapshot version may lack, filled in
// with its default before the checkpoint is checked against snapshotSchema.ts: an upgrade restores
// what the previous release acknowledged instead of setting it aside. Only what is listed here is
// filled; anything else missing is still damage and the store is still set aside.

import type { FallbackReason } from '../compare/divergence.js';

/**
 * Values added to the lists a route tally counts by, since version 2 stores were first written
 * (246953d): a tally written before them has no count for them, which is 0. Adding a value to
 * FALLBACK_REASONS or DIVERGENCE_KINDS means appending it here (`kinds` for the latter).
 */
const COUNTS_ADDED_SINCE = {
  fallback: ['encoding_unsupported', 'decoding_failed'],
} as const satisfies { fallback: readonly FallbackReason[] }; // a value no longer in the list does not compile

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A route tally as read back (a `routes` row, or the `otherRoute` meta value), with the counts it predates as 0. */
export function withCountsAddedSince(tally: unknown): unknown {
  if (!isPlainObject(tally)) return tally;
  const upgraded = { ...tally };
  for (const [member, added] of Object.entries(COUNTS_ADDED_SINCE)) {
    const counts = tally[member];
    if (!isPlainObject(counts)) continue;
    const filled = { ...counts };
    for (const value of added) filled[value] ??= 0;
    upgraded[member] = filled;
  }
  return upgraded;
}
