// The observed leg's record: timings, completion, the wire format, and never holding the stream.
import { describe, expect, it } from 'vitest';
import { wireFormatErrors, type DecodedBatch } from '../support/wireFormat.js';
import { COLLECTOR, drainBatches, edgeConfig, loadHost, request } from './harness.js';

describe('observed leg lifecycle', () => {
  it('returns Continue for every callback, so nothing is held', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }));
    const stream = plugin.newHttpStream();
    expect(stream.sendRequestHeaders(request(), false)).toBe(0);
    expect(stream.sendRequestBody('{"q":1}', true)).toBe(0);
    expect(stream.sendResponseHeaders([[':status', '200'], ['content-type', 'application/json']], false)).toBe(0);
    expect(stream.sendResponseBody('{"a":', false)).toBe(0);
    expect(stream.sendResponseBody('1}', false)).toBe(0);
    expect(stream.sendResponseTrailers([['grpc-status', '0']])).toBe(0);
    stream.complete();
    expect(host.trapped).toBeNull();
  });

  it('measures first and last byte from request start with the host clock', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }, { export: { batchSize: 1 } }));
    host.setTimeNanos(1_800_000_000_000_000_000n);
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request('/orders/42?expand=items', [['x-request-id', 'rid-1']]), true);
    host.advanceTimeMs(12);
    stream.sendResponseHeaders([[':status', '201'], ['content-type', 'application/json']], false);
    host.advanceTimeMs(30);
    stream.sendResponseBody('{"ok":true}', true);
    host.advanceTimeMs(500);
    stream.complete();
    const [batch] = drainBatches(host);
    expect(wireFormatErrors(batch?.wire)).toBeNull();
    const record = batch!.records[0]!;
    expect(record).toMatchObject({
      leg: 'primary', segment: 'default', reason: 'default', method: 'GET', path: '/orders/42', authority: 'orders.local',
      requestId: 'rid-1', status: 201, complete: true, respBytes: 11, json: 'ok', startUnixMs: 1_800_000_000_000,
      firstByteUs: 12_000, lastByteUs: 42_000,
    });
  });

  it('records an incomplete response (reset mid-body) when the stream ends', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(JSON.stringify({ role: 'shadow', collector: COLLECTOR, export: { batchSize: 1 } }));
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request('/', [['x-shadowdiff-id', 'abc123'], ['x-shadowdiff-segment', 'Bad Segment!'], ['x-shadowdiff-reason', 'x']]), true);
    stream.sendResponseHeaders([[':status', '200'], ['content-type', 'application/json']], false);
    stream.sendResponseBody('{"a":[1,2', false);
    stream.complete();
    const [batch] = drainBatches(host);
    expect(wireFormatErrors(batch?.wire)).toBeNull();
    expect(batch!.records[0]).toMatchObject({ id: 'abc123', leg: 'shadow', segment: 'default', reason: 'default', complete: false, json: 'malformed', respBytes: 9 });
  });

  it('records a stream that never got a response as status 0', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }, { export: { batchSize: 1 } }));
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request(), true);
    stream.complete();
    const [batch] = drainBatches(host);
    expect(wireFormatErrors(batch?.wire)).toBeNull();
    expect(batch!.records[0]).toMatchObject({ status: 0, complete: false, json: 'none', firstByteUs: 0 });
  });

  it.each([1, 2])('emits records that validate against the wire schema (version %i) for every corner it can produce', async (wireVersion) => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }, { source: 'edge-eu.1', collector: { ...COLLECTOR, wireVersion }, export: { batchSize: 4 } }));
    const bodies = ['{"\u0000ctl\n":"x","a\\b":[{}]}', 'not json', `[${'1,'.repeat(5000)}1]`, '"just a string"'];
    for (const body of bodies) {
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(request(`/p/${'x'.repeat(3000)}`, [[':authority', 'h'.repeat(400)], ['x-request-id', 'r'.repeat(200)]]), true);
      stream.sendResponseHeaders([[':status', '200'], ['content-type', 'application/json'], ['etag', 'W/"1"']], false);
      stream.sendResponseBody(body, true);
      stream.complete();
    }
    const batches: DecodedBatch[] = drainBatches(host);
    expect(batches).toHaveLength(1);
    expect(wireFormatErrors(batches[0]?.wire)).toBeNull();
    expect(batches[0]!.v).toBe(wireVersion);
    expect(batches[0]!.source).toBe('edge-eu.1');
    expect(Object.keys(batches[0]!.records[0]!.fields)).toEqual(['$["\\u0000ctl\\u000a"]', '$["a\\\\b"][0]']);
  });
});
