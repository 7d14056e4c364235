// Adds what the captured values say to a pair's field differences: both values as the report
// shows them, the magnitude of a numeric difference, and whether it is within the field's
// tolerance. Differences within tolerance leave the list of divergences for their own list.

import { display } from '../ingest/capturedValue.js';
import { numericDifference } from './magnitude.js';
import type { Tolerances } from './tolerance.js';
import type { FieldDiff } from './divergence.js';

export interface ValuedDiffs {
  diffs: FieldDiff[];
  withinTolerance: FieldDiff[];
}

const NONE: FieldDiff[] = [];
Object.freeze(NONE);

export function withValues(
  diffs: FieldDiff[],
  primary: Readonly<Record<string, string>> | undefined,
  shadow: Readonly<Record<string, string>> | undefined,
  tolerances: Tolerances,
): ValuedDiffs {
  if ((primary === undefined && shadow === undefined) || diffs.length === 0) return { diffs, withinTolerance: NONE };
  const diverging: FieldDiff[] = [];
  let withinTolerance = NONE;
  for (const diff of diffs) {
    // Paths start with `$`, so no Object.prototype member is one.
    const p = primary?.[diff.path];
    const s = shadow?.[diff.path];
    if (p === undefined && s === undefined) {
      diverging.push(diff);
      continue;
    }
    const valued: FieldDiff = {
      ...diff,
      primaryValue: p === undefined ? null : display(p),
      shadowValue: s === undefined ? null : display(s),
    };
    const difference = numericDifference(p, s);
    if (difference !== null) valued.magnitude = { abs: difference.abs, rel: difference.rel };
    if (difference !== null && tolerances.within(diff.path, difference)) {
      if (withinTolerance === NONE) withinTolerance = [];
      withinTolerance.push(valued);
    } else {
      diverging.push(valued);
    }
  }
  return { diffs: diverging, withinTolerance };
}
