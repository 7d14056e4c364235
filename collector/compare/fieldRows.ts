// One report row per field, however long the array or however many ids a map is keyed by:
// `$.items[3].price` -> `$.items[*].price`, and map keys that look like ids collapse the way
// id-like path segments do in routes: `$.prices["sku-123"].amount` -> `$.prices[{key}].amount`.
// Without this, an API with id-keyed maps fills the per-route field table with one-off rows.
// The rows are what the scoreboard counts and what ignore rules also match against.

import { isIdLike } from './routeTemplate.js';

export const KEY_PLACEHOLDER = '{key}';

export interface FieldRowOptions {
  /** collapse id-like map keys (the route classifier, or one of `keyPatterns`) to [{key}] */
  collapseKeys: boolean;
  /** extra regular expressions a whole key must match to collapse, e.g. `^sku-[0-9]+$` */
  keyPatterns: readonly string[];
}

/** Why `pattern` is not a usable key pattern, or null. */
export function keyPatternProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, 'u');
    return null;
  } catch {
    // Not the engine's message: it quotes the pattern, and configuration errors never echo values.
    return 'is not a valid regular expression (JavaScript syntax, unicode mode)';
  }
}

export class FieldRows {
  /** Array indices only: what rows were before map keys collapsed. */
  static readonly INDICES_ONLY = new FieldRows({ collapseKeys: false, keyPatterns: [] });

  private readonly patterns: RegExp[];

  constructor(private readonly options: FieldRowOptions) {
    this.patterns = options.keyPatterns.map((pattern) => new RegExp(pattern, 'u'));
  }

  /** The row of a wire field path (grammar in the wire schema); allocates only when something collapses. */
  row(path: string): string {
    if (!path.includes('[') && !path.includes('{') && !this.options.collapseKeys) return path;
    let out = '';
    let copied = 0;
    let i = 1;
    while (i < path.length) {
      const start = i;
      let replacement: string | null = null;
      if (path[i] === '.') {
        i++;
        while (i < path.length && path[i] !== '.' && path[i] !== '[' && path[i] !== '{') i++;
        if (this.isIdKey(path.slice(start + 1, i))) replacement = `[${KEY_PLACEHOLDER}]`;
      } else if (path[i] === '[' && path[i + 1] === '"') {
        const end = closingQuote(path, i + 2);
        i = Math.min(path.length, end + 2);
        if (this.isIdKey(decodeKey(path.slice(start + 2, end)))) replacement = `[${KEY_PLACEHOLDER}]`;
      } else if (path[i] === '[' || path[i] === '{') {
        // an index, or a subtree entry's item range [a..b], key-hash share {r/g} or member group {a..b} (subtreePath.ts)
        const group = path[i] === '{';
        i = pastDigits(path, i + 1);
        const digits = i > start + 1;
        if (digits && path.startsWith('..', i)) i = pastDigits(path, i + 2);
        else if (digits && group && path[i] === '/') i = pastDigits(path, i + 1);
        if (digits && path[i] === (group ? '}' : ']')) {
          i++;
          replacement = group ? '{*}' : '[*]';
        }
      } else {
        i++;
      }
      if (replacement !== null) {
        out += path.slice(copied, start) + replacement;
        copied = i;
      }
    }
    return copied === 0 ? path : out + path.slice(copied);
  }

  private isIdKey(key: string): boolean {
    if (!this.options.collapseKeys || key.length === 0) return false;
    // Keys over 256 bytes are written by their hash (["#1a2b3c4d"]): values, not names.
    if (/^#[0-9a-f]{8}$/.test(key)) return true;
    return isIdLike(key) || this.patterns.some((pattern) => pattern.test(key));
  }
}

function pastDigits(path: string, from: number): number {
  let i = from;
  while (i < path.length && path.charCodeAt(i) >= 48 && path.charCodeAt(i) <= 57) i++;
  return i;
}

/** Index of the `"` that closes a quoted key starting at `from` (escapes honoured), or the end. */
function closingQuote(path: string, from: number): number {
  for (let i = from; i < path.length; i++) {
    if (path[i] === '\\') i++;
    else if (path[i] === '"') return i;
  }
  return path.length;
}

function decodeKey(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
