// What a read_committed fetch of one partition holds for the reader: the broker answers every
// batch below the last stable offset, aborted transactions' batches among them, with the list of
// aborted transactions (producer id, first offset); dropping those batches is the client's job.
// The Kafka client's own filter (1.35.0) leaves some in: a transaction whose abort marker lies
// past the end of the answer, and all but the last of one producer's aborted transactions in one
// answer (a join's partition producer keeps its producer id across owners, so two aborts in one
// read are ordinary). This is the Java consumer's rule, applied again to what the client kept.

/** The fields of a record batch this needs (the client's RecordsBatch has them). */
export interface BatchShape {
  firstOffset: bigint;
  lastOffsetDelta: number;
  attributes: number;
  producerId: bigint;
  records: ReadonlyArray<{ key: Buffer | null }>;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

const IS_TRANSACTIONAL = 0x10;
const IS_CONTROL = 0x20;
/** A control record's key: version (int16), then its type (int16): 0 abort, 1 commit. */
const ABORT_MARKER = 0;

/** The offset after the last batch of the answer, control batches and aborted ones included (null when it holds none). */
export function nextOffset(batches: readonly BatchShape[]): number | null {
  const last = batches.at(-1);
  return last === undefined ? null : Number(last.firstOffset) + last.lastOffsetDelta + 1;
}

/** The answer's data batches that were committed or written outside any transaction, in log order. */
export function committedBatches<B extends BatchShape>(batches: readonly B[], aborted: readonly AbortedTransaction[]): B[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  let started = 0;
  // The producers whose aborted transaction has begun by this batch and whose abort marker has not been met yet.
  const abortedProducers = new Set<bigint>();
  const kept: B[] = [];
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (started < pending.length && pending[started]!.firstOffset <= lastOffset) abortedProducers.add(pending[started++]!.producerId);
    if ((batch.attributes & IS_CONTROL) !== 0) {
      if (batch.records[0]?.key?.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
      continue;
    }
    if ((batch.attributes & IS_TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
    kept.push(batch);
  }
  return kept;
}

/**
 * The answer's batches with every aborted data batch's records taken out, the batch itself (and
 * every marker) kept: a reader that moves on from the last batch of an answer (the client's
 * message stream) still moves past them.
 */
export function withoutAborted<B extends BatchShape>(batches: readonly B[], aborted: readonly AbortedTransaction[]): B[] {
  const kept = new Set(committedBatches(batches, aborted));
  return batches.map((batch) => (kept.has(batch) || (batch.attributes & IS_CONTROL) !== 0 ? batch : { ...batch, records: [] }));
}
