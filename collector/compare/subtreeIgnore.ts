// How ignore globs (ignoreRules.ts: `*` within one key, `[*]` any index, `**` anything, a glob
// also covering everything below what it matches) bear on a subtree entry, whose hash covers
// many leaves at once: `covered` when a glob matches the entry or one of its ancestors (every
// leaf under it is ignored), `reaches` when a glob may match something inside it (a part of a
// range, a member of a group, a descendant), else `none`. Matched on the path's segments with a
// small automaton over the glob's tokens, since a regular expression cannot tell "a prefix of
// something the glob matches" nor compare an index with a range.

import { parseSubtreePath, prefixName, type PathSegment } from './subtreePath.js';

export type GlobReach = 'covered' | 'reaches' | 'none';

type Token =
  | { kind: 'char'; char: string }
  /** `*`: any characters within one key */
  | { kind: 'star' }
  /** `**`: anything */
  | { kind: 'any' }
  /** `[*]`: any index */
  | { kind: 'anyIndex' }
  /** `[n]`: index n */
  | { kind: 'index'; index: number };

const LITERAL_INDEX = /^\[(\d+)\]/;

export function globTokens(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**', i)) {
      tokens.push({ kind: 'any' });
      i++;
    } else if (glob.startsWith('[*]', i)) {
      tokens.push({ kind: 'anyIndex' });
      i += 2;
    } else if (glob[i] === '*') {
      tokens.push({ kind: 'star' });
    } else {
      const index = LITERAL_INDEX.exec(glob.slice(i));
      if (index !== null) {
        tokens.push({ kind: 'index', index: Number(index[1]) });
        i += index[0].length - 1;
      } else {
        tokens.push({ kind: 'char', char: glob[i]! });
      }
    }
  }
  return tokens;
}

/** A position in the glob's tokens; `partial`: an index matched only some items of a range. */
interface State {
  at: number;
  partial: boolean;
}

function closure(tokens: readonly Token[], states: readonly State[]): State[] {
  const out: State[] = [];
  const seen = new Set<string>();
  const stack = [...states];
  while (stack.length > 0) {
    const state = stack.pop()!;
    const key = `${state.at}:${state.partial}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(state);
    const token = tokens[state.at];
    if (token !== undefined && (token.kind === 'star' || token.kind === 'any')) stack.push({ at: state.at + 1, partial: state.partial });
  }
  return out;
}

function stepChar(tokens: readonly Token[], states: readonly State[], char: string): State[] {
  const next: State[] = [];
  for (const state of states) {
    const token = tokens[state.at];
    if (token === undefined) continue;
    if (token.kind === 'char' && token.char === char) next.push({ at: state.at + 1, partial: state.partial });
    else if (token.kind === 'any' || (token.kind === 'star' && char !== '.' && char !== '[')) next.push(state);
  }
  return closure(tokens, next);
}

function stepIndex(tokens: readonly Token[], states: readonly State[], first: number, last: number): State[] {
  const next: State[] = [];
  for (const state of states) {
    const token = tokens[state.at];
    if (token === undefined) continue;
    if (token.kind === 'any') next.push(state);
    else if (token.kind === 'anyIndex') next.push({ at: state.at + 1, partial: state.partial });
    else if (token.kind === 'index' && first <= token.index && token.index <= last)
      next.push({ at: state.at + 1, partial: state.partial || first !== last });
  }
  return closure(tokens, next);
}

/** True when the state can go on into a descendant: the glob continues with a new segment. */
function continuesBelow(tokens: readonly Token[], state: State): boolean {
  const token = tokens[state.at];
  if (token === undefined) return false;
  return (
    token.kind === 'any' ||
    token.kind === 'anyIndex' ||
    token.kind === 'index' ||
    (token.kind === 'char' && (token.char === '.' || token.char === '['))
  );
}

/** True when what is left of the glob from `state` matches every member of an object: `.*`, `**` or `.**`. */
function matchesEveryMember(tokens: readonly Token[], state: State): boolean {
  const rest = tokens.slice(state.at);
  const [first, second] = rest;
  if (first?.kind === 'any') return rest.length === 1;
  return rest.length === 2 && first?.kind === 'char' && first.char === '.' && (second?.kind === 'star' || second?.kind === 'any');
}

/**
 * True when what is left of the glob from `state` may match a scalar member of an object: a
 * single key segment (scalars have nothing below them), or anything with `**`.
 */
function mayMatchMember(tokens: readonly Token[], state: State): boolean {
  const rest = tokens.slice(state.at);
  if (rest.some((token) => token.kind === 'any')) return true;
  const [first] = rest;
  if (first?.kind !== 'char') return false;
  // a quoted key ["..."] may hold any character: take it as one segment
  if (first.char === '[') return true;
  if (first.char !== '.') return false;
  return rest.slice(1).every((token) => token.kind === 'star' || (token.kind === 'char' && token.char !== '.' && token.char !== '['));
}

/** What one glob says about the entry of `segments`. */
function reachOf(tokens: readonly Token[], segments: readonly PathSegment[]): GlobReach {
  let states = closure(tokens, stepChar(tokens, closure(tokens, [{ at: 0, partial: false }]), '$'));
  let reaches = false;
  for (const segment of segments) {
    // a boundary: a glob that ends here matches an ancestor of the entry
    for (const state of states) {
      if (state.at !== tokens.length) continue;
      if (!state.partial) return 'covered';
      reaches = true;
    }
    if (segment.kind === 'group') {
      // the group's members have keys the name does not say: any glob that goes on may match one
      if (states.some((state) => !state.partial && matchesEveryMember(tokens, state))) return 'covered';
      return reaches || states.some((state) => mayMatchMember(tokens, state)) ? 'reaches' : 'none';
    }
    if (segment.kind === 'index') {
      states = stepIndex(tokens, states, segment.first, segment.last);
    } else {
      for (const char of segment.text) states = stepChar(tokens, states, char);
    }
    if (states.length === 0) return reaches ? 'reaches' : 'none';
  }
  for (const state of states) {
    if (state.at !== tokens.length) continue;
    if (!state.partial) return 'covered';
    reaches = true;
  }
  // the glob matched part of a range, or goes on below the entry
  return reaches || states.some((state) => continuesBelow(tokens, state)) ? 'reaches' : 'none';
}

const RANK: Record<GlobReach, number> = { none: 0, reaches: 1, covered: 2 };

/**
 * The report row of `name` (fieldRows.ts) with the name's own indices and ranges kept: the row
 * spelling is there for globs on collapsed keys (`[{key}]`), and a row's `[*]` would make every
 * index glob reach into every range.
 */
export function keyRowSpelling(name: string, row: string): string | null {
  const named = parseSubtreePath(name);
  const rowSegments = parseSubtreePath(row);
  if (named === null || rowSegments === null || named.length !== rowSegments.length) return null;
  return prefixName(
    rowSegments.map((segment, i) => (segment.kind === 'key' ? segment : named[i]!)),
    named.length,
  );
}

/** The strongest verdict of any glob over any of the spellings of an entry's name (as written, as its report row). */
export function globReach(globs: readonly (readonly Token[])[], names: readonly string[]): GlobReach {
  let verdict: GlobReach = 'none';
  for (const name of names) {
    const segments = parseSubtreePath(name);
    // a name outside the grammar is matched by nothing: treat it as reachable, never as equal
    if (segments === null) return globs.length > 0 ? 'reaches' : 'none';
    for (const tokens of globs) {
      const reach = reachOf(tokens, segments);
      if (RANK[reach] > RANK[verdict]) verdict = reach;
      if (verdict === 'covered') return verdict;
    }
  }
  return verdict;
}
