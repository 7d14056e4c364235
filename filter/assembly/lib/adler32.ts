// Adler-32, the check value of a zlib stream (RFC 1950 section 9), computed incrementally.

const MOD: u32 = 65521;
// The most bytes whose sums cannot overflow 32 bits before the modulo (zlib's NMAX).
const BLOCK: usize = 5552;

/** The Adler-32 of the bytes so far, given `adler` (1 for none) and `length` more bytes at `ptr`. */
export function adler32Update(adler: u32, ptr: usize, length: usize): u32 {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  const end = ptr + length;
  while (ptr < end) {
    let blockEnd = ptr + BLOCK;
    if (blockEnd > end) blockEnd = end;
    while (ptr < blockEnd) {
      a += load<u8>(ptr);
      b += a;
      ptr++;
    }
    a %= MOD;
    b %= MOD;
  }
  return (b << 16) | a;
}
