// What a field's tally keeps of captured values (the filter's digest.capture), beside its counts:
// both values of its recent example pairs (a ring parallel to the examples' correlation ids), the
// magnitudes of its numeric differences, and how many of its differences were within tolerance.
// The parts are made on the first pair that brings values, and cost a fixed number of bytes of
// the tallies budget (budget/sizeEstimates.ts fieldValueBytes): example values are cut to
// EXAMPLE_VALUE_CHARS.

import { Type, type Static } from '@sinclair/typebox';
import type { FieldDiff } from '../compare/divergence.js';
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

/** Makes the parts (the caller has taken their bytes from the budget). */
export function addValueParts(parts: FieldValueParts): void {
  parts.exampleValues = [];
  parts.magnitude = emptyMagnitudeSummary();
}

function cut(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  return value.length <= EXAMPLE_VALUE_CHARS ? value : `${value.slice(0, EXAMPLE_VALUE_CHARS)}…`;
}

/** Records the values of the example just written at `index` of the examples ring, and the magnitude. */
export function countValues(parts: FieldValueParts, diff: FieldDiff, id: string, index: number | null): void {
  if (parts.exampleValues === undefined) return;
  const primary = cut(diff.primaryValue);
  const shadow = cut(diff.shadowValue);
  if (index !== null) parts.exampleValues[index] = [primary, shadow];
  if (diff.magnitude !== undefined && parts.magnitude !== undefined)
    addMagnitude(parts.magnitude, diff.magnitude, { abs: diff.magnitude.abs, id, primary, shadow });
}

type WithExamples = FieldValueParts & { examples: string[]; nextExample: number };

/**
 * Adds `from`'s parts to `into`'s (which has its parts when `from` has). Call it before
 * mergeChanges: it writes `from`'s example values where mergeChanges will write their ids.
 */
export function mergeValueParts(into: WithExamples, from: WithExamples, maxExamples: number): void {
  if (from.withinTolerance !== undefined) into.withinTolerance = (into.withinTolerance ?? 0) + from.withinTolerance;
  if (into.magnitude !== undefined && from.magnitude !== undefined) mergeMagnitude(into.magnitude, from.magnitude);
  if (into.exampleValues === undefined || maxExamples === 0) return;
  const values = from.exampleValues ?? [];
  const n = from.examples.length;
  let position = into.nextExample;
  for (let i = n; i >= 1; i--) {
    into.exampleValues[position] = values[(from.nextExample - i + n) % n] ?? [null, null];
    position = (position + 1) % maxExamples;
  }
}
