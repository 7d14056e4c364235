// Finding the bytes JSON treats specially inside a string — `"`, `\` and the control bytes
// below 0x20 — eight bytes per step. The string scanner of the digest and the JSON string
// writer both skip the runs between them.

const ONES: u64 = 0x0101010101010101;
const HIGH_BITS: u64 = 0x8080808080808080;
const QUOTES: u64 = 0x2222222222222222;
const BACKSLASHES: u64 = 0x5c5c5c5c5c5c5c5c;
const SPACES: u64 = 0x2020202020202020;

/**
 * The high bit of each byte of `word` that is `"`, `\` or below 0x20 — exact up to the lowest
 * such byte (a borrow only runs upwards from a match), which is all the callers look at.
 */
// @ts-ignore: decorator
@inline
function specialBytes(word: u64): u64 {
  const quotes = word ^ QUOTES;
  const backslashes = word ^ BACKSLASHES;
  return (((quotes - ONES) & ~quotes) | ((backslashes - ONES) & ~backslashes) | ((word - SPACES) & ~word)) & HIGH_BITS;
}

// @ts-ignore: decorator
@inline
export function isJsonSpecial(c: u32): bool {
  return c == 0x22 || c == 0x5c || c < 0x20;
}

/** The address of the first special byte in [ptr, end), or `end` if there is none. */
// (inlined: called once per string and key, mostly for a few bytes)
// @ts-ignore: decorator
@inline
export function firstJsonSpecial(ptr: usize, end: usize): usize {
  while (ptr + 8 <= end) {
    const found = specialBytes(load<u64>(ptr));
    if (found != 0) return ptr + <usize>(ctz<u64>(found) >> 3);
    ptr += 8;
  }
  while (ptr < end && !isJsonSpecial(<u32>load<u8>(ptr))) ptr++;
  return ptr;
}
