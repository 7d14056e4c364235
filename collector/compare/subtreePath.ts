// The names of subtree entries (wire format 2's subtreeRuns): a field path, optionally ending in
// an item range `[a..b]` of an array, a key-hash share `{r/g}` of an object's scalar members, or
// (merged at the filter's bound) a group `{a..b}` of an object's members by position. Parsed
// into segments, so that the localizer can find an entry's parent and ignore globs can be
// matched against what an entry covers.

export type PathSegment =
  /** `.key` or `["key"]`, as written */
  | { kind: 'key'; text: string }
  /** `[i]`, or the items `[first..last]` */
  | { kind: 'index'; text: string; first: number; last: number }
  /** `{r/g}` or `{a..b}`: members of an object the name does not list (always the last segment) */
  | { kind: 'group'; text: string };

// `[*]` and `{*}` are how report rows spell them (fieldRows.ts)
const INDEX = /^\[(\d+|\*)(?:\.\.(\d+))?\]/;
const GROUP = /^\{(?:\d+(?:\/|\.\.)\d+|\*)\}$/;
const IDENTIFIER = /^\.[A-Za-z_][A-Za-z0-9_]*/;

/** The segments after `$`, or null when `name` does not follow the grammar. */
export function parseSubtreePath(name: string): PathSegment[] | null {
  if (!name.startsWith('$')) return null;
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < name.length) {
    const rest = name.slice(i);
    const identifier = IDENTIFIER.exec(rest);
    if (identifier !== null) {
      segments.push({ kind: 'key', text: identifier[0] });
      i += identifier[0].length;
      continue;
    }
    if (rest.startsWith('["')) {
      const end = closingQuote(rest, 2);
      if (end < 0 || rest[end + 1] !== ']') return null;
      segments.push({ kind: 'key', text: rest.slice(0, end + 2) });
      i += end + 2;
      continue;
    }
    const index = INDEX.exec(rest);
    if (index !== null) {
      const any = index[1] === '*';
      const first = any ? 0 : Number(index[1]);
      const last = any ? Number.POSITIVE_INFINITY : index[2] === undefined ? first : Number(index[2]);
      segments.push({ kind: 'index', text: index[0], first, last });
      i += index[0].length;
      continue;
    }
    const group = GROUP.exec(rest);
    if (group !== null) {
      segments.push({ kind: 'group', text: group[0] });
      i = name.length;
      continue;
    }
    return null;
  }
  return segments;
}

/** The name of the first `count` segments. */
export function prefixName(segments: readonly PathSegment[], count: number): string {
  let name = '$';
  for (let i = 0; i < count; i++) name += segments[i]!.text;
  return name;
}

function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
