// A streaming, resumable inflater: deflate (RFC 1951: stored, fixed and dynamic Huffman
// blocks) inside a gzip wrapper (RFC 1952, any number of members) or a zlib wrapper (RFC 1950;
// raw deflate is tolerated where zlib is expected, as browsers do).
//
// It is fed the body chunk by chunk as the proxy delivers it, split anywhere — inside a header,
// a Huffman code or a trailer: every state that needs more bits than it has waits for the next
// chunk with what it holds, and consumes nothing until it can finish its step. Its memory is
// fixed when it is created (the 32 KiB window, the code tables); decoding allocates nothing.
// Decoded bytes are handed out in place, as spans of the window, before they can be
// overwritten. Bad input — corrupt, truncated, over the size limit — ends decoding with an
// error, never a trap.
import { adler32Update } from "./adler32";
import { crc32Byte, crc32Update } from "./crc32";
import { DECODE_INVALID, DECODE_NEED_BITS, HuffmanTable } from "./huffmanTable";

export const WINDOW_SIZE: i32 = 32768;

export const enum InflateFormat {
  /** `content-encoding: gzip`: one or more gzip members. */
  Gzip,
  /** `content-encoding: deflate`: a zlib stream, or raw deflate if it has no zlib header. */
  Zlib,
}

export const enum InflateStatus {
  /** The input is used up; give the next chunk (or call finish()). */
  NeedInput,
  /** Decoded bytes wait at outPtr/outLength, valid until the next call. */
  Output,
  /** The stream ended, checks passed. */
  Done,
  /** Decoding stopped for good: see `error`. */
  Failed,
}

export const enum InflateError {
  None,
  /** Not a valid stream: bad header, code, distance, check value, or data after the end. */
  Corrupt,
  /** The body ended before the stream did. */
  Truncated,
  /** More decoded bytes than the limit allows. */
  TooLarge,
}

const enum Mode {
  Detect,
  GzipHeader,
  GzipExtraLength,
  GzipExtra,
  GzipName,
  GzipComment,
  GzipHeaderCrc,
  BlockHeader,
  StoredLengths,
  Stored,
  DynamicCounts,
  CodeLengthCodes,
  CodeLengths,
  Codes,
  LengthExtra,
  Distance,
  DistanceExtra,
  Copy,
  Trailer,
  MemberStart,
  End,
  Failed,
}

const enum Wrapper {
  Gzip,
  Zlib,
  Raw,
}

const GZIP_FTEXT_UNUSED: u32 = 0xe0;
const GZIP_FHCRC: u32 = 2;
const GZIP_FEXTRA: u32 = 4;
const GZIP_FNAME: u32 = 8;
const GZIP_FCOMMENT: u32 = 16;

const LENGTH_BASE: StaticArray<u16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE: StaticArray<u16> = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block sends its code length code lengths. */
const CODE_LENGTH_ORDER: StaticArray<u8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** The most bits one match takes: a 15-bit length code, 5 extra bits, a 15-bit distance code, 13 extra bits. */
const FAST_MATCH_BITS: u32 = 48;

const LITERAL_LENGTH_SYMBOLS = 288;
const DISTANCE_SYMBOLS = 32;
const END_OF_BLOCK = 256;

// The fixed codes of block type 1 (RFC 1951 section 3.2.6), shared by every inflater.
const FIXED_LITERALS = new HuffmanTable(LITERAL_LENGTH_SYMBOLS);
const FIXED_DISTANCES = new HuffmanTable(DISTANCE_SYMBOLS);
buildFixedTables();

function buildFixedTables(): void {
  const lengths = new StaticArray<u8>(LITERAL_LENGTH_SYMBOLS);
  for (let i = 0; i < LITERAL_LENGTH_SYMBOLS; i++) {
    let length: u8 = 8;
    if (i >= 144 && i < 256) length = 9;
    else if (i >= 256 && i < 280) length = 7;
    unchecked((lengths[i] = length));
  }
  FIXED_LITERALS.build(lengths, 0, LITERAL_LENGTH_SYMBOLS, false);
  for (let i = 0; i < DISTANCE_SYMBOLS; i++) unchecked((lengths[i] = 5));
  FIXED_DISTANCES.build(lengths, 0, DISTANCE_SYMBOLS, false);
}

export class Inflater {
  /** Where the last Output's bytes are, and how many. */
  outPtr: usize = 0;
  outLength: i32 = 0;
  /** Decoded bytes handed out, over all members. */
  totalOut: u64 = 0;
  error: InflateError = InflateError.None;

