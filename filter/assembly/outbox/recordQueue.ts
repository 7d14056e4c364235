// The per-worker queue of encoded records waiting for export: a fixed ring, so a full
// queue refuses new records in O(1) and memory is bounded by maxQueue.
import { ByteWriter } from "../lib/byteWriter";

export class Batch {
  constructor(public body: ArrayBuffer, public count: i32) {}
}

export class RecordQueue {
  private items: Array<ArrayBuffer | null>;
  private head: i32 = 0;
  private size: i32 = 0;
  private body: ByteWriter = new ByteWriter(16384);

  constructor(private capacity: i32) {
    this.items = new Array<ArrayBuffer | null>(capacity);
  }

  get length(): i32 {
    return this.size;
  }

  /** False when the queue is full: the caller counts the drop. */
  push(record: ArrayBuffer): bool {
    if (this.size >= this.capacity) return false;
    this.items[(this.head + this.size) % this.capacity] = record;
    this.size++;
    return true;
  }

  /** Removes up to `max` records from the front as one wire-format batch body. */
  takeBatch(max: i32, source: string, sentUnixMs: u64): Batch {
    const count = this.size < max ? this.size : max;
    const out = this.body;
    out.reset();
    out.raw("{\"v\":1,\"source\":");
    out.jsonString(source);
    out.raw(",\"sentUnixMs\":");
    out.decimal(sentUnixMs);
    out.raw(",\"records\":[");
    for (let i = 0; i < count; i++) {
      const slot = (this.head + i) % this.capacity;
      const record = this.items[slot];
      this.items[slot] = null;
      if (i > 0) out.byte(0x2c);
      if (record !== null) out.bytes(changetype<usize>(record), record.byteLength);
    }
    out.raw("]}");
    this.head = (this.head + count) % this.capacity;
    this.size -= count;
    return new Batch(out.toArrayBuffer(), count);
  }
}
