// A growable byte buffer for building JSON without quadratic string concatenation.
import { firstJsonSpecial } from "./jsonBytes";

/** Copies up to this many bytes with word moves rather than memory.copy. */
const SMALL_COPY: i32 = 16;

// @ts-ignore: decorator
@inline
function hexDigit(nibble: u32): u32 {
  return nibble < 10 ? 0x30 + nibble : 0x57 + nibble;
}

/** `length` bytes (one to two words of T) as the first and the last word, overlapping: both read before either is written. */
// @ts-ignore: decorator
@inline
function copyHeadAndTail<T>(target: usize, source: usize, length: i32): void {
  const last = <usize>length - sizeof<T>();
  const head = load<T>(source);
  const tail = load<T>(source + last);
  store<T>(target, head);
  store<T>(target + last, tail);
}

/**
 * Copies `length` bytes; keys, path segments, short runs: two overlapping word copies beat
 * memcpy's set-up for these (and a byte loop). Never reads or writes outside the two ranges.
 */
// @ts-ignore: decorator
@inline
function copyBytes(target: usize, source: usize, length: i32): void {
  if (length > SMALL_COPY) {
    memory.copy(target, source, length);
  } else if (length >= 8) {
    copyHeadAndTail<u64>(target, source, length);
  } else if (length >= 4) {
    copyHeadAndTail<u32>(target, source, length);
  } else {
    for (let i = 0; i < length; i++) store<u8>(target + i, load<u8>(source + i));
  }
}

export class ByteWriter {
  private buffer: ArrayBuffer;
  length: i32 = 0;

  constructor(initialCapacity: i32 = 256) {
    this.buffer = new ArrayBuffer(initialCapacity);
  }

  get dataStart(): usize {
    return changetype<usize>(this.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /**
   * Empties the writer for another document, giving back a buffer that grew past `keepBytes`: a
   * writer that is reused (a pooled digest's) keeps no one document's peak size for good.
   */
  recycle(keepBytes: i32): void {
    this.length = 0;
    if (this.buffer.byteLength > keepBytes) this.buffer = new ArrayBuffer(keepBytes);
  }

  private reserve(extra: i32): void {
    const needed = this.length + extra;
    let capacity = this.buffer.byteLength;
    if (needed <= capacity) return;
    while (capacity < needed) capacity = capacity << 1;
    const grown = new ArrayBuffer(capacity);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), this.length);
    this.buffer = grown;
  }

  // @ts-ignore: decorator
  @inline
  byte(value: u32): void {
    // One compare on the hot path: the growth call only when the buffer is full.
    if (this.length >= this.buffer.byteLength) this.reserve(1);
    store<u8>(changetype<usize>(this.buffer) + this.length, <u8>value);
    this.length++;
  }

  bytes(ptr: usize, length: i32): void {
    if (length <= 0) return;
    if (this.length + length > this.buffer.byteLength) this.reserve(length);
    copyBytes(changetype<usize>(this.buffer) + this.length, ptr, length);
    this.length += length;
  }

  writer(other: ByteWriter): void {
    this.bytes(other.dataStart, other.length);
  }

  /** Appends text as UTF-8, unescaped (for JSON punctuation and known-safe tokens). */
  raw(text: string): void {
    // ASCII (every token this is used for) is copied without allocating an encoded copy.
    const count = text.length;
    this.reserve(count);
    const source = changetype<usize>(text);
    const base = changetype<usize>(this.buffer) + this.length;
    for (let i = 0; i < count; i++) {
      const unit = <u32>load<u16>(source + (<usize>i << 1));
      if (unit >= 0x80) {
        const encoded = String.UTF8.encode(text);
        this.bytes(changetype<usize>(encoded), encoded.byteLength);
        return;
      }
      store<u8>(base + i, <u8>unit);
    }
    this.length += count;
  }