  private readonly window: StaticArray<u8> = new StaticArray<u8>(WINDOW_SIZE);
  private readonly lengths: StaticArray<u8> = new StaticArray<u8>(LITERAL_LENGTH_SYMBOLS + DISTANCE_SYMBOLS);
  private readonly dynamicLiterals: HuffmanTable = new HuffmanTable(LITERAL_LENGTH_SYMBOLS);
  private readonly dynamicDistances: HuffmanTable = new HuffmanTable(DISTANCE_SYMBOLS);
  private readonly codeLengthCode: HuffmanTable = new HuffmanTable(19);
  private literals: HuffmanTable = FIXED_LITERALS;
  private distances: HuffmanTable = FIXED_DISTANCES;

  private maxOutput: u64 = 0;
  private format: InflateFormat = InflateFormat.Gzip;
  private wrapper: Wrapper = Wrapper.Gzip;
  private mode: Mode = Mode.Detect;
  private inPtr: usize = 0;
  private inEnd: usize = 0;
  private sawInput: bool = false;
  /** The stream's next bits, least significant first; nothing above `bits` is set. */
  private hold: u64 = 0;
  private bits: u32 = 0;
  /** Next write position in the window, and the start of what is not yet handed out. */
  private write: i32 = 0;
  private flushed: i32 = 0;

  private finalBlock: bool = false;
  private check: u32 = 0;
  /** Decoded bytes handed out in this member (gzip's ISIZE; the reach of distances). */
  private memberOut: u64 = 0;
  private headerIndex: i32 = 0;
  private gzipFlags: u32 = 0;
  private headerCrc: u32 = 0;
  private remaining: u32 = 0;
  private literalCount: i32 = 0;
  private distanceCount: i32 = 0;
  private codeLengthCount: i32 = 0;
  private index: i32 = 0;
  private copyLength: u32 = 0;
  private copyDistance: u32 = 0;
  private extraBits: u32 = 0;

  /** Starts a new stream; the tables and window are reused. */
  reset(format: InflateFormat, maxOutput: u64): void {
    this.format = format;
    this.maxOutput = maxOutput;
    this.wrapper = format == InflateFormat.Gzip ? Wrapper.Gzip : Wrapper.Zlib;
    this.mode = format == InflateFormat.Gzip ? Mode.GzipHeader : Mode.Detect;
    this.inPtr = 0;
    this.inEnd = 0;
    this.sawInput = false;
    this.hold = 0;
    this.bits = 0;
    this.write = 0;
    this.flushed = 0;
    this.totalOut = 0;
    this.outPtr = 0;
    this.outLength = 0;
    this.error = InflateError.None;
    this.startMember();
  }

  private startMember(): void {
    this.finalBlock = false;
    this.check = this.wrapper == Wrapper.Gzip ? 0 : 1;
    this.memberOut = 0;
    this.headerIndex = 0;
    this.gzipFlags = 0;
    this.headerCrc = 0;
  }

  /** The next chunk of the encoded body; decode it with next() until it answers NeedInput. */
  input(ptr: usize, length: usize): void {
    this.inPtr = ptr;
    this.inEnd = ptr + length;
    if (length > 0) this.sawInput = true;
  }

  /** The body is over: Done if the stream ended properly (or there was no body), else Failed. */
  finish(): InflateStatus {
    if (this.mode == Mode.Failed) return InflateStatus.Failed;
    const atEnd = this.mode == Mode.End || (this.mode == Mode.MemberStart && this.bits == 0);
    if (atEnd || !this.sawInput) return InflateStatus.Done;
    return this.fail(InflateError.Truncated);
  }

  private fail(error: InflateError): InflateStatus {
    this.mode = Mode.Failed;
    this.error = error;
    return InflateStatus.Failed;
  }

  /** Takes input bytes into `hold` until it has `n` bits; false when the input ran out first. */
  // @ts-ignore: decorator
  @inline
  private need(n: u32): bool {
    while (this.bits < n) {
      if (this.inPtr >= this.inEnd) return false;
      this.hold |= (<u64>load<u8>(this.inPtr)) << this.bits;
      this.inPtr++;
      this.bits += 8;
    }
    return true;
  }

