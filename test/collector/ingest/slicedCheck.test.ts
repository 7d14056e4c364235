// The ingest route checks a batch in slices (checkInSlices): the verdict is the one check() gives,
// for good, partly bad and bad batches of both wire versions, and a large batch lets the event loop
// turn while it is validated and decoded.
import { describe, expect, it } from 'vitest';
import { WireValidator } from '../../../collector/ingest/wireValidator.js';
import type { DigestRecord } from '../../../collector/types.js';
import { batch, batchV2, record } from '../fixtures.js';

const validator = new WireValidator();

function withFields(id: string, leg: 'primary' | 'shadow', fields: number): DigestRecord {
  const entries = Array.from({ length: fields }, (_, i) => [`$.items[${i}].sku`, ((i * 2654435761) >>> 0).toString(16).padStart(8, '0')]);
  return { ...record(leg, { id }), fields: Object.fromEntries(entries) };
}

const good = [record('primary', { id: 'g-1' }), record('shadow', { id: 'g-1' }), withFields('g-2', 'primary', 30)];
const bad = { ...record('shadow', { id: 'bad-1' }), status: 1000, extra: true };

/** checkInSlices' verdict, and whether the event loop ran something else before it was given. */
async function checkedInSlices(body: unknown) {
  let checked = false;
  let turnedWhileChecking = false;
  setImmediate(() => {
    turnedWhileChecking = !checked;
  });
  const verdict = await validator.checkInSlices(body);
  checked = true;
  return { verdict, turnedWhileChecking };
}

describe('checking a batch in slices', () => {
  it.each([
    ['a valid version 1 batch', batch(good)],
    ['a valid version 2 batch', batchV2(good)],
    ['a partly bad version 1 batch', { ...batch(good), records: [good[0], bad, good[1]] }],
    ['a partly bad version 2 batch', { ...batchV2(good), records: [...batchV2(good).records, { ...bad, pathRuns: [[0, 1]] }] }],
    ['a version 2 batch whose record names a path past its table', { ...batchV2(good), paths: [] }],
    ['a bad envelope', { ...batch(good), v: 1, source: '' }],
    ['an unknown version', { ...batch(good), v: 3 }],
    ['no records', { ...batch(good), records: [] }],
    ['not an object', 'records'],
  ])('gives the verdict check() gives: %s', async (_, body) => {
    const sliced = await validator.checkInSlices(body);
    expect(sliced).toEqual(validator.check(body));
  });

  it('lets the event loop turn while a large batch is validated and decoded', async () => {
    const records = Array.from({ length: 1024 }, (_, i) => withFields(`r-${i >> 1}`, i % 2 === 0 ? 'primary' : 'shadow', 200));
    for (const body of [batch(records), batchV2(records)]) {
      const { verdict, turnedWhileChecking } = await checkedInSlices(body);
      expect(verdict.records).toHaveLength(1024);
      expect(verdict.rejectedRecords).toBe(0);
      expect(turnedWhileChecking).toBe(true);
    }
  });

  it('lets the event loop turn while a large bad batch is checked thoroughly, every bad record named', async () => {
    // The first record is bad: the fast check stops at once, the thorough one names all of them.
    const records: unknown[] = Array.from({ length: 1024 }, (_, i) => withFields(`b-${i >> 1}`, i % 2 === 0 ? 'primary' : 'shadow', 200));
    for (const i of [0, 500, 1023]) records[i] = { ...(records[i] as DigestRecord), status: 1000 };
    for (const body of [batch(records as DigestRecord[]), { ...batchV2(records as DigestRecord[]) }]) {
      const { verdict, turnedWhileChecking } = await checkedInSlices(body);
      expect(verdict.rejectedRecords).toBe(3);
      expect(verdict.recordErrors.map((error) => [error.index, error.field])).toEqual([
        [0, 'status'],
        [500, 'status'],
        [1023, 'status'],
      ]);
      expect(verdict.records).toHaveLength(1021);
      expect(verdict).toEqual(validator.check(body));
      expect(turnedWhileChecking).toBe(true);
    }
  });
});
