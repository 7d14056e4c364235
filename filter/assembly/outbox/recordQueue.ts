// The per-worker queue of encoded records waiting for export: a fixed ring, so a full
// queue refuses new records in O(1) and memory is bounded by maxQueue.
import { BatchEncoder } from "./batchEncoder";
import { EncodedRecord } from "./recordEncoder";

export class Batch {
  constructor(public body: ArrayBuffer, public count: i32) {}
}

export class RecordQueue {
  private items: Array<EncodedRecord | null>;
  private head: i32 = 0;
  private size: i32 = 0;
  private encoder: BatchEncoder = new BatchEncoder();

  constructor(private capacity: i32) {
    this.items = new Array<EncodedRecord | null>(capacity);
  }

  get length(): i32 {
    return this.size;
  }

  /** False when the queue is full: the caller counts the drop. */
  push(record: EncodedRecord): bool {
    if (this.size >= this.capacity) return false;
    this.items[(this.head + this.size) % this.capacity] = record;
    this.size++;
    return true;
  }

  /**
   * Removes up to `max` records from the front as one batch body in wire format `version`
   * (fewer when a version 2 path table would grow past its limit). `hash` names the digests'
   * hash algorithm (version 2 only).
   */
  takeBatch(max: i32, source: string, sentUnixMs: u64, version: i32, hash: string): Batch {
    const wanted = this.size < max ? this.size : max;
    const records = new Array<EncodedRecord>();
    for (let i = 0; i < wanted; i++) {
      const record = this.items[(this.head + i) % this.capacity];
      if (record !== null) records.push(record);
    }
    const body = this.encoder.encode(version, records, source, sentUnixMs, hash);
    const count = this.encoder.taken;
    for (let i = 0; i < count; i++) this.items[(this.head + i) % this.capacity] = null;
    this.head = (this.head + count) % this.capacity;
    this.size -= count;
    return new Batch(body, count);
  }
}
