// Noise proven by a secondary: per route and field, how often the field differs between the
// primary and a second instance of the primary's version (the secondary leg of a triple), against
// how often it differs between primary and shadow. Two instances of the same version differ only
// by non-determinism (timestamps, generated ids, host names, ordering), so a primary-vs-shadow
// difference that the primaries show at a comparable rate is noise; one they do not show is a
// regression. Diffy's idea, with its two thresholds (a relative and an absolute one), judged on
// Wilson intervals so that thin evidence never proves noise: noise leaves the rollout gate, so
// every doubt errs towards "not noise".
//
// With p_s the field's primary-vs-shadow rate over the route's structurally compared pairs and
// [lo₂, hi₂] the 95% Wilson interval of its primary-vs-secondary rate over the triples compared:
//   too_few_triples  fewer than MIN_TRIPLES triples compared;
//   noise            the primaries differed in it at least once, and lo₂ ≥ (1 − RELATIVE) · p_s −
//                    ABSOLUTE: even the lowest rate the triples allow explains the shadow's rate,
//                    within 20% of it less one point (a field the primaries never differ in is
//                    never noise, however rarely the shadow differs);
//   regression       the shadow's interval lies wholly above the secondary's (lo_s > hi₂);
//   inconclusive     neither (more triples decide).

import type { WilsonInterval } from '../types.js';
import { wilson } from './wilson.js';

export const SECONDARY_FINDINGS = ['noise', 'regression', 'inconclusive', 'too_few_triples'] as const;
export type SecondaryFinding = (typeof SECONDARY_FINDINGS)[number];

/** Triples compared before a field's primary-vs-secondary rate says anything. */
export const MIN_TRIPLES = 20;
/** The share of the shadow's rate the secondary's rate may fall short by and still explain it. */
export const RELATIVE = 0.2;
/** …and the absolute allowance, for fields that rarely differ at all. */
export const ABSOLUTE = 0.01;

/** A difference count over the pairs (or triples) compared. */
export interface DiffRate {
  differing: number;
  compared: number;
}

export interface SecondaryJudgement {
  finding: SecondaryFinding;
  shadowRate: number;
  shadowCi95: WilsonInterval | null;
  secondaryRate: number;
  secondaryCi95: WilsonInterval;
}

/** What the triples make of a field's primary-vs-shadow differences; null without any triple compared. */
export function judgeBySecondary(shadow: DiffRate, secondary: DiffRate): SecondaryJudgement | null {
  const secondaryCi95 = wilson(secondary.differing, secondary.compared);
  if (secondaryCi95 === null) return null;
  const shadowRate = shadow.compared === 0 ? 0 : shadow.differing / shadow.compared;
  const shadowCi95 = wilson(shadow.differing, shadow.compared);
  const judged = { shadowRate, shadowCi95, secondaryRate: secondary.differing / secondary.compared, secondaryCi95 };
  return { finding: finding(shadowRate, shadowCi95, secondary, secondaryCi95), ...judged };
}

function finding(
  shadowRate: number,
  shadowCi95: WilsonInterval | null,
  secondary: DiffRate,
  secondaryCi95: WilsonInterval,
): SecondaryFinding {
  const { differing, compared } = secondary;
  if (compared < MIN_TRIPLES) return 'too_few_triples';
  if (differing > 0 && secondaryCi95.low >= (1 - RELATIVE) * shadowRate - ABSOLUTE) return 'noise';
  if (shadowCi95 !== null && shadowCi95.low > secondaryCi95.high) return 'regression';
  return 'inconclusive';
}

/** The words a report gives a field proven noise: both rates, the triples counted. */
export function noiseEvidence(judged: SecondaryJudgement & { divergentTriples: number; triples: number }): string {
  const { divergentTriples, triples } = judged;
  const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;
  return (
    `differs between the two primaries in ${divergentTriples} of ${triples} triples ` +
    `(${percent(judged.secondaryRate)}, 95% CI ${percent(judged.secondaryCi95.low)}–${percent(judged.secondaryCi95.high)}), ` +
    `as often as between primary and shadow (${percent(judged.shadowRate)}): non-determinism`
  );
}
