// Observed legs reuse pooled stream contexts (filter/assembly/plugin/streamPool.ts), and the host's
// reads reuse buffers (host/hostMemory.ts): nothing of one stream may reach the next. Each case
// runs a "dirty" stream that leaves as much state behind as it can (a scanner stopped inside a
// string escape, a number, a literal, a long key, deep nesting; a gzip body cut short; a capture
// in progress; another status, headers, timings, upstream time), then a clean one, and requires
// the clean one's export batch to be byte for byte what the same stream sends as the first stream
// of a fresh VM.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ProxyWasmHost } from '../../emulator/index.js';
import { COLLECTOR, corpus, edgeConfig, loadHost, request, type Headers, type Plugin } from './harness.js';

interface Leg {
  requestHeaders: Headers;
  responseHeaders?: Headers;
  chunks?: Array<string | Uint8Array>;
  /** The last chunk ends the stream (else the stream is reset mid-body). */
  endOfStream?: boolean;
  trailers?: Headers;
  backendLatencyNanos?: bigint;
  advanceMs?: number;
}

const json = (status = 200, extra: Headers = []): Headers => [[':status', String(status)], ['content-type', 'application/json'], ...extra];

const tagged = (id: string, extra: Headers = []): Headers =>
  request(`/reuse/${id}?q=1`, [['x-shadowdiff-id', id], ['x-request-id', `rid-${id}`], ...extra]);

const deep = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
const wide = (fields: number): string => `{${Array.from({ length: fields }, (_, i) => `"k${i}":{"v":${i},"s":"x${i}"}`).join(',')}}`;

/** Legs that stop the digest in every kind of state it has, or set what a clean leg must not inherit. */
const DIRTY: Record<string, Leg> = {
  'a string cut inside a \\u escape, under a long key': {
    requestHeaders: tagged('dirty-escape'),
    responseHeaders: json(201, [
      ['etag', 'W/"9"'],
      ['cache-control', 'no-store'],
    ]),
    chunks: [`{"${'k'.repeat(400)}":"ab\\u00`],
    endOfStream: false,
  },
  'a number cut in its exponent': {
    requestHeaders: tagged('dirty-number'),
    responseHeaders: json(),
    chunks: ['{"a":[1,2.5e'],
    endOfStream: false,
  },
  'a string cut after a lone high surrogate': {
    requestHeaders: tagged('dirty-surrogate'),
    responseHeaders: json(),
    chunks: ['{"a":"x\\ud83d'],
    endOfStream: false,
  },
  'a key cut past the length kept': {
    requestHeaders: tagged('dirty-key'),
    responseHeaders: json(),
    chunks: [`{"${'q'.repeat(300)}`],
    endOfStream: false,
  },
  'a number cut past the digits kept': {
    requestHeaders: tagged('dirty-long-number'),
    responseHeaders: json(),
    chunks: [`[${'9'.repeat(80)}`],
    endOfStream: false,
  },
  'a literal cut short': { requestHeaders: tagged('dirty-literal'), responseHeaders: json(), chunks: ['{"a":tru'], endOfStream: false },
  'nesting past maxDepth, cut inside it': {
    requestHeaders: tagged('dirty-deep'),
    responseHeaders: json(),
    chunks: [deep(60).slice(0, 70)],
    endOfStream: false,
  },
  'a document beyond the leaf budget (fields truncated, subtree entries)': {
    requestHeaders: tagged('dirty-wide'),
    responseHeaders: json(200, [['vary', 'accept']]),
    chunks: [wide(400)],
    endOfStream: true,
    trailers: [['grpc-status', '0']],
    backendLatencyNanos: 7_000_000n,
    advanceMs: 25,
  },
  'a gzip body cut short': {
    requestHeaders: tagged('dirty-gzip'),
    responseHeaders: json(200, [['content-encoding', 'gzip']]),
    chunks: [zlib.gzipSync(corpus('twitter.json')).subarray(0, 3000)],
    endOfStream: false,
  },
  'malformed JSON': { requestHeaders: tagged('dirty-malformed'), responseHeaders: json(500), chunks: ['{"a":1}}'], endOfStream: true },
};

