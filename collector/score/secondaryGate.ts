// What a route's triples make of its fields, and the rollout gate's count that follows: the
// diverged pairs less those whose only differences were fields the secondary proved noise
// (secondaryNoise.ts). A pair counts as noise only when all of these hold: every one of its
// differences is a field (no status, completion, header or body difference); its field rows
// are a set the route's tally holds (SecondaryTally.signatures); and every row of that set is a
// field of the route's table judged `noise` now. Anything else, including pairs resolved before
// the route's first secondary leg, counts for the gate as diverged: doubt errs towards the gate.

import type { RouteTally } from './scoreboard.js';
import { judgeBySecondary, type SecondaryJudgement } from './secondaryNoise.js';

/** A field row's judgement, with the triples it rests on. */
export interface FieldSecondaryJudgement extends SecondaryJudgement {
  divergentTriples: number;
  triples: number;
}

/** Per field row of the route's table: what its triples say; empty when the route has compared none. */
export function fieldJudgements(tally: RouteTally): Map<string, FieldSecondaryJudgement> {
  const judged = new Map<string, FieldSecondaryJudgement>();
  const learned = tally.secondary;
  if (learned === undefined || learned.secondaryCompared === 0) return judged;
  const triples = learned.secondaryCompared;
  for (const field of tally.fields.values()) {
    const divergentTriples = learned.fields.get(field.path)?.divergentPairs ?? 0;
    const judgement = judgeBySecondary(
      { differing: field.divergentPairs, compared: tally.structurallyCompared },
      { differing: divergentTriples, compared: triples },
    );
    if (judgement !== null) judged.set(field.path, { ...judgement, divergentTriples, triples });
  }
  return judged;
}

/** The gate's count for a route that learns from secondaries; undefined for one that does not (the gate counts every diverged pair). */
export function gateCount(
  tally: RouteTally,
  judged: ReadonlyMap<string, FieldSecondaryJudgement>,
): { diverged: number; noiseOnly: number } | undefined {
  const learned = tally.secondary;
  if (learned === undefined) return undefined;
  let noiseOnly = 0;
  for (const [rows, pairs] of learned.signatures) {
    if (rows.split('\n').every((row) => judged.get(row)?.finding === 'noise')) noiseOnly += pairs;
  }
  // Never below zero, whatever a fold or restore did to the counts.
  noiseOnly = Math.min(noiseOnly, tally.diverged);
  return { diverged: tally.diverged - noiseOnly, noiseOnly };
}
