// What a comparison can find, each enumeration defined once as a constant list (the types derive
// from it), and the diff of one pair as a schema (it is part of the pair response).

import { Type, type Static } from '@sinclair/typebox';
import { literalEnum } from '../schema/literalEnum.js';
import { MagnitudeSchema } from './magnitude.js';

/** Why a pair differs. `status_class` (2xx vs 5xx) is kept apart from `status` (200 vs 201). */
export const DIVERGENCE_KINDS = ['status_class', 'status', 'completion', 'header', 'body', 'field'] as const;
export type DivergenceKind = (typeof DIVERGENCE_KINDS)[number];

/** Why the whole-body hash decided a pair instead of the structural digest. */
/**
 * `hash_algorithm_differs`: the legs were hashed with different algorithms (filters of two releases
 * during a rollout), so no hash compares and status, completion, body size and JSON verdict decide.
 * `encoding_unsupported`: a leg's body is in a content coding the filter does not decode (br, zstd,
 * …); `decoding_failed`: a leg's gzip/deflate body did not decode (corrupt, truncated, over
 * digest.maxDecodedBytes). Either way that leg's bodyHash is of its bytes as received.
 */
export const FALLBACK_REASONS = [
  'json_none',
  'json_malformed',
  'json_state_differs',
  'fields_truncated',
  'no_fields',
  'hash_algorithm_differs',
  'encoding_unsupported',
  'decoding_failed',
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

export const DIFF_CHANGES = ['changed', 'missing_in_shadow', 'extra_in_shadow'] as const;
export type DiffChange = (typeof DIFF_CHANGES)[number];

/**
 * `fields`: the structural digest decided; `subtrees`: both documents were beyond the leaf budget
 * and their subtree digests decided (compare/subtreeLocalizer.ts); `body`: the whole-body hash
 * decided (see fallback).
 */
export const COMPARISON_BASES = ['fields', 'subtrees', 'body'] as const;

const hashOrNull = Type.Union([Type.String(), Type.Null()]);

const valueOrNull = Type.Union([Type.String(), Type.Null()], {
  description:
    'A captured value as the report shows it (numbers as they are, strings quoted, … after a cut one); null: not captured on that leg.',
});

export const FieldDiffSchema = Type.Object(
  {
    path: Type.String(),
    change: literalEnum(DIFF_CHANGES),
    primary: hashOrNull,
    shadow: hashOrNull,
    /** present when the filter captured the field's value on either leg (digest.capture) */
    primaryValue: Type.Optional(valueOrNull),
    shadowValue: Type.Optional(valueOrNull),
    /** present when both values are numbers (compare/magnitude.ts) */
    magnitude: Type.Optional(MagnitudeSchema),
  },
  { additionalProperties: false },
);
export type FieldDiff = Static<typeof FieldDiffSchema>;

export const HeaderDiffSchema = Type.Object(
  { name: Type.String(), change: literalEnum(DIFF_CHANGES), primary: hashOrNull, shadow: hashOrNull },
  { additionalProperties: false },
);
export type HeaderDiff = Static<typeof HeaderDiffSchema>;

export const PairDiffSchema = Type.Object(
  {
    diverged: Type.Boolean(),
    kinds: Type.Array(literalEnum(DIVERGENCE_KINDS)),
    basis: literalEnum(COMPARISON_BASES),
    fallback: Type.Union([literalEnum(FALLBACK_REASONS), Type.Null()]),
    status: Type.Object({ primary: Type.Integer(), shadow: Type.Integer() }, { additionalProperties: false }),
    statusClassChanged: Type.Boolean(),
    completionChanged: Type.Boolean(),
    bodyHashDiffers: Type.Boolean(),
    headers: Type.Array(HeaderDiffSchema),
    fields: Type.Array(FieldDiffSchema),
    /** Differences that ignore rules removed, so an operator can tell "equal" from "equal after ignoring". */
    ignoredHeaders: Type.Integer({ minimum: 0 }),
    ignoredFields: Type.Integer({ minimum: 0 }),
    /**
     * Basis `subtrees` only: differing subtrees that ignore globs reach into, so they may differ
     * only where differences are ignored; not a divergence, listed so that nothing is hidden.
     */
    inconclusive: Type.Optional(Type.Array(FieldDiffSchema)),
    /** Field differences within their compare.tolerances: not divergences, but listed, never hidden; absent when none. */
    withinTolerance: Type.Optional(Type.Array(FieldDiffSchema)),
  },
  { additionalProperties: false },
);
export type PairDiff = Static<typeof PairDiffSchema>;

/** A pair that matched although it differed, every difference within tolerance: what `withinTolerance` counts, in the report and in /metrics. */
export function matchedWithinTolerance(diff: PairDiff): boolean {
  return !diff.diverged && diff.withinTolerance !== undefined;
}
