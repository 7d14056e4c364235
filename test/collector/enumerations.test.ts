// Each enumeration is one constant list; every table keyed by it is a Record over its type, so a
// table lacking a value does not compile (the @ts-expect-error lines fail `npm run typecheck` the
// day they stop being errors), and the tables iterate the lists at run time.
import { describe, expect, it } from 'vitest';
import { DIVERGENCE_KINDS, FALLBACK_REASONS, type DivergenceKind, type FallbackReason } from '../../collector/compare/divergence.js';
import { CAPTURED_KINDS, capturedKind, type CapturedKind } from '../../collector/ingest/capturedValue.js';
import { LEGS, WIRE_LEGS, type Leg } from '../../collector/ingest/wireSchema.js';
import { PAIR_OUTCOMES, PAIR_STATES, SECONDARY_OUTCOMES, type PairOutcome } from '../../collector/join/outcomes.js';
import { ReportSchema, RouteReportSchema } from '../../collector/report/reportSchema.js';
import { countsBySchema, zeroCounts } from '../../collector/schema/countsBy.js';

describe('enumerations', () => {
  it('refuse, at compile time, a table that lacks a value', () => {
    // @ts-expect-error 'field' is missing
    const kinds: Record<DivergenceKind, number> = { status_class: 0, status: 0, completion: 0, header: 0, body: 0 };
    // @ts-expect-error 'no_fields' is missing
    const reasons: Record<FallbackReason, string> = { json_none: '', json_malformed: '', json_state_differs: '', fields_truncated: '' };
    // @ts-expect-error 'shadow' is missing
    const legs: Record<Leg, number> = { primary: 0 };
    // @ts-expect-error 'primary_missing' is missing
    const outcomes: Record<PairOutcome, number> = { match: 0, diverged: 0, shadow_missing: 0 };
    // @ts-expect-error a value outside the list is no kind
    const unknownKind: DivergenceKind = 'latency';
    expect([kinds, reasons, legs, outcomes, unknownKind]).toHaveLength(5);
  });

  it('define the captured value kinds once, each with its wire tag', () => {
    // @ts-expect-error 'null' is missing
    const shown: Record<CapturedKind, string> = { number: '', string: '', string_prefix: '', true: '', false: '' };
    expect(shown).toBeDefined();
    expect(['n1', 's', 'pab', 't', 'f', 'z'].map(capturedKind)).toEqual([...CAPTURED_KINDS]);
  });

  it("derive the zeroed tallies and the report's count objects from the lists", () => {
    expect(Object.keys(zeroCounts(DIVERGENCE_KINDS))).toEqual([...DIVERGENCE_KINDS]);
    expect(Object.keys(countsBySchema(FALLBACK_REASONS).properties)).toEqual([...FALLBACK_REASONS]);
    expect(Object.keys(RouteReportSchema.properties.kinds.properties)).toEqual([...DIVERGENCE_KINDS]);
    expect(Object.keys(RouteReportSchema.properties.bodyFallback.properties.reasons.properties)).toEqual([...FALLBACK_REASONS]);
    expect(Object.keys(ReportSchema.properties.totals.properties.records.properties)).toEqual([...WIRE_LEGS]);
    expect(WIRE_LEGS).toEqual([...LEGS, 'secondary']);
    expect(SECONDARY_OUTCOMES).toEqual(['triple', 'secondary_missing', 'secondary_unusable', 'secondary_orphaned']);
    expect(PAIR_STATES).toEqual(['pending', 'paired', 'shadow_missing', 'primary_missing', 'evicted']);
    expect(PAIR_OUTCOMES).toEqual(['match', 'diverged', 'shadow_missing', 'primary_missing']);
  });
});