  /** Fills `hold` with as many whole bytes as fit (at least 56 bits when 8 input bytes are left). */
  // @ts-ignore: decorator
  @inline
  private refill(): void {
    if (this.inEnd - this.inPtr >= 8) {
      // One load of eight bytes; only those that fit whole are consumed, the rest masked off.
      const bits = this.bits;
      this.hold |= load<u64>(this.inPtr) << bits;
      this.inPtr += (63 - bits) >> 3;
      this.bits = bits | 56;
      this.hold &= (<u64>1 << this.bits) - 1;
      return;
    }
    while (this.bits <= 56 && this.inPtr < this.inEnd) {
      this.hold |= (<u64>load<u8>(this.inPtr)) << this.bits;
      this.inPtr++;
      this.bits += 8;
    }
  }

  // @ts-ignore: decorator
  @inline
  private take(n: u32): u32 {
    const value = <u32>(this.hold & ((<u64>1 << n) - 1));
    this.hold >>= n;
    this.bits -= n;
    return value;
  }

  /** A header byte (gzip), counted in the header's CRC. */
  // @ts-ignore: decorator
  @inline
  private headerByte(): u32 {
    const value = this.take(8);
    this.headerCrc = crc32Byte(this.headerCrc, value);
    return value;
  }

  /** Input ran out mid-step: hand out what is decoded, then ask for more. */
  private stall(): InflateStatus {
    if (this.write > this.flushed) return this.emit();
    return InflateStatus.NeedInput;
  }

  /** Hands out the window's bytes not yet handed out (the window is full, or input ran out). */
  private emit(): InflateStatus {
    const start = this.flushed;
    const length = this.write - start;
    const ptr = changetype<usize>(this.window) + <usize>start;
    if (this.wrapper == Wrapper.Gzip) this.check = crc32Update(this.check, ptr, length);
    else if (this.wrapper == Wrapper.Zlib) this.check = adler32Update(this.check, ptr, length);
    this.totalOut += <u64>length;
    this.memberOut += <u64>length;
    if (this.write == WINDOW_SIZE) this.write = 0;
    this.flushed = this.write;
    if (this.totalOut > this.maxOutput) return this.fail(InflateError.TooLarge);
    this.outPtr = ptr;
    this.outLength = length;
    return InflateStatus.Output;
  }

