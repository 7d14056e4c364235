// How a correlation id ends up, each enumeration defined once as a constant list.

/** A joined request, as counted per route. */
export const PAIR_OUTCOMES = ['match', 'diverged', 'shadow_missing', 'primary_missing'] as const;
export type PairOutcome = (typeof PAIR_OUTCOMES)[number];

/** A window that closed with one leg only. */
export const MISSING_OUTCOMES = ['shadow_missing', 'primary_missing'] as const satisfies readonly PairOutcome[];
export type MissingOutcome = (typeof MISSING_OUTCOMES)[number];

/** Where a correlation id stands, as `GET /v1/pairs/:id` tells it. */
export const PAIR_STATES = ['pending', 'paired', ...MISSING_OUTCOMES, 'evicted'] as const;
export type PairState = (typeof PAIR_STATES)[number];

/**
 * What became of a request's secondary leg (wire leg `secondary`), counted apart from the pair's
 * outcome: `triple`: it joined its pair; `secondary_missing`: the primary said it was sent
 * (`withSecondary`) but the window closed (or the entry was evicted) without it, and the pair was
 * judged as a pair; `secondary_unusable`: it joined its pair but did not answer as the primary did
 * (another status, or a local reply: score/secondaryComparable.ts), so the pair was judged as a pair;
 * `secondary_orphaned`: it was alone when its window closed (or it was evicted): neither leg of its pair came.
 */
export const SECONDARY_OUTCOMES = ['triple', 'secondary_missing', 'secondary_unusable', 'secondary_orphaned'] as const;
export type SecondaryOutcome = (typeof SECONDARY_OUTCOMES)[number];
