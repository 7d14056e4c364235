// What a route's triples make of its fields and headers, and the rollout gate's count that
// follows: the diverged pairs less those whose only differences were what the secondary proved
// noise (secondaryNoise.ts). A pair counts as noise only when all of these hold: every one of its
// differences is a field or a header (no status, completion or body difference); its set of field
// and header rows is one the route's tally holds (SecondaryTally.signatures); and every row of
// that set is a field or header of the route's tables judged `noise` now. Anything else,
// including pairs resolved before the route's first secondary leg, counts for the gate as
// diverged: doubt errs towards the gate.
//
// Rates: a field's over the pairs (and triples) whose fields were compared (structurally, status
// classes equal), a header's over every pair (and triple): headers are compared in all of them.

import { SIGNATURE_HEADER, type RouteTally } from './scoreboard.js';
import { judgeBySecondary, type SecondaryJudgement } from './secondaryNoise.js';

/** A field row's or header's judgement, with the triples it rests on. */
export interface SecondaryEvidenceOf extends SecondaryJudgement {
  divergentTriples: number;
  triples: number;
}

export interface RouteJudgements {
  fields: Map<string, SecondaryEvidenceOf>;
  headers: Map<string, SecondaryEvidenceOf>;
}

/** Per field row and header of the route's tables: what its triples say; empty when the route has none. */
export function routeJudgements(tally: RouteTally): RouteJudgements {
  const judged: RouteJudgements = { fields: new Map(), headers: new Map() };
  const learned = tally.secondary;
  if (learned === undefined) return judged;
  const judge = (
    into: Map<string, SecondaryEvidenceOf>,
    key: string,
    differing: number,
    compared: number,
    divergentTriples: number,
    triples: number,
  ): void => {
    const judgement = judgeBySecondary({ differing, compared }, { differing: divergentTriples, compared: triples });
    if (judgement !== null) into.set(key, { ...judgement, divergentTriples, triples });
  };
  for (const field of tally.fields.values())
    judge(
      judged.fields,
      field.path,
      field.divergentPairs,
      tally.structurallyCompared,
      learned.fields.get(field.path)?.divergentPairs ?? 0,
      learned.secondaryCompared,
    );
  for (const header of tally.headers.values())
    judge(
      judged.headers,
      header.name,
      header.divergentPairs,
      tally.pairs,
      learned.headers.get(header.name)?.divergentPairs ?? 0,
      learned.triples,
    );
  return judged;
}

/** The gate's count for a route that learns from secondaries; undefined for one that does not (the gate counts every diverged pair). */
export function gateCount(tally: RouteTally, judged: RouteJudgements): { diverged: number; noiseOnly: number } | undefined {
  const learned = tally.secondary;
  if (learned === undefined) return undefined;
  const isNoise = (row: string): boolean =>
    (row.startsWith(SIGNATURE_HEADER) ? judged.headers.get(row.slice(SIGNATURE_HEADER.length)) : judged.fields.get(row))?.finding ===
    'noise';
  let noiseOnly = 0;
  for (const [rows, pairs] of learned.signatures) if (rows.split('\n').every(isNoise)) noiseOnly += pairs;
  // Never below zero, whatever a fold or restore did to the counts.
  noiseOnly = Math.min(noiseOnly, tally.diverged);
  return { diverged: tally.diverged - noiseOnly, noiseOnly };
}
