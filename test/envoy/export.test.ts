import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { headerValue } from '../support/headers.js';
import { stackPerFile } from '../support/stackPerFile.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { StubResponse, UpstreamHandler } from '../support/upstream.js';
import type { DigestRecord } from '../../devkit/wireFormat.js';

const TWO_MIB = 2 * 1024 * 1024;
const largeBody = randomBytes(TWO_MIB);
const jsonBody = JSON.stringify({ order: { id: 42, items: [{ sku: 'a', price: 3.5 }], note: 'same on both legs' } });

/** Both services answer alike, so the two legs' digests must be equal. */
const sameAnswer: UpstreamHandler = (request): StubResponse =>
  request.path === '/large'
    ? { headers: { 'content-type': 'application/octet-stream' }, body: largeBody, chunkBytes: 16 * 1024 }
    : { headers: { 'content-type': 'application/json', etag: '"v1"' }, body: jsonBody };

function legsOf(records: DigestRecord[], id: string): Map<string, DigestRecord> {
  return new Map(records.filter((record) => record.id === id).map((record) => [record.leg, record]));
}

describe('digest records exported to the collector', () => {
  const stack = stackPerFile({
    edgeConfig: testEdgeConfig(cohortSampling({ always: 100 })),
    primaryHandler: sameAnswer,
    shadowHandler: sameAnswer,
  });

  it('arrive from both legs under one correlation id, valid against the wire-format schema', async () => {
    const response = await stack().send('/orders/42?verbose=1', { 'x-cohort': 'always', 'x-user-id': 'bob' });
    expect(await response.text()).toBe(jsonBody);
    const seen = stack().primary.requests.find((request) => request.path === '/orders/42?verbose=1');
    const id = headerValue(seen!.headers, 'x-shadowdiff-id')!;

    const records = await stack().collector.waitForRecords(`both legs of ${id}`, (all) => legsOf(all, id).size === 2);
    expect(stack().collector.violations).toEqual([]);
    const legs = legsOf(records, id);
    const primaryLeg = legs.get('primary')!;
    const shadowLeg = legs.get('shadow')!;
    for (const leg of [primaryLeg, shadowLeg]) {
      expect(leg).toMatchObject({
        segment: 'always',
        reason: 'segment',
        method: 'GET',
        path: '/orders/42',
        status: 200,
        complete: true,
        respBytes: Buffer.byteLength(jsonBody),
        json: 'ok',
        fieldsTruncated: false,
      });
    }
    // The mirrored Host carries Envoy's -shadow suffix; the filter records the authority without it.
    expect(shadowLeg.authority).toBe(primaryLeg.authority);
    expect(shadowLeg.bodyHash).toBe(primaryLeg.bodyHash);
    expect(shadowLeg.headers).toEqual(primaryLeg.headers);
    expect(shadowLeg.fields).toEqual(primaryLeg.fields);
    expect(Object.keys(primaryLeg.fields).sort()).toEqual(['$.order.id', '$.order.items[0].price', '$.order.items[0].sku', '$.order.note']);
    const sources = new Set(stack().collector.batches.map((received) => received.batch.source));
    expect(sources).toEqual(new Set(['edge-test', 'shadow-test']));
    expect(stack().collector.batches.every((received) => received.path === '/v1/batches')).toBe(true);
  });

  it('digests a 2 MiB chunked response while it streams, and the client gets every byte', async () => {
    const response = await stack().send('/large', { 'x-cohort': 'always', 'x-user-id': 'carol' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(largeBody)).toBe(true);

    const seen = stack().primary.requests.find((request) => request.path === '/large');
    const id = headerValue(seen!.headers, 'x-shadowdiff-id')!;
    const records = await stack().collector.waitForRecords(`both legs of ${id}`, (all) => legsOf(all, id).size === 2);
    const legs = legsOf(records, id);
    for (const leg of legs.values()) {
      expect(leg).toMatchObject({ status: 200, complete: true, respBytes: TWO_MIB, json: 'none' });
    }
    expect(legs.get('shadow')!.bodyHash).toBe(legs.get('primary')!.bodyHash);
    expect(stack().envoy.logs()).not.toMatch(/\]\[(error|critical)\]/);
  });
});
