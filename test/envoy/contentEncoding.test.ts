// gzip through a real Envoy: both upstreams answer gzip (compressed differently: the bytes differ,
// the documents do not), the filter digests the decoded content while the client receives the
// upstream's bytes untouched, and the collector names the field the shadow changed inside the
// gzip body — where before it could only say "body differs".
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../devkit/waitUntil.js';
import { comparedStackPerBlock } from '../support/comparedStack.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';

const ORDERS = 12;

function orderDocument(request: RecordedRequest, shadow: boolean): string {
  const id = Number(request.path.split('/').at(-1));
  const price = shadow && id % 3 === 0 ? 9.99 : 10;
  // 60 items of 3 leaves: within the default maxFields (256), so the fields decide.
  const items = Array.from({ length: 60 }, (_, i) => ({
    sku: `sku-${id}-${i}`,
    qty: 1 + (i % 4),
    note: createHash('sha1').update(`${id}-${i}`).digest('hex'),
  }));
  return JSON.stringify({ id, price, currency: 'EUR', items });
}

/** What each upstream sent per path, to compare with what the client received. */
const sent = new Map<string, Buffer>();

function gzipped(shadow: boolean, level: number) {
  return (request: RecordedRequest): StubResponse => {
    const body = zlib.gzipSync(orderDocument(request, shadow), { level });
    if (!shadow) sent.set(request.path, body);
    // Small chunks, so that Envoy hands the filter the body in many pieces.
    return { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body, chunkBytes: 301 };
  };
}

/** The client's view, raw: fetch() would decode the body. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { 'accept-encoding': 'gzip', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gzip responses digested by their content through a real Envoy', () => {
  const received = new Map<string, Buffer>();
  const compared = comparedStackPerBlock({
    primaryHandler: gzipped(false, 9),
    shadowHandler: gzipped(true, 1),
    paths: Array.from({ length: ORDERS }, (_, i) => `/orders/${i + 1}`),
    request: async (stack, path, headers) => {
      const response = await rawGet(`${stack.envoy.edgeUrl}${path}`, headers);
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe('gzip');
      received.set(path, response.body);
    },
  });

  it("hands the client the upstream's bytes, byte for byte", () => {
    expect(received.size).toBe(ORDERS);
    for (const [path, body] of received) expect(body.equals(sent.get(path)!), path).toBe(true);
  });

  it('names the changed field inside the gzip bodies, and finds the others equal though their bytes differ', async () => {
    const { collector, joined } = compared();
    const final = await joined();
    expect(final.totals.rejectedRecords).toBe(0);
    const [route] = final.routes;
    const priced = Math.floor(ORDERS / 3);
    expect(route!.pairs).toBe(ORDERS);
    expect(route!.diverged).toBe(priced);
    expect(route!.fields.map((field) => field.path)).toEqual(['$.price']);
    expect(route!.fields[0]!.divergentPairs).toBe(priced);
    expect(route!.bodyFallback.pairs).toBe(0);
    const pair = await collector.pair(route!.fields[0]!.examples[0]!);
    expect(JSON.stringify(pair)).toContain('"decoding":"ok"');
  });

  it('counts the decoded bodies', async () => {
    const stats = await waitUntil(
      'decoded counters published',
      async () => {
        const text = await (await fetch(`${compared().stack.envoy.adminUrl}/stats?filter=decod`)).text();
        return /shadowdiff\.edge\.decoded: [1-9]/.test(text) ? text : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(stats).toMatch(new RegExp(`shadowdiff\\.edge\\.decoded: ${ORDERS}\\b`));
    expect(stats).toMatch(/shadowdiff\.edge\.decode_failed: 0\b/);
  });
});
