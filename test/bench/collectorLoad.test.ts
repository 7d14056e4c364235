// The collector lines' load (bench/collectorLoad.ts): its version 2 bodies are what devkit's encoder
// (the filter's encoding) makes of the records its version 1 bodies carry, both are valid batches,
// and the collector joins every leg of them.
import { describe, expect, it } from 'vitest';
import { BatchSequence, LOAD_V2_HASH } from '../../bench/collectorLoad.js';
import { decodeBatch, encodeBatchV2, wireFormatErrors, type DigestBatch } from '../../devkit/wireFormat.js';
import type { DigestBatchV2 } from '../../collector/ingest/wireSchemaV2.js';
import { testApp } from '../collector/fixtures.js';

const RECORDS = 64;

/** The body of the next POST of `sequence`, parsed. */
function nextBody(sequence: BatchSequence): unknown {
  const request = sequence.nextRequest();
  const head = request.indexOf('\r\n\r\n');
  const length = Number(/content-length: (\d+)/.exec(request.subarray(0, head).toString())?.[1]);
  const body = request.subarray(head + 4);
  expect(body.length).toBe(length);
  return JSON.parse(body.toString('utf8'));
}

describe('BatchSequence', () => {
  it('sends in version 2 what the filter encoding makes of the records it sends in version 1', () => {
    const v1 = new BatchSequence(RECORDS, 1, 1);
    const v2 = new BatchSequence(RECORDS, 1);
    expect(v2.wireVersion).toBe(2);
    // A primary batch, then its shadow batch (a tenth of the shadows differ).
    for (let batch = 0; batch < 2; batch++) {
      const one = nextBody(v1) as DigestBatch;
      const two = nextBody(v2) as DigestBatchV2;
      expect(wireFormatErrors(one)).toBeNull();
      expect(wireFormatErrors(two)).toBeNull();
      expect(one.v).toBe(1);
      expect(two.records).toHaveLength(RECORDS);
      // The same records but for the ids, which each sequence numbers under its own prefix.
      const records = one.records.map((record, i) => ({ ...record, id: two.records[i]!.id }));
      expect(two).toEqual(encodeBatchV2(records, { source: two.source, sentUnixMs: two.sentUnixMs, hash: LOAD_V2_HASH }));
      expect(decodeBatch(two).records.map(({ hash, ...record }) => [hash, record])).toEqual(
        records.map((record) => [LOAD_V2_HASH, record]),
      );
    }
  });

  it.each([1, 2] as const)('version %i: the collector accepts every leg and joins them', async (version) => {
    const t = testApp();
    try {
      const sequence = new BatchSequence(RECORDS, 1, version);
      for (let batch = 0; batch < 2; batch++) {
        const response = await t.post(nextBody(sequence));
        expect(response.statusCode).toBe(200);
        expect(response.json()).toMatchObject({ accepted: RECORDS, duplicates: 0, late: 0, rejectedRecords: 0 });
      }
      const { totals } = (await t.get('/v1/report')).json() as { totals: { matched: number; diverged: number } };
      // Shadows 0, 10, …, 60 differ in one field.
      expect(totals).toMatchObject({ matched: RECORDS - 7, diverged: 7 });
    } finally {
      await t.app.close();
    }
  });
});
