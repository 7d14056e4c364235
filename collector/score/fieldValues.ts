// What a field's tally keeps of captured values (the filter's digest.capture), beside its counts:
// both values of its example pairs (parallel to the examples' correlation ids, examples.ts), the
// magnitudes of its numeric differences, and how many of its differences were within tolerance.
// The parts are made on the first pair that brings values, and cost a fixed number of bytes of
// the tallies budget (budget/sizeEstimates.ts fieldValueBytes): example values are cut to
// EXAMPLE_VALUE_CHARS.

import { Type, type Static } from '@sinclair/typebox';
import type { FieldDiff } from '../compare/divergence.js';
import type { ExampleValues } from './examples.js';
import { addMagnitude, emptyMagnitudeSummary, mergeMagnitude, MagnitudeSummarySchema } from './magnitudeSummary.js';

export const EXAMPLE_VALUE_CHARS = 64;

const shownValue = Type.Union([Type.String({ maxLength: EXAMPLE_VALUE_CHARS + 1 }), Type.Null()]);

export const FieldValuePartsSchema = Type.Object({
  /** differences within the field's compare.tolerances (not counted in divergentPairs) */
  withinTolerance: Type.Optional(Type.Integer({ minimum: 0 })),
  magnitude: Type.Optional(MagnitudeSummarySchema),
  /** [primary, shadow] of the example at the same index of `examples`; null: not captured */
  exampleValues: Type.Optional(Type.Array(Type.Tuple([shownValue, shownValue]))),
});
export type FieldValueParts = Static<typeof FieldValuePartsSchema>;

/** True for a field tally with value parts (any other tally, such as a header's, has none). */
export function hasValueParts(tally: object): boolean {
  return 'exampleValues' in tally && tally.exampleValues !== undefined;
}

export function isValued(diff: FieldDiff): boolean {
  return diff.primaryValue !== undefined || diff.shadowValue !== undefined;
}

/** Makes the parts (the caller has taken their bytes from the budget); the examples kept so far have no values. */
export function addValueParts(parts: FieldValueParts, examples: number): void {
  parts.exampleValues = Array.from({ length: examples }, (): ExampleValues => [null, null]);
  parts.magnitude = emptyMagnitudeSummary();
}

function cut(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  return value.length <= EXAMPLE_VALUE_CHARS ? value : `${value.slice(0, EXAMPLE_VALUE_CHARS)}…`;
}

/** Both values of a difference, as an example shows them. */
export function shownValues(diff: FieldDiff): ExampleValues {
  return [cut(diff.primaryValue), cut(diff.shadowValue)];
}

/** Measures a difference into the magnitude summary; `key`: idHash of the pair's correlation id. */
export function countMagnitude(parts: FieldValueParts, diff: FieldDiff, id: string, key: number): void {
  if (diff.magnitude === undefined || parts.magnitude === undefined) return;
  const [primary, shadow] = shownValues(diff);
  addMagnitude(parts.magnitude, diff.magnitude, key, { abs: diff.magnitude.abs, id, primary, shadow });
}

/** Adds `from`'s within-tolerance count and magnitudes to `into`'s (the examples' values merge with the examples, examples.ts). */
export function mergeValueParts(into: FieldValueParts, from: FieldValueParts): void {
  if (from.withinTolerance !== undefined) into.withinTolerance = (into.withinTolerance ?? 0) + from.withinTolerance;
  if (into.magnitude !== undefined && from.magnitude !== undefined) mergeMagnitude(into.magnitude, from.magnitude);
}