  /** Decodes until there is output to hand out, the input is used up, or the stream ends. */
  next(): InflateStatus {
    for (;;) {
      switch (this.mode) {
        case Mode.Detect: {
          // A zlib header is two bytes whose 16-bit value is a multiple of 31, method 8,
          // window ≤ 32 KiB and no preset dictionary; anything else is taken as raw deflate.
          if (!this.need(16)) return this.stall();
          const cmf = <u32>(this.hold & 0xff);
          const flg = <u32>((this.hold >> 8) & 0xff);
          if ((cmf & 0x0f) == 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 == 0 && (flg & 0x20) == 0) {
            this.take(16);
            this.wrapper = Wrapper.Zlib;
          } else {
            this.wrapper = Wrapper.Raw;
          }
          this.check = 1;
          this.mode = Mode.BlockHeader;
          break;
        }
        case Mode.GzipHeader: {
          while (this.headerIndex < 10) {
            if (!this.need(8)) return this.stall();
            const value = this.headerByte();
            const at = this.headerIndex++;
            if ((at == 0 && value != 0x1f) || (at == 1 && value != 0x8b) || (at == 2 && value != 8)) return this.fail(InflateError.Corrupt);
            if (at == 3) {
              if (value & GZIP_FTEXT_UNUSED) return this.fail(InflateError.Corrupt);
              this.gzipFlags = value;
            }
          }
          this.mode = Mode.GzipExtraLength;
          break;
        }
        case Mode.GzipExtraLength: {
          if (this.gzipFlags & GZIP_FEXTRA) {
            if (!this.need(16)) return this.stall();
            this.remaining = this.headerByte();
            this.remaining |= this.headerByte() << 8;
          } else {
            this.remaining = 0;
          }
          this.mode = Mode.GzipExtra;
          break;
        }
        case Mode.GzipExtra: {
          while (this.remaining > 0) {
            if (this.bits >= 8) {
              this.headerByte();
              this.remaining--;
              continue;
            }
            const available = <u32>(this.inEnd - this.inPtr);
            if (available == 0) return this.stall();
            const n = available < this.remaining ? available : this.remaining;
            this.headerCrc = crc32Update(this.headerCrc, this.inPtr, n);
            this.inPtr += n;
            this.remaining -= n;
          }
          this.mode = Mode.GzipName;
          break;
        }
        case Mode.GzipName:
        case Mode.GzipComment: {
          const flag = this.mode == Mode.GzipName ? GZIP_FNAME : GZIP_FCOMMENT;
          if (this.gzipFlags & flag) {
            // A zero-terminated string, skipped.
            for (;;) {
              if (!this.need(8)) return this.stall();
              if (this.headerByte() == 0) break;
            }
          }
          this.mode = this.mode == Mode.GzipName ? Mode.GzipComment : Mode.GzipHeaderCrc;
          break;
        }
        case Mode.GzipHeaderCrc: {
          if (this.gzipFlags & GZIP_FHCRC) {
            if (!this.need(16)) return this.stall();
            const expected = this.headerCrc & 0xffff;
            if (this.take(16) != expected) return this.fail(InflateError.Corrupt);
          }
          this.mode = Mode.BlockHeader;
          break;
        }
        case Mode.BlockHeader: {
          if (!this.need(3)) return this.stall();
          this.finalBlock = this.take(1) == 1;
          const type = this.take(2);
          if (type == 0) {
            this.mode = Mode.StoredLengths;
          } else if (type == 1) {
            this.literals = FIXED_LITERALS;
            this.distances = FIXED_DISTANCES;
            this.mode = Mode.Codes;
          } else if (type == 2) {
            this.mode = Mode.DynamicCounts;
          } else {
            return this.fail(InflateError.Corrupt);
          }
          break;
        }
        case Mode.StoredLengths: {
          // Stored data starts at a byte boundary.
          this.take(this.bits & 7);
          if (!this.need(32)) return this.stall();
          const length = this.take(16);
          if (this.take(16) != (~length & 0xffff)) return this.fail(InflateError.Corrupt);
          this.remaining = length;
          this.mode = Mode.Stored;
          break;
        }
        case Mode.Stored: {
          while (this.remaining > 0) {
            if (this.write == WINDOW_SIZE) return this.emit();
            if (this.bits >= 8) {
              unchecked((this.window[this.write++] = <u8>this.take(8)));
              this.remaining--;
              continue;
            }
            const available = <u32>(this.inEnd - this.inPtr);
            if (available == 0) return this.stall();
            let n = available < this.remaining ? available : this.remaining;
            const room = <u32>(WINDOW_SIZE - this.write);
            if (n > room) n = room;
            memory.copy(changetype<usize>(this.window) + <usize>this.write, this.inPtr, n);
            this.inPtr += n;
            this.write += <i32>n;
            this.remaining -= n;
          }
          this.mode = this.blockEnd();
          break;
        }
        case Mode.DynamicCounts: {
          if (!this.need(14)) return this.stall();
          this.literalCount = <i32>this.take(5) + 257;
          this.distanceCount = <i32>this.take(5) + 1;
          this.codeLengthCount = <i32>this.take(4) + 4;
          if (this.literalCount > 286 || this.distanceCount > 30) return this.fail(InflateError.Corrupt);
          for (let i = 0; i < 19; i++) unchecked((this.lengths[i] = 0));
          this.index = 0;
          this.mode = Mode.CodeLengthCodes;
          break;
        }
        case Mode.CodeLengthCodes: {
          while (this.index < this.codeLengthCount) {
            if (!this.need(3)) return this.stall();
            unchecked((this.lengths[unchecked(CODE_LENGTH_ORDER[this.index++])] = <u8>this.take(3)));
          }
          if (!this.codeLengthCode.build(this.lengths, 0, 19, false)) return this.fail(InflateError.Corrupt);
          this.index = 0;
          this.mode = Mode.CodeLengths;
          break;
        }
        case Mode.CodeLengths: {
          const total = this.literalCount + this.distanceCount;
          while (this.index < total) {
            // A symbol and its repeat bits: at most 7 + 7 bits, taken together or not at all.
            this.need(14);
            const entry = this.codeLengthCode.decode(this.hold, this.bits);
            if (entry == DECODE_NEED_BITS) return this.stall();
            if (entry == DECODE_INVALID) return this.fail(InflateError.Corrupt);
            const symbol = <u32>(entry >> 4);
            const codeBits = <u32>(entry & 15);
            if (symbol < 16) {
              this.take(codeBits);
              unchecked((this.lengths[this.index++] = <u8>symbol));
              continue;
            }
            let extra: u32 = 7;
            if (symbol == 16) extra = 2;
            else if (symbol == 17) extra = 3;
            if (this.bits < codeBits + extra) return this.stall();
            this.take(codeBits);
            let value: u8 = 0;
            let repeat: i32 = 0;
            if (symbol == 16) {
              if (this.index == 0) return this.fail(InflateError.Corrupt);
              value = unchecked(this.lengths[this.index - 1]);
              repeat = 3 + <i32>this.take(2);
            } else if (symbol == 17) {
              repeat = 3 + <i32>this.take(3);
            } else {
              repeat = 11 + <i32>this.take(7);
            }
            if (this.index + repeat > total) return this.fail(InflateError.Corrupt);
            for (let i = 0; i < repeat; i++) unchecked((this.lengths[this.index++] = value));
          }
          if (unchecked(this.lengths[END_OF_BLOCK]) == 0) return this.fail(InflateError.Corrupt);
          if (!this.dynamicLiterals.build(this.lengths, 0, this.literalCount, true)) return this.fail(InflateError.Corrupt);
          if (!this.dynamicDistances.build(this.lengths, this.literalCount, this.distanceCount, true)) return this.fail(InflateError.Corrupt);
          this.literals = this.dynamicLiterals;
          this.distances = this.dynamicDistances;
          this.mode = Mode.Codes;
          break;
        }
        case Mode.Codes: {
          // The hot loop. With a whole match's bits in hand (FAST_MATCH_BITS) a literal or a match
          // is decoded and copied here at once, the bit buffer in locals; near the end of a chunk,
          // a match goes through the resumable states below instead.
          const window = changetype<usize>(this.window);
          for (;;) {
            if (this.write == WINDOW_SIZE) return this.emit();
            if (this.bits < FAST_MATCH_BITS) this.refill();
            let hold = this.hold;
            let bits = this.bits;
            const entry = this.literals.decode(hold, bits);
            if (entry < 0) {
              if (entry == DECODE_NEED_BITS) return this.stall();
              return this.fail(InflateError.Corrupt);
            }
            const symbolBits = <u32>(entry & 15);
            const symbol = entry >> 4;
            if (symbol < END_OF_BLOCK) {
              this.hold = hold >> symbolBits;
              this.bits = bits - symbolBits;
              store<u8>(window + <usize>this.write, <u8>symbol);
              this.write++;
              continue;
            }
            if (symbol == END_OF_BLOCK) {
              this.take(symbolBits);
              this.mode = this.blockEnd();
              break;
            }
            const lengthCode = symbol - 257;
            if (lengthCode >= 29) return this.fail(InflateError.Corrupt);
            if (bits < FAST_MATCH_BITS) {
              this.take(symbolBits);
              this.copyLength = <u32>unchecked(LENGTH_BASE[lengthCode]);
              this.extraBits = <u32>unchecked(LENGTH_EXTRA[lengthCode]);
              this.mode = Mode.LengthExtra;
              break;
            }
            hold >>= symbolBits;
            bits -= symbolBits;
            const lengthExtra = <u32>unchecked(LENGTH_EXTRA[lengthCode]);
            const length = <u32>unchecked(LENGTH_BASE[lengthCode]) + <u32>(hold & ((<u64>1 << lengthExtra) - 1));
            hold >>= lengthExtra;
            bits -= lengthExtra;
            const distanceEntry = this.distances.decode(hold, bits);
            // At least 15 bits are left: no distance code needs more, so only an invalid one fails.
            if (distanceEntry < 0) return this.fail(InflateError.Corrupt);
            const distanceBits = <u32>(distanceEntry & 15);
            const distanceCode = distanceEntry >> 4;
            if (distanceCode >= 30) return this.fail(InflateError.Corrupt);
            hold >>= distanceBits;
            bits -= distanceBits;
            const distanceExtra = <u32>unchecked(DISTANCE_EXTRA[distanceCode]);
            const distance = <u32>unchecked(DISTANCE_BASE[distanceCode]) + <u32>(hold & ((<u64>1 << distanceExtra) - 1));
            this.hold = hold >> distanceExtra;
            this.bits = bits - distanceExtra;
            if (<u64>distance > this.memberOut + <u64>(this.write - this.flushed)) return this.fail(InflateError.Corrupt);
            if (<i32>length <= WINDOW_SIZE - this.write) {
              this.copyMatch(<i32>length, <i32>distance);
              continue;
            }
            // The match runs past the window's end: the copy state hands the window out midway.
            this.copyLength = length;
            this.copyDistance = distance;
            this.mode = Mode.Copy;
            break;
          }
          break;
        }
        case Mode.LengthExtra: {
          if (!this.need(this.extraBits)) return this.stall();
          this.copyLength += this.take(this.extraBits);
          this.mode = Mode.Distance;
          break;
        }
        case Mode.Distance: {
          this.need(15);
          const entry = this.distances.decode(this.hold, this.bits);
          if (entry == DECODE_NEED_BITS) return this.stall();
          if (entry == DECODE_INVALID) return this.fail(InflateError.Corrupt);
          this.take(<u32>(entry & 15));
          const distanceCode = entry >> 4;
          if (distanceCode >= 30) return this.fail(InflateError.Corrupt);
          this.copyDistance = <u32>unchecked(DISTANCE_BASE[distanceCode]);
          this.extraBits = <u32>unchecked(DISTANCE_EXTRA[distanceCode]);
          this.mode = Mode.DistanceExtra;
          break;
        }
        case Mode.DistanceExtra: {
          if (!this.need(this.extraBits)) return this.stall();
          this.copyDistance += this.take(this.extraBits);
          // A distance reaches back at most to the member's first byte.
          if (<u64>this.copyDistance > this.memberOut + <u64>(this.write - this.flushed)) return this.fail(InflateError.Corrupt);
          this.mode = Mode.Copy;
          break;
        }
        case Mode.Copy: {
          while (this.copyLength > 0) {
            if (this.write == WINDOW_SIZE) return this.emit();
            let n = <i32>this.copyLength;
            if (n > WINDOW_SIZE - this.write) n = WINDOW_SIZE - this.write;
            this.copyMatch(n, <i32>this.copyDistance);
            this.copyLength -= <u32>n;
          }
          this.mode = Mode.Codes;
          break;
        }
        case Mode.Trailer: {
          // The check value covers the member's bytes: hand out the rest first.
          if (this.write > this.flushed) return this.emit();
          this.take(this.bits & 7);
          if (this.wrapper == Wrapper.Gzip) {
            // CRC-32 and ISIZE, both little-endian: all eight bytes or wait.
            if (!this.need(64)) return this.stall();
            const crc = this.take(16) | (this.take(16) << 16);
            const size = this.take(16) | (this.take(16) << 16);
            if (crc != this.check || size != <u32>this.memberOut) return this.fail(InflateError.Corrupt);
            this.mode = Mode.MemberStart;
          } else if (this.wrapper == Wrapper.Zlib) {
            if (!this.need(32)) return this.stall();
            let adler: u32 = 0;
            for (let i = 0; i < 4; i++) adler = (adler << 8) | this.take(8);
            if (adler != this.check) return this.fail(InflateError.Corrupt);
            this.mode = Mode.End;
          } else {
            this.mode = Mode.End;
          }
          break;
        }
        case Mode.MemberStart: {
          // gzip allows members one after another; anything else after a member is corrupt.
          if (this.bits == 0 && this.inPtr >= this.inEnd) return InflateStatus.NeedInput;
          this.startMember();
          this.mode = Mode.GzipHeader;
          break;
        }
        case Mode.End: {
          if (this.bits >= 8 || this.inPtr < this.inEnd) return this.fail(InflateError.Corrupt);
          return InflateStatus.Done;
        }
        default:
          return InflateStatus.Failed;
      }
    }
    // asc 0.17 does not see that the loop above only ends by returning.
    return InflateStatus.Failed;
  }

  /** Copies `n` bytes from `distance` back to the write position; the window has room for them. */
  // @ts-ignore: decorator
  @inline
  private copyMatch(n: i32, distance: i32): void {
    const window = changetype<usize>(this.window);
    const to = this.write;
    const from = (to - distance) & (WINDOW_SIZE - 1);
    if (distance >= n && from + n <= WINDOW_SIZE) {
      // The source ends before the copy starts writing, or lies after it: one move.
      memory.copy(window + <usize>to, window + <usize>from, n);
    } else {
      // Overlapping (a run): byte by byte, each byte may be one just written.
      for (let i = 0; i < n; i++) store<u8>(window + <usize>(to + i), load<u8>(window + <usize>((from + i) & (WINDOW_SIZE - 1))));
    }
    this.write = to + n;
  }

  private blockEnd(): Mode {
    return this.finalBlock ? Mode.Trailer : Mode.BlockHeader;
  }
}
