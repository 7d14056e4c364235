// Builds a serialized header map (the ABI's pairs format, see headerPairs.ts) from byte
// ranges, in buffers reused from request to request: a whole request map, rewritten, goes
// back to the host in one proxy_set_header_map_pairs call.

/** Four u32 per entry: name address, name length, value address, value length. */
const ENTRY_BYTES: i32 = 16;

export class HeaderPairsBuilder {
  count: i32 = 0;
  private entries: ArrayBuffer = new ArrayBuffer(32 * ENTRY_BYTES);
  private out: ArrayBuffer = new ArrayBuffer(2048);
  /** Bytes of the last encode(). */
  length: i32 = 0;

  reset(): void {
    this.count = 0;
    this.length = 0;
  }

  /** Adds an entry by reference: the bytes must stay valid until encode(). */
  add(namePtr: usize, nameLength: i32, valuePtr: usize, valueLength: i32): void {
    if ((this.count + 1) * ENTRY_BYTES > this.entries.byteLength) {
      const grown = new ArrayBuffer(this.entries.byteLength << 1);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.entries), this.count * ENTRY_BYTES);
      this.entries = grown;
    }
    const entry = changetype<usize>(this.entries) + <usize>this.count * ENTRY_BYTES;
    store<u32>(entry, <u32>namePtr);
    store<u32>(entry, <u32>nameLength, 4);
    store<u32>(entry, <u32>valuePtr, 8);
    store<u32>(entry, <u32>valueLength, 12);
    this.count++;
  }

  addBytes(name: ArrayBuffer, value: ArrayBuffer): void {
    this.add(changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
  }

  /** Serializes the entries; the result (dataStart, length) is valid until the next encode(). */
  encode(): void {
    const count = this.count;
    const entries = changetype<usize>(this.entries);
    let size = 4 + count * 8;
    for (let i = 0; i < count; i++) {
      const entry = entries + <usize>i * ENTRY_BYTES;
      size += <i32>load<u32>(entry, 4) + <i32>load<u32>(entry, 12) + 2;
    }
    if (size > this.out.byteLength) {
      let capacity = this.out.byteLength;
      while (capacity < size) capacity = capacity << 1;
      this.out = new ArrayBuffer(capacity);
    }
    const base = changetype<usize>(this.out);
    store<u32>(base, <u32>count);
    let data = base + 4 + <usize>count * 8;
    for (let i = 0; i < count; i++) {
      const entry = entries + <usize>i * ENTRY_BYTES;
      const nameLength = load<u32>(entry, 4);
      const valueLength = load<u32>(entry, 12);
      store<u32>(base + 4 + <usize>i * 8, nameLength);
      store<u32>(base + 8 + <usize>i * 8, valueLength);
      memory.copy(data, <usize>load<u32>(entry), nameLength);
      data += nameLength;
      store<u8>(data, 0);
      data++;
      memory.copy(data, <usize>load<u32>(entry, 8), valueLength);
      data += valueLength;
      store<u8>(data, 0);
      data++;
    }
    this.length = size;
  }

  get dataStart(): usize {
    return changetype<usize>(this.out);
  }
}
