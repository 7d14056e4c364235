// What a read_committed reader keeps of a fetch answer: committed and non-transactional batches,
// never an aborted transaction's, including the cases the Kafka client's own filter lets through
// (the abort marker past the answer's end, two aborted transactions of one producer in one answer).

import { describe, expect, it } from 'vitest';
import { committedBatches, nextOffset, withoutAborted, type BatchShape } from '../../../collector/kafka/committedBatches.js';

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** A data batch of `count` records at `first`; `producer` set makes it transactional. */
function data(first: number, count: number, producer?: number): BatchShape {
  return {
    firstOffset: BigInt(first),
    lastOffsetDelta: count - 1,
    attributes: producer === undefined ? 0 : TRANSACTIONAL,
    producerId: BigInt(producer ?? -1),
    records: Array.from({ length: count }, () => ({ key: Buffer.from('k') })),
  };
}

/** A transaction marker (control batch) of `producer` at `offset`: abort or commit. */
function marker(offset: number, producer: number, kind: 'abort' | 'commit'): BatchShape {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(kind === 'abort' ? 0 : 1, 2);
  return {
    firstOffset: BigInt(offset),
    lastOffsetDelta: 0,
    attributes: TRANSACTIONAL | CONTROL,
    producerId: BigInt(producer),
    records: [{ key }],
  };
}

const aborted = (producer: number, first: number) => ({ producerId: BigInt(producer), firstOffset: BigInt(first) });
const firsts = (batches: readonly BatchShape[]): number[] => batches.map((batch) => Number(batch.firstOffset));

describe('committedBatches', () => {
  it('keeps committed and non-transactional batches, drops the markers', () => {
    const batches = [data(0, 2), data(2, 3, 7), marker(5, 7, 'commit'), data(6, 1)];
    expect(firsts(committedBatches(batches, []))).toEqual([0, 2, 6]);
  });

  it('drops an aborted transaction’s batches and keeps what its producer commits after the marker', () => {
    const batches = [data(0, 2, 7), data(2, 1), data(3, 2, 7), marker(5, 7, 'abort'), data(6, 2, 7), marker(8, 7, 'commit')];
    expect(firsts(committedBatches(batches, [aborted(7, 0)]))).toEqual([2, 6]);
  });

  it('drops every aborted transaction of one producer in one answer, not only the last', () => {
    const batches = [data(0, 1, 7), marker(1, 7, 'abort'), data(2, 1, 7), marker(3, 7, 'commit'), data(4, 1, 7), marker(5, 7, 'abort')];
    expect(firsts(committedBatches(batches, [aborted(7, 4), aborted(7, 0)]))).toEqual([2]);
  });

  it('drops an aborted transaction whose marker lies past the end of the answer', () => {
    const batches = [data(0, 1, 8), data(1, 2, 7), data(3, 1, 7)];
    expect(firsts(committedBatches(batches, [aborted(7, 1)]))).toEqual([0]);
  });

  it('tells another producer’s batches apart from the aborted one’s', () => {
    const batches = [data(0, 1, 7), data(1, 1, 8), marker(2, 7, 'abort'), marker(3, 8, 'commit')];
    expect(firsts(committedBatches(batches, [aborted(7, 0)]))).toEqual([1]);
  });

  it('starts the next fetch after the last batch, a marker or an aborted batch included', () => {
    expect(nextOffset([data(0, 2, 7), marker(2, 7, 'abort')])).toBe(3);
    expect(nextOffset([data(4, 3)])).toBe(7);
    expect(nextOffset([])).toBeNull();
  });

  it('empties an aborted transaction’s batches in place, keeping every batch so a reader still moves past them', () => {
    const batches = [data(0, 2, 7), marker(2, 7, 'abort'), data(3, 1, 7), marker(4, 7, 'commit'), data(5, 2, 7)];
    const kept = withoutAborted(batches, [aborted(7, 0), aborted(7, 5)]);
    expect(kept.map((batch) => [Number(batch.firstOffset), batch.records.length])).toEqual([
      [0, 0],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 0],
    ]);
    expect(nextOffset(kept)).toBe(nextOffset(batches));
  });
});