/** Legs whose records must not depend on what ran before them. */
const CLEAN: Record<string, Leg> = {
  'a JSON document': {
    requestHeaders: tagged('clean-json', [[':authority', 'orders.local-shadow']]),
    responseHeaders: json(),
    chunks: ['{"order":{"id":7,"lines":[{"sku":"a","price":8.50}],"note":"caf\\u00e9"}}'],
    endOfStream: true,
  },
  'a gzip JSON document': {
    requestHeaders: tagged('clean-gzip'),
    responseHeaders: json(200, [['content-encoding', 'gzip']]),
    chunks: [zlib.gzipSync('{"a":[1,2,3],"b":{"c":null}}')],
    endOfStream: true,
  },
  'a document beyond the leaf budget': {
    requestHeaders: tagged('clean-wide'),
    responseHeaders: json(),
    chunks: [wide(90)],
    endOfStream: true,
  },
  'a stream with no response': { requestHeaders: tagged('clean-none') },
  'a body that is not JSON': {
    requestHeaders: tagged('clean-text'),
    responseHeaders: [
      [':status', '200'],
      ['content-type', 'text/plain'],
    ],
    chunks: ['hello'],
    endOfStream: true,
  },
};

const CONFIG = JSON.stringify({
  role: 'primary',
  collector: COLLECTOR,
  digest: { maxFields: 64, maxDepth: 8, capture: { paths: ['$.order.*', '$.k1.*'] } },
  export: { batchSize: 1 },
});

function run(host: ProxyWasmHost, plugin: Plugin, leg: Leg): void {
  const stream = plugin.newHttpStream();
  if (leg.backendLatencyNanos !== undefined)
    stream.setProperty(['response', 'backend_latency'], new Uint8Array(new BigInt64Array([leg.backendLatencyNanos]).buffer));
  stream.sendRequestHeaders(leg.requestHeaders, true);
  if (leg.responseHeaders !== undefined) {
    host.advanceTimeMs(leg.advanceMs ?? 0);
    stream.sendResponseHeaders(leg.responseHeaders, leg.chunks === undefined && leg.trailers === undefined);
    const chunks = leg.chunks ?? [];
    chunks.forEach((chunk, i) => {
      host.advanceTimeMs(leg.advanceMs ?? 0);
      stream.sendResponseBody(chunk, i === chunks.length - 1 && leg.endOfStream === true && leg.trailers === undefined);
    });
    if (leg.trailers !== undefined) stream.sendResponseTrailers(leg.trailers);
  }
  stream.complete();
}

/** The export calls' bodies since the last drain, acknowledged. */
function drainBodies(host: ProxyWasmHost): string[] {
  const bodies: string[] = [];
  for (const call of host.pendingHttpCalls()) {
    bodies.push(call.bodyText());
    host.respondHttpCall(call.token, { status: 200 });
  }
  return bodies;
}

async function started(config: string): Promise<{ host: ProxyWasmHost; plugin: Plugin }> {
  const host = await loadHost();
  host.setTimeNanos(1_800_000_000_000_000_000n);
  const plugin = host.startPlugin(config);
  return { host, plugin };
}

/** What `leg` exports as the first stream of a fresh VM. */
async function freshBatch(leg: Leg): Promise<string> {
  const { host, plugin } = await started(CONFIG);
  run(host, plugin, leg);
  const bodies = drainBodies(host);
  expect(host.trapped).toBeNull();
  expect(bodies).toHaveLength(1);
  return bodies[0]!;
}

