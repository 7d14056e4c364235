// Field-by-field diff of two structural digests (leaf path -> value hash). Ignore rules are
// consulted only for paths that differ, so equal fields cost one lookup each.

import type { RouteIgnore } from './ignoreRules.js';
import type { FieldDiff } from '../types.js';

export interface FieldDiffResult {
  diffs: FieldDiff[];
  /** differences dropped by ignore rules */
  ignored: number;
}

/** Shared by every pair without field differences, so a match allocates no array. */
export const NO_DIFFS: FieldDiff[] = [];
Object.freeze(NO_DIFFS);

/**
 * Plain property access is safe here: the wire schema only admits field paths that start with
 * `$`, and no Object.prototype member does.
 */
export function diffFields(
  primary: Readonly<Record<string, string>>,
  shadow: Readonly<Record<string, string>>,
  ignore: Pick<RouteIgnore, 'field'>,
): FieldDiffResult {
  let diffs = NO_DIFFS;
  let ignored = 0;
  for (const path in primary) {
    const p = primary[path];
    const s = shadow[path];
    if (p === s || p === undefined) continue;
    if (ignore.field(path)) {
      ignored++;
      continue;
    }
    if (diffs === NO_DIFFS) diffs = [];
    diffs.push({ path, change: s === undefined ? 'missing_in_shadow' : 'changed', primary: p, shadow: s ?? null });
  }
  for (const path in shadow) {
    const s = shadow[path];
    if (primary[path] !== undefined || s === undefined) continue;
    if (ignore.field(path)) {
      ignored++;
      continue;
    }
    if (diffs === NO_DIFFS) diffs = [];
    diffs.push({ path, change: 'extra_in_shadow', primary: null, shadow: s });
  }
  return { diffs, ignored };
}
