// A canonical Huffman code of deflate (RFC 1951 section 3.2.2), built from its code lengths,
// decoded from a bit buffer that holds the stream's next bits least significant first.
//
// Codes of up to FAST_BITS bits are found with one lookup of the buffer's low bits; the rare
// longer ones (by construction the least frequent symbols) are decoded bit by bit from the
// counts per length. Decoding never consumes: it says how many bits the symbol takes, or that
// the buffer holds too few bits to tell yet (the stream continues in the next chunk), or that
// the bits are no code at all.

export const FAST_BITS: u32 = 10;
export const FAST_MASK: u64 = (1 << FAST_BITS) - 1;
export const MAX_CODE_BITS: u32 = 15;

/** A decoding result that is no symbol: more bits needed to decide. */
export const DECODE_NEED_BITS: i32 = -1;
/** A decoding result that is no symbol: the bits are no code of the table. */
export const DECODE_INVALID: i32 = -2;

export class HuffmanTable {
  /** Indexed by the next FAST_BITS bits: symbol << 4 | code length; 0 for a longer code (or none). */
  readonly fast: StaticArray<u16> = new StaticArray<u16>(1 << FAST_BITS);
  /** Codes per length 0..15. */
  private readonly counts: StaticArray<u16> = new StaticArray<u16>(MAX_CODE_BITS + 1);
  /** Symbols in canonical order (by length, then value). */
  private readonly symbols: StaticArray<u16>;
  /** Scratch of build(): each length's next place in `symbols`. */
  private readonly offsets: StaticArray<u16> = new StaticArray<u16>(MAX_CODE_BITS + 2);

  constructor(readonly maxSymbols: i32) {
    this.symbols = new StaticArray<u16>(maxSymbols);
  }

  /**
   * Builds the code of `count` symbols whose lengths are `lengths[offset..offset+count)`.
   * False for lengths that are no prefix code: over-subscribed, or incomplete unless
   * `allowSingle` and at most one code of one bit is defined (RFC 1951 allows one distance
   * code; as in zlib, such a table rejects the unused bit pattern when it is met).
   */
  build(lengths: StaticArray<u8>, offset: i32, count: i32, allowSingle: bool): bool {
    if (count > this.maxSymbols || offset + count > lengths.length) return false;
    const counts = this.counts;
    for (let i = 0; i <= <i32>MAX_CODE_BITS; i++) unchecked((counts[i] = 0));
    let maxLength: u32 = 0;
    for (let i = 0; i < count; i++) {
      const length = <u32>unchecked(lengths[offset + i]);
      if (length > MAX_CODE_BITS) return false;
      unchecked((counts[length] += 1));
      if (length > maxLength) maxLength = length;
    }
    unchecked((counts[0] = 0));
    let left: i32 = 1;
    for (let length = 1; length <= <i32>MAX_CODE_BITS; length++) {
      left = (left << 1) - <i32>unchecked(counts[length]);
      if (left < 0) return false;
    }
    if (left > 0 && !(allowSingle && maxLength <= 1)) return false;

    // Offsets of each length's first symbol in canonical order.
    const offsets = this.offsets;
    unchecked((offsets[1] = 0));
    for (let length = 1; length <= <i32>MAX_CODE_BITS; length++) unchecked((offsets[length + 1] = offsets[length] + counts[length]));
    const symbols = this.symbols;
    for (let i = 0; i < count; i++) {
      const length = <i32>unchecked(lengths[offset + i]);
      if (length == 0) continue;
      const at = <i32>unchecked(offsets[length]);
      unchecked((symbols[at] = <u16>i));
      unchecked((offsets[length] = <u16>(at + 1)));
    }

    const fast = this.fast;
    memory.fill(changetype<usize>(fast), 0, (1 << FAST_BITS) << 1);
    let code: u32 = 0;
    let index = 0;
    for (let length: u32 = 1; length <= FAST_BITS; length++) {
      const n = <i32>unchecked(counts[length]);
      for (let k = 0; k < n; k++) {
        const entry = <u16>((<u32>unchecked(symbols[index]) << 4) | length);
        // The stream sends a code's most significant bit first: index the table by it reversed.
        const reversed = reverseBits(code, length);
        for (let slot = reversed; slot < (<u32>1 << FAST_BITS); slot += <u32>1 << length) unchecked((fast[slot] = entry));
        code++;
        index++;
      }
      code <<= 1;
    }
    return true;
  }

  /** The symbol << 4 | length of the code at the bottom of `hold` (`bits` of it valid), or DECODE_*. */
  // @ts-ignore: decorator
  @inline
  decode(hold: u64, bits: u32): i32 {
    const entry = <i32>unchecked(this.fast[<i32>(hold & FAST_MASK)]);
    const length = <u32>(entry & 15);
    if (length != 0 && length <= bits) return entry;
    return this.decodeSlow(hold, bits);
  }

  /** Bit by bit from the counts per length (puff's canonical decoding). */
  private decodeSlow(hold: u64, bits: u32): i32 {
    const counts = this.counts;
    let code: i32 = 0;
    let first: i32 = 0;
    let index: i32 = 0;
    for (let length: u32 = 1; length <= MAX_CODE_BITS; length++) {
      if (length > bits) return DECODE_NEED_BITS;
      code |= <i32>((hold >> (length - 1)) & 1);
      const count = <i32>unchecked(counts[length]);
      if (code - first < count) return (<i32>unchecked(this.symbols[index + code - first]) << 4) | <i32>length;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return DECODE_INVALID;
  }
}

function reverseBits(code: u32, length: u32): u32 {
  let reversed: u32 = 0;
  for (let i: u32 = 0; i < length; i++) {
    reversed = (reversed << 1) | (code & 1);
    code >>= 1;
  }
  return reversed;
}