  /**
   * Appends a JSON string literal of the given UTF-8 bytes, escaping what JSON requires. Room is
   * made once for the literal and again only after an escape, not per byte: paths of keys that
   * are themselves literals escape a quote every few bytes.
   */
  jsonStringBytes(ptr: usize, length: i32): void {
    const end = ptr + <usize>length;
    this.reserve(length + 2);
    let base = changetype<usize>(this.buffer);
    let at = this.length;
    store<u8>(base + at, 0x22);
    at++;
    let runStart = ptr;
    while (true) {
      const special = firstJsonSpecial(runStart, end);
      const run = <i32>(special - runStart);
      copyBytes(base + at, runStart, run);
      at += run;
      if (special == end) break;
      // the escape (at most 6 bytes), the rest unescaped and the closing quote
      const needed = at + 6 + <i32>(end - special);
      if (needed > this.buffer.byteLength) {
        this.length = at;
        this.reserve(needed - at);
        base = changetype<usize>(this.buffer);
      }
      const c = <u32>load<u8>(special);
      store<u8>(base + at, 0x5c);
      if (c == 0x22 || c == 0x5c) {
        store<u8>(base + at + 1, <u8>c);
        at += 2;
      } else {
        store<u32>(base + at + 1, 0x30303075); // "u00"
        store<u8>(base + at + 4, <u8>hexDigit(c >> 4));
        store<u8>(base + at + 5, <u8>hexDigit(c & 0xf));
        at += 6;
      }
      runStart = special + 1;
    }
    store<u8>(base + at, 0x22);
    this.length = at + 1;
  }

  /** The JSON escape of a quote, a backslash or a control byte. */
  private escapedByte(c: u32): void {
    this.byte(0x5c);
    if (c == 0x22 || c == 0x5c) {
      this.byte(c);
    } else {
      this.raw("u00");
      this.byte(hexDigit(c >> 4));
      this.byte(hexDigit(c & 0xf));
    }
  }

  jsonString(text: string): void {
    // ASCII text (ids, methods, paths) is escaped straight from its UTF-16 units; anything
    // else goes through an encoded copy. Both give the same bytes.
    const count = text.length;
    const source = changetype<usize>(text);
    for (let i = 0; i < count; i++) {
      if (load<u16>(source + (<usize>i << 1)) >= 0x80) {
        const encoded = String.UTF8.encode(text);
        this.jsonStringBytes(changetype<usize>(encoded), encoded.byteLength);
        return;
      }
    }
    this.reserve(count + 2);
    this.byte(0x22);
    for (let i = 0; i < count; i++) {
      const c = <u32>load<u16>(source + (<usize>i << 1));
      if (c >= 0x20 && c != 0x22 && c != 0x5c) {
        this.byte(c);
      } else {
        this.escapedByte(c);
      }
    }
    this.byte(0x22);
  }

  hex(value: u64, digits: i32): void {
    this.reserve(digits);
    const base = changetype<usize>(this.buffer) + this.length;
    for (let i = digits - 1; i >= 0; i--) {
      store<u8>(base + i, <u8>hexDigit(<u32>(value & 0xf)));
      value >>= 4;
    }
    this.length += digits;
  }

  /** Appends a JSON string holding the hash as fixed-width lower-case hex. */
  quotedHex(value: u64, digits: i32): void {
    this.byte(0x22);
    this.hex(value, digits);
    this.byte(0x22);
  }

  decimal(value: u64): void {
    const digits = decimalDigits(value);
    this.reserve(digits);
    const base = changetype<usize>(this.buffer) + this.length;
    let i = digits - 1;
    // 64-bit division is several times slower than 32-bit: only for what needs it
    for (; value > <u64>u32.MAX_VALUE; i--) {
      store<u8>(base + i, <u8>(0x30 + <u32>(value % 10)));
      value /= 10;
    }
    let small = <u32>value;
    for (; i >= 0; i--) {
      store<u8>(base + i, <u8>(0x30 + small % 10));
      small /= 10;
    }
    this.length += digits;
  }

  toArrayBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.length);
    memory.copy(changetype<usize>(out), changetype<usize>(this.buffer), this.length);
    return out;
  }
}

/** How many decimal digits `value` has (1 for 0). */
export function decimalDigits(value: u64): i32 {
  let digits = 1;
  let bound: u64 = 10;
  while (value >= bound) {
    digits++;
    if (digits == 20) break; // 10^20 is past u64: every larger value has 20 digits
    bound *= 10;
  }
  return digits;
}
