// Localises the difference between two documents beyond the leaf budget from their subtree
// digests (wire format 2's subtreeRuns; filter/assembly/digest/subtreeDigest.ts). The entries
// form a tree by their names: the root `$`, containers with more leaves than the budget
// ("nodes"), and below them members, item ranges `[a..b]` and scalar groups `{a..b}` of at most
// the budget's leaves. Equal roots are equal documents (whatever the key order, whitespace or
// spelling); otherwise the descent goes from the root into every differing node and stops at
// the deepest entries that differ. A node whose positional children (ranges, groups) do not
// line up between the legs (items inserted or removed) is itself the deepest place known to
// differ. Leaves the records list (the first maxFields) refine an entry to its changed leaves.
//
// Ignore rules: an entry's hash covers every leaf under it, including ignored ones, so a
// differing entry that an ignore glob covers is ignored, and one that a glob only reaches into
// (a descendant, a part of a range) is *inconclusive*: it may differ only where differences are
// ignored, so it is not a divergence, but it is reported as such so that nothing is hidden.

import type { RouteIgnore } from './ignoreRules.js';
import { parseSubtreePath, prefixName, type PathSegment } from './subtreePath.js';
import type { FieldDiff, IngestedRecord } from '../types.js';

export interface SubtreeDiffResult {
  /** the deepest differing entries, or the changed leaves under them */
  diffs: FieldDiff[];
  /** differing entries that ignore globs reach into: not counted as divergence */
  inconclusive: FieldDiff[];
  /** differences dropped by ignore rules (entries they cover, leaves they match) */
  ignored: number;
}

export const ROOT = '$';

/** True when both legs can be compared by their subtrees: each carries a subtree digest with its root. */
export function hasSubtreeRoot(record: IngestedRecord): boolean {
  return record.subtrees !== undefined && Object.hasOwn(record.subtrees, ROOT);
}

interface Entry {
  name: string;
  segments: PathSegment[];
  /** named by position (a range or a group), so it lines up only when the structure does */
  positional: boolean;
  children: Entry[];
}

/** The entries of both legs as a tree under the root, each under its nearest ancestor entry. */
function entryTree(names: readonly string[]): Entry {
  const byName = new Map<string, Entry>();
  for (const name of names) {
    const segments = parseSubtreePath(name) ?? [];
    const last = segments.at(-1);
    byName.set(name, { name, segments, positional: last !== undefined && last.kind !== 'key', children: [] });
  }
  let root = byName.get(ROOT);
  if (root === undefined) {
    root = { name: ROOT, segments: [], positional: false, children: [] };
    byName.set(ROOT, root);
  }
  for (const entry of byName.values()) {
    if (entry === root) continue;
    let parent = root;
    for (let count = entry.segments.length - 1; count > 0; count--) {
      const found = byName.get(prefixName(entry.segments, count));
      if (found !== undefined) {
        parent = found;
        break;
      }
    }
    parent.children.push(entry);
  }
  return root;
}

/** True when the leaf path `leaf` lies inside the entry (a range by its indices; a group: any direct member). */
function covers(entry: Entry, leaf: string): boolean {
  const last = entry.segments.at(-1);
  if (last === undefined) return true;
  if (last.kind === 'key') return leaf.startsWith(entry.name) && isBoundary(leaf, entry.name.length);
  const parent = prefixName(entry.segments, entry.segments.length - 1);
  if (!leaf.startsWith(parent)) return false;
  const rest = parseSubtreePath(`$${leaf.slice(parent.length)}`)?.[0];
  if (rest === undefined) return false;
  if (last.kind === 'index') return rest.kind === 'index' && rest.first >= last.first && rest.first <= last.last;
  // a group's members are the object's scalar members; which positions, the name does not say
  return rest.kind === 'key' && leaf.length === parent.length + rest.text.length;
}

function isBoundary(path: string, at: number): boolean {
  return at === path.length || path[at] === '.' || path[at] === '[';
}

export function localizeSubtrees(primary: IngestedRecord, shadow: IngestedRecord, ignore: RouteIgnore): SubtreeDiffResult {
  const result: SubtreeDiffResult = { diffs: [], inconclusive: [], ignored: 0 };
  const p = primary.subtrees ?? {};
  const s = shadow.subtrees ?? {};
  if (p[ROOT] !== undefined && p[ROOT] === s[ROOT]) return result;

  // Leaves both legs list and that changed: exact, and ignore rules apply to them one by one.
  const changedLeaves: string[] = [];
  for (const path in primary.fields) {
    const other = shadow.fields[path];
    if (other !== undefined && other !== primary.fields[path]) changedLeaves.push(path);
  }
  const reportedLeaves = new Set<string>();

  const hash = (map: Readonly<Record<string, string>>, name: string) => (Object.hasOwn(map, name) ? (map[name] ?? null) : null);
  const settle = (entry: Entry) => {
    const primaryHash = hash(p, entry.name);
    const shadowHash = hash(s, entry.name);
    const change = shadowHash === null ? 'missing_in_shadow' : primaryHash === null ? 'extra_in_shadow' : 'changed';
    const reach = ignore.subtree(entry.name);
    if (reach === 'covered') {
      result.ignored++;
      return;
    }
    let under = 0;
    let explained = false;
    for (const leaf of changedLeaves) {
      if (!covers(entry, leaf)) continue;
      under++;
      if (ignore.field(leaf)) continue;
      explained = true;
      if (reportedLeaves.has(leaf)) continue;
      reportedLeaves.add(leaf);
      result.diffs.push({ path: leaf, change: 'changed', primary: primary.fields[leaf] ?? null, shadow: shadow.fields[leaf] ?? null });
    }
    if (explained) return;
    const diff: FieldDiff = { path: entry.name, change, primary: primaryHash, shadow: shadowHash };
    if (reach === 'reaches' || under > 0) result.inconclusive.push(diff);
    else result.diffs.push(diff);
  };

  const descend = (node: Entry) => {
    const differing = node.children.filter((child) => hash(p, child.name) !== hash(s, child.name));
    const misaligned = differing.some((child) => child.positional && (hash(p, child.name) === null || hash(s, child.name) === null));
    if (differing.length === 0 || misaligned) {
      settle(node);
      return;
    }
    for (const child of differing) {
      if (child.children.length > 0 && hash(p, child.name) !== null && hash(s, child.name) !== null) descend(child);
      else settle(child);
    }
  };

  descend(entryTree([...new Set([...Object.keys(p), ...Object.keys(s)])]));
  // each ignored leaf once, however many entries cover it
  result.ignored += changedLeaves.filter((leaf) => ignore.field(leaf)).length;
  return result;
}
