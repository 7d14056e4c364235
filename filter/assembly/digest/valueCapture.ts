// Value capture: the values of the scalar leaves whose path `digest.capture` selects, recorded as
// the structural digest meets them, in the same canonical form their hashes cover (so 8.50 is
// captured as 8.5, "caf\u00e9" as café). Encoded as wire format 2's `values` member: one
// `[k,"<tag><text>"]` per captured leaf, k its index in the record's leaves, the tag that of the
// leaf's canonical bytes (n number, s string, p a string cut to its first maxStringBytes bytes,
// t / f / z true, false, null). A record's captured bytes are bounded by `maxBytes`; values past
// it are left out and the record says so (`valuesTruncated`).
import { CaptureOptions, GLOB_ANY, GLOB_DIGITS, GLOB_STAR, PathGlob } from "../config/captureOptions";
import { ByteWriter } from "../lib/byteWriter";

export const TAG_PREFIX: u32 = 0x70; // p: a string cut short

const EMPTY = new ArrayBuffer(0);

export class ValueCapture {
  /** `[k,"…"],` entries of the values captured so far. */
  private entries: ByteWriter = new ByteWriter(256);
  private truncated: bool = false;
  /** The value being read: its tag, then its canonical bytes (strings up to maxStringBytes). */
  private pending: ByteWriter = new ByteWriter(64);
  private cut: bool = false;
  /** NFA state sets of the glob matcher, one byte per token position. */
  private current: Array<u8> = new Array<u8>();
  private next: Array<u8> = new Array<u8>();

  constructor(private options: CaptureOptions) {}

  /** True when the leaf at `path` is to be captured: an allow glob matches it and no deny glob. */
  selects(path: usize, length: i32): bool {
    const options = this.options;
    let allowed = false;
    for (let i = 0; i < options.paths.length && !allowed; i++) allowed = this.matches(unchecked(options.paths[i]), path, length);
    if (!allowed) return false;
    for (let i = 0; i < options.deny.length; i++) if (this.matches(unchecked(options.deny[i]), path, length)) return false;
    return true;
  }

  /**
   * Whether `glob` matches the path or a path it lies below (`$.totals` covers
   * `$.totals.converted`), as the collector's ignore rules match: a token-position set advanced
   * byte by byte, so any mix of wildcards costs path length × glob length at most.
   */
  private matches(glob: PathGlob, path: usize, length: i32): bool {
    const tokens = glob.tokens;
    const n = tokens.length;
    if (length < glob.prefixLength) return false;
    for (let i = 0; i < glob.prefixLength; i++) if (<i32>load<u8>(path + i) != unchecked(tokens[i])) return false;
    const current = this.current;
    const next = this.next;
    if (current.length < n + 1) {
      current.length = n + 1;
      next.length = n + 1;
    }
    for (let i = 0; i <= n; i++) unchecked((current[i] = 0));
    unchecked((current[glob.prefixLength] = 1));
    closeOver(tokens, current, n);
    for (let p = glob.prefixLength; p < length; p++) {
      const c = <i32>load<u8>(path + p);
      if (unchecked(current[n]) != 0 && (c == 0x2e || c == 0x5b)) return true;
      for (let i = 0; i <= n; i++) unchecked((next[i] = 0));
      let any = false;
      for (let i = 0; i < n; i++) {
        if (unchecked(current[i]) == 0) continue;
        const token = unchecked(tokens[i]);
        if (token == GLOB_ANY || (token == GLOB_STAR && c != 0x2e && c != 0x5b)) {
          unchecked((next[i] = 1));
          any = true;
        } else if (token == GLOB_DIGITS) {
          if (c - 0x30 < 10 && c >= 0x30) {
            unchecked((next[i] = 1));
            unchecked((next[i + 1] = 1));
            any = true;
          }
        } else if (token == c) {
          unchecked((next[i + 1] = 1));
          any = true;
        }
      }
      if (!any) return false;
      closeOver(tokens, next, n);
      for (let i = 0; i <= n; i++) unchecked((current[i] = next[i]));
    }
    return unchecked(current[n]) != 0;
  }

  begin(tag: u32): void {
    this.pending.reset();
    this.pending.byte(tag);
    this.cut = false;
  }

  /** Decoded string bytes of the value; past maxStringBytes only the cut is noted. */
  stringBytes(ptr: usize, length: usize): void {
    const room = this.options.maxStringBytes + 1 - this.pending.length;
    if (<i32>length <= room) {
      this.pending.bytes(ptr, <i32>length);
      return;
    }
    if (room > 0) this.pending.bytes(ptr, room);
    this.cut = true;
  }

  /** A number's canonical pieces, as the digest hashes them: [-]int[.frac][e[-]exp]. */
  canonicalNumber(negative: bool, int: usize, intLength: i32, frac: usize, fracLength: i32, expNegative: bool, exp: usize, expLength: i32): void {
    const pending = this.pending;
    if (negative) pending.byte(0x2d);
    pending.bytes(int, intLength);
    if (fracLength > 0) {
      pending.byte(0x2e);
      pending.bytes(frac, fracLength);
    }
    if (expLength > 0) {
      pending.byte(0x65);
      if (expNegative) pending.byte(0x2d);
      pending.bytes(exp, expLength);
    }
  }

  /** Records the value just read as the record's leaf `ordinal`, if it fits the record's bound. */
  commit(ordinal: i32): void {
    const pending = this.pending;
    if (this.cut) {
      store<u8>(pending.dataStart, <u8>TAG_PREFIX);
      // never split a UTF-8 sequence: a character cut in two is left out whole
      const end = pending.length;
      let lead = end - 1;
      while (lead > 1 && (load<u8>(pending.dataStart + lead) & 0xc0) == 0x80) lead--;
      const first = <u32>load<u8>(pending.dataStart + lead);
      const needed = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
      if (lead >= 1 && end - lead < needed) pending.length = lead;
    }
    const entries = this.entries;
    const before = entries.length;
    entries.byte(0x5b);
    entries.decimal(<u64>ordinal);
    entries.byte(0x2c);
    entries.jsonStringBytes(pending.dataStart, pending.length);
    entries.byte(0x5d);
    entries.byte(0x2c);
    if (entries.length > this.options.maxBytes) {
      entries.length = before;
      this.truncated = true;
    }
  }

  /** The document turned out malformed: nothing it held is sent. */
  reset(): void {
    this.entries.reset();
    this.truncated = false;
  }

  /** `,"values":[…]` (and `,"valuesTruncated":true` when some did not fit), or nothing. */
  member(): ArrayBuffer {
    const entries = this.entries;
    if (entries.length == 0 && !this.truncated) return EMPTY;
    const out = new ByteWriter(entries.length + 48);
    out.raw(",\"values\":[");
    if (entries.length > 0) out.bytes(entries.dataStart, entries.length - 1);
    out.byte(0x5d);
    if (this.truncated) out.raw(",\"valuesTruncated\":true");
    return out.toArrayBuffer();
  }
}

/** Adds to `states` every position reachable without input: past `*`, `**` (they match nothing too). */
function closeOver(tokens: Array<i32>, states: Array<u8>, n: i32): void {
  for (let i = 0; i < n; i++) {
    const token = unchecked(tokens[i]);
    if (unchecked(states[i]) != 0 && (token == GLOB_ANY || token == GLOB_STAR)) unchecked((states[i + 1] = 1));
  }
}
