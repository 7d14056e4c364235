// Value capture (`digest.capture`): which scalar leaves the digest also records by value, for the
// collector to show and measure. Off unless `paths` names some; `deny` wins over `paths`, so a
// broad allow-list never leaks a field an operator marked as personal data. The globs are
// compiled once, at configure time, into byte tokens the digest matches paths against.

/** A glob token that is not a literal byte. */
export const GLOB_STAR: i32 = -1; // `*`: any bytes within one key (no `.` or `[`)
export const GLOB_ANY: i32 = -2; // `**`: any bytes
export const GLOB_DIGITS: i32 = -3; // the digits of `[*]`: one or more

/** Longest glob accepted, in bytes. */
export const MAX_GLOB_BYTES: i32 = 256;
export const MAX_GLOBS: i32 = 32;
/** Bounds of the string prefix kept and of the captured bytes per record. */
export const MAX_STRING_BYTES: i32 = 256;
export const MIN_RECORD_BYTES: i32 = 64;
export const MAX_RECORD_BYTES: i32 = 16384;

/** A field path glob, with the grammar of the collector's ignore rules: `*`, `[*]`, `**`. */
export class PathGlob {
  /** Literal bytes (0-255) and GLOB_* tokens. */
  tokens: Array<i32> = new Array<i32>();
  /** Length of the literal prefix: a path that does not start with it cannot match. */
  prefixLength: i32 = 0;
}

export class CaptureOptions {
  paths: Array<PathGlob> = new Array<PathGlob>();
  deny: Array<PathGlob> = new Array<PathGlob>();
  /** UTF-8 bytes of a string value kept; longer strings are sent as their prefix, marked cut. */
  maxStringBytes: i32 = 32;
  /** Bytes of captured values per record (as encoded); values past it are left out, marked. */
  maxBytes: i32 = 512;

  get enabled(): bool {
    return this.paths.length > 0;
  }
}

/** `text` compiled into `glob`, or why it is no glob ("" when it is one). */
export function compileGlob(text: string, glob: PathGlob): string {
  const bytes = Uint8Array.wrap(String.UTF8.encode(text));
  if (bytes.length == 0 || bytes[0] != 0x24) return "must start with \"$\" (a field path such as $.totals.converted)";
  if (bytes.length > MAX_GLOB_BYTES) return "must be at most " + MAX_GLOB_BYTES.toString() + " bytes";
  const tokens = glob.tokens;
  let literal = true;
  for (let i = 0; i < bytes.length; i++) {
    const c = <i32>bytes[i];
    if (c == 0x2a && i + 1 < bytes.length && bytes[i + 1] == 0x2a) {
      tokens.push(GLOB_ANY);
      i++;
      literal = false;
    } else if (c == 0x5b && i + 2 < bytes.length && bytes[i + 1] == 0x2a && bytes[i + 2] == 0x5d) {
      tokens.push(0x5b);
      tokens.push(GLOB_DIGITS);
      tokens.push(0x5d);
      i += 2;
      literal = false;
    } else if (c == 0x2a) {
      tokens.push(GLOB_STAR);
      literal = false;
    } else {
      tokens.push(c);
      if (literal) glob.prefixLength++;
    }
  }
  return "";
}
