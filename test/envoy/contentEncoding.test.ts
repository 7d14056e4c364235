// gzip through a real Envoy: both upstreams answer gzip (compressed differently: the bytes differ,
// the documents do not), the filter digests the decoded content while the client receives the
// upstream's bytes untouched, and the collector names the field the shadow changed inside the
// gzip body — where before it could only say "body differs". Deflate (zlib on one leg, raw on the
// other) is decoded the same way; a coding the filter does not decode (br) is counted and its
// pairs are compared by their bytes, the reason named in the report.
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

/** `/deflate/<n>` and `/brotli/<n>`: the shadow changes the price of request 2. */
function encoded(leg: 'primary' | 'shadow') {
  return (request: RecordedRequest): StubResponse => {
    const [, coding = '', n] = request.path.split('/');
    const document = JSON.stringify({ id: Number(n), price: leg === 'shadow' && n === '2' ? 9.99 : 10, currency: 'EUR' });
    const headers = { 'content-type': 'application/json', 'content-encoding': coding === 'brotli' ? 'br' : 'deflate' };
    // `deflate` is zlib-wrapped by the standard, raw in some servers' hands: the filter takes both
    const body =
      coding === 'brotli'
        ? zlib.brotliCompressSync(document)
        : leg === 'primary'
          ? zlib.deflateSync(document)
          : zlib.deflateRawSync(document);
    return { headers, body, chunkBytes: 7 };
  };
}

describe('deflate decoded, and br compared by its bytes, through a real Envoy', () => {
  const compared = comparedStackPerBlock({
    primaryHandler: encoded('primary'),
    shadowHandler: encoded('shadow'),
    paths: ['/deflate/1', '/deflate/2', '/brotli/1', '/brotli/2'],
    request: async (stack, path, headers) => {
      expect((await rawGet(`${stack.envoy.edgeUrl}${path}`, headers)).status).toBe(200);
    },
  });

  it('names the changed field inside the deflate bodies, whichever deflate framing each leg used', async () => {
    const { collector, joined, pairIdOf } = compared();
    const route = (await joined()).routes.find((candidate) => candidate.route === 'GET /deflate/{id}');
    expect(route).toMatchObject({ pairs: 2, diverged: 1, bodyFallback: { pairs: 0 } });
    expect(route!.fields.map((field) => field.path)).toEqual(['$.price']);
    const equal = await collector.pair(pairIdOf('/deflate/1'));
    expect(equal?.diff).toMatchObject({ diverged: false, basis: 'fields' });
    for (const leg of [equal!.primary!, equal!.shadow!]) expect(leg).toMatchObject({ encoding: 'deflate', decoding: 'ok' });
  });

  it('compares br bodies by their bytes, visibly: the reason in the report, the pair and the counters', async () => {
    const { collector, joined, pairIdOf, stack } = compared();
    const route = (await joined()).routes.find((candidate) => candidate.route === 'GET /brotli/{id}');
    expect(route).toMatchObject({ pairs: 2, diverged: 1, kinds: { body: 1, field: 0 } });
    expect(route!.bodyFallback).toMatchObject({ pairs: 2, reasons: { encoding_unsupported: 2 } });
    const changed = await collector.pair(pairIdOf('/brotli/2'));
    expect(changed?.diff).toMatchObject({ diverged: true, basis: 'body', fallback: 'encoding_unsupported' });
    for (const leg of [changed!.primary!, changed!.shadow!])
      expect(leg).toMatchObject({ encoding: 'br', decoding: 'unsupported', json: 'none' });
    const stats = await waitUntil(
      'coding counters published',
      async () => {
        const filter = encodeURIComponent('shadowdiff\\.edge\\.(decoded|encoding_unsupported)$');
        const text = await (await fetch(`${stack.envoy.adminUrl}/stats?filter=${filter}`)).text();
        return /encoding_unsupported: [1-9]/.test(text) ? text : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(stats).toMatch(/shadowdiff\.edge\.encoding_unsupported: 2\b/);
    expect(stats).toMatch(/shadowdiff\.edge\.decoded: 2\b/);
  });
});