describe('a pooled stream context starts clean', () => {
  it.each(Object.entries(CLEAN))('%s exports the same batch after every kind of dirty stream', async (_name, clean) => {
    const expected = await freshBatch(clean);
    const { host, plugin } = await started(CONFIG);
    for (const dirty of Object.values(DIRTY)) {
      // A big document first, so that the reused buffers have grown; then the dirty stream, right
      // before the clean one (the pool hands out the context it got back last).
      run(host, plugin, DIRTY['a document beyond the leaf budget (fields truncated, subtree entries)']!);
      run(host, plugin, dirty);
      drainBodies(host);
      host.setTimeNanos(1_800_000_000_000_000_000n);
      run(host, plugin, clean);
      expect(drainBodies(host)).toEqual([expected]);
    }
    expect(host.trapped).toBeNull();
  });

  it('streams that overlap get contexts of their own, and the one after them starts clean', async () => {
    const clean = CLEAN['a JSON document']!;
    const expected = await freshBatch(clean);
    const { host, plugin } = await started(CONFIG);
    const first = plugin.newHttpStream();
    const second = plugin.newHttpStream();
    first.sendRequestHeaders(tagged('overlap-1'), true);
    second.sendRequestHeaders(tagged('overlap-2'), true);
    first.sendResponseHeaders(json(404), false);
    second.sendResponseHeaders(json(200), false);
    first.sendResponseBody('{"a":', false);
    second.sendResponseBody('[1,2,', false);
    first.sendResponseBody('1}', true);
    second.complete();
    first.complete();
    const records = drainBodies(host).map((body) => JSON.parse(body).records[0]);
    expect(records.map((record) => [record.id, record.status, record.json, record.complete])).toEqual([
      ['overlap-2', 200, 'malformed', false],
      ['overlap-1', 404, 'ok', true],
    ]);
    host.setTimeNanos(1_800_000_000_000_000_000n);
    run(host, plugin, clean);
    expect(drainBodies(host)).toEqual([expected]);
  });

  it('at the edge, a stream after a sampled one carries only its own decision, id and segment', async () => {
    const config = edgeConfig(
      { defaultPercent: 0, segments: [{ name: 'staff', header: 'x-group', exact: ['staff'], percent: 100 }] },
      { export: { batchSize: 1 } },
    );
    const { host, plugin } = await started(config);
    const sampled = plugin.newHttpStream();
    sampled.sendRequestHeaders(
      request('/a', [
        ['x-user-id', 'u1'],
        ['x-group', 'staff'],
      ]),
      true,
    );
    sampled.sendResponseHeaders(json(), false);
    sampled.sendResponseBody('{"a":1}', true);
    sampled.complete();
    const [first] = drainBodies(host).map((body) => JSON.parse(body).records[0]);
    expect(first).toMatchObject({ segment: 'staff', reason: 'segment', path: '/a' });

    // Not sampled: no control header reaches the upstream, no record.
    const skipped = plugin.newHttpStream();
    skipped.sendRequestHeaders(request('/b', [['x-user-id', 'u2']]), true);
    expect(skipped.requestHeaders.filter(([name]) => name.startsWith('x-shadowdiff-'))).toEqual([]);
    skipped.sendResponseHeaders(json(), false);
    skipped.sendResponseBody('{"b":2}', true);
    skipped.complete();
    expect(drainBodies(host)).toEqual([]);

    // Sampled again, under another segment: its own id and decision, in the headers and the record.
    const second = plugin.newHttpStream();
    second.sendRequestHeaders(
      request('/c', [
        ['x-user-id', 'u3'],
        ['x-group', 'staff'],
        ['x-shadowdiff-id', 'spoofed'],
      ]),
      true,
    );
    const id = second.requestHeader('x-shadowdiff-id');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).not.toBe(first.id);
    expect(second.requestHeaders.filter(([name]) => name === 'x-shadowdiff-id')).toHaveLength(1);
    second.complete();
    const [record] = drainBodies(host).map((body) => JSON.parse(body).records[0]);
    expect(record).toMatchObject({ id, segment: 'staff', reason: 'segment', path: '/c', status: 0, json: 'none', complete: false });
    expect(host.trapped).toBeNull();
  });

  it('reads larger than a reused buffer, and many in a row, digest as one read would', async () => {
    const document = corpus('citm_catalog.json');
    const whole = await freshBatch({ requestHeaders: tagged('big'), responseHeaders: json(), chunks: [document], endOfStream: true });
    const { host, plugin } = await started(CONFIG);
    const sizes = [1, 100, 70_000, 3_000, 200_000];
    const chunks: string[] = [];
    let at = 0;
    for (let i = 0; at < document.length; i++) {
      const size = sizes[i % sizes.length]!;
      chunks.push(document.slice(at, at + size));
      at += size;
    }
    run(host, plugin, { requestHeaders: tagged('big'), responseHeaders: json(), chunks, endOfStream: true });
    expect(drainBodies(host)).toEqual([whole]);
    expect(host.trapped).toBeNull();
  });
});
