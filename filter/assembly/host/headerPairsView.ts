// A serialized header map (the ABI's pairs format, see headerPairs.ts) read in place:
// names and values are compared, hashed and copied as bytes where the host put them, so
// reading a request's headers allocates nothing. Strings are decoded only on demand (for
// the record of an observed request).

/** Four u32 per entry: name address, name length, value address, value length. */
const ENTRY_BYTES: i32 = 16;

export class HeaderPairsView {
  count: i32 = 0;
  private entries: ArrayBuffer = new ArrayBuffer(32 * ENTRY_BYTES);

  /** Indexes the map at `ptr`; valid while that memory is (the caller owns and frees it). */
  parse(ptr: usize, length: usize): void {
    this.count = 0;
    if (length < 4) return;
    const count = load<u32>(ptr);
    const end = ptr + length;
    let sizes = ptr + 4;
    let data = sizes + <usize>count * 8;
    if (data > end) return;
    if (<i32>count * ENTRY_BYTES > this.entries.byteLength) this.entries = new ArrayBuffer(<i32>count * ENTRY_BYTES);
    const entries = changetype<usize>(this.entries);
    for (let i: u32 = 0; i < count; i++) {
      const keyLength = <usize>load<u32>(sizes);
      const valueLength = <usize>load<u32>(sizes + 4);
      sizes += 8;
      if (data + keyLength + valueLength + 2 > end) break;
      const entry = entries + <usize>i * ENTRY_BYTES;
      store<u32>(entry, <u32>data);
      store<u32>(entry, <u32>keyLength, 4);
      data += keyLength + 1;
      store<u32>(entry, <u32>data, 8);
      store<u32>(entry, <u32>valueLength, 12);
      data += valueLength + 1;
      this.count++;
    }
  }

  // @ts-ignore: decorator
  @inline
  nameStart(i: i32): usize {
    return <usize>load<u32>(changetype<usize>(this.entries) + <usize>i * ENTRY_BYTES);
  }

  // @ts-ignore: decorator
  @inline
  nameLength(i: i32): i32 {
    return <i32>load<u32>(changetype<usize>(this.entries) + <usize>i * ENTRY_BYTES, 4);
  }

  // @ts-ignore: decorator
  @inline
  valueStart(i: i32): usize {
    return <usize>load<u32>(changetype<usize>(this.entries) + <usize>i * ENTRY_BYTES, 8);
  }

  // @ts-ignore: decorator
  @inline
  valueLength(i: i32): i32 {
    return <i32>load<u32>(changetype<usize>(this.entries) + <usize>i * ENTRY_BYTES, 12);
  }

  /** Index of the first entry named `name` (UTF-8; names are lower-case on the ABI) at or after `from`, or -1. */
  find(name: ArrayBuffer, from: i32 = 0): i32 {
    for (let i = from; i < this.count; i++) {
      if (bytesEqual(this.nameStart(i), this.nameLength(i), name)) return i;
    }
    return -1;
  }

  /** Entry `i`'s name appeared in an earlier entry. */
  nameRepeats(i: i32): bool {
    const name = this.nameStart(i);
    const length = this.nameLength(i);
    for (let j = 0; j < i; j++) {
      if (this.nameLength(j) == length && memory.compare(this.nameStart(j), name, length) == 0) return true;
    }
    return false;
  }

  valueEquals(i: i32, bytes: ArrayBuffer): bool {
    return bytesEqual(this.valueStart(i), this.valueLength(i), bytes);
  }

  valueStartsWith(i: i32, bytes: ArrayBuffer): bool {
    const length = bytes.byteLength;
    return this.valueLength(i) >= length && memory.compare(this.valueStart(i), changetype<usize>(bytes), length) == 0;
  }

  /** The value of the first entry named `name`, decoded, or `fallback` when there is none. */
  valueOr(name: ArrayBuffer, fallback: string): string {
    const i = this.find(name);
    if (i < 0) return fallback;
    return String.UTF8.decodeUnsafe(this.valueStart(i), this.valueLength(i));
  }
}

export function bytesEqual(ptr: usize, length: i32, bytes: ArrayBuffer): bool {
  return length == bytes.byteLength && memory.compare(ptr, changetype<usize>(bytes), length) == 0;
}
