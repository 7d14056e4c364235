// The path table of one wire format 2 batch: every distinct leaf path of the batch's records,
// once, in first-seen order. Records name their paths by index into it, so the paths that
// the records of one route repeat are sent once per batch instead of once per record.
import { ByteWriter } from "../lib/byteWriter";
import { xxh64Prefixed } from "../lib/xxHash64";

/** At most this many paths per batch (the schema's limit); a batch that would need more ends early. */
export const MAX_TABLE_PATHS: i32 = 65536;

export class PathTable {
  /** The paths, each a JSON string literal followed by `,`, in index order. */
  readonly literals: ByteWriter = new ByteWriter(4096);
  private starts: Array<i32> = new Array<i32>();
  private lengths: Array<i32> = new Array<i32>();
  /** Open addressing: index + 1 of the path in each slot, 0 for an empty slot. */
  private slots: Int32Array = new Int32Array(1024);
  private slotHashes: Uint32Array = new Uint32Array(1024);

  get size(): i32 {
    return this.starts.length;
  }

  reset(): void {
    this.literals.reset();
    this.starts.length = 0;
    this.lengths.length = 0;
    this.slots.fill(0);
  }

  /** The index of the literal at `ptr` (`length` bytes, quotes included), added when new. */
  indexOf(ptr: usize, length: i32): i32 {
    // XXH64 of the literal (its opening quote as the prefix byte): a 64-bit step per 8 bytes
    // where FNV-1a takes one per byte, and the table is all that sees this hash.
    const hash = <u32>xxh64Prefixed(load<u8>(ptr), ptr + 1, length - 1);
    const mask = this.slots.length - 1;
    let slot = <i32>(hash & <u32>mask);
    while (true) {
      const entry = unchecked(this.slots[slot]);
      if (entry == 0) break;
      if (unchecked(this.slotHashes[slot]) == hash) {
        const index = entry - 1;
        if (unchecked(this.lengths[index]) == length && memory.compare(this.literals.dataStart + unchecked(this.starts[index]), ptr, length) == 0) return index;
      }
      slot = (slot + 1) & mask;
    }
    const index = this.starts.length;
    this.starts.push(this.literals.length);
    this.lengths.push(length);
    this.literals.bytes(ptr, length);
    this.literals.byte(0x2c);
    unchecked(this.slots[slot] = index + 1);
    unchecked(this.slotHashes[slot] = hash);
    // Keep the load under one half, so probes stay short.
    if ((index + 1) * 2 > this.slots.length) this.grow();
    return index;
  }

  private grow(): void {
    const capacity = this.slots.length << 1;
    const slots = new Int32Array(capacity);
    const slotHashes = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let old = 0; old < this.slots.length; old++) {
      const entry = unchecked(this.slots[old]);
      if (entry == 0) continue;
      const hash = unchecked(this.slotHashes[old]);
      let slot = <i32>(hash & <u32>mask);
      while (unchecked(slots[slot]) != 0) slot = (slot + 1) & mask;
      unchecked(slots[slot] = entry);
      unchecked(slotHashes[slot] = hash);
    }
    this.slots = slots;
    this.slotHashes = slotHashes;
  }
}

/** The end (one past the closing quote) of the JSON string literal that starts at `ptr`. */
export function literalEnd(ptr: usize, end: usize): usize {
  let p = ptr + 1;
  while (p < end) {
    const c = load<u8>(p);
    if (c == 0x5c) p += 2;
    else if (c == 0x22) return p + 1;
    else p++;
  }
  return end;
}
