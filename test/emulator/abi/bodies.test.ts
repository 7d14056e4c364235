import { Buffer } from 'node:buffer';
import { beforeAll, describe, expect, it } from 'vitest';
import { FilterDataStatus, LogLevel } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, fnv1a, loadProbe, messages, probeBytes, request } from '../probeHarness.js';

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('body buffers', () => {
  it('serves each response chunk, clamping reads to it and refusing a start past its end', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request(), true);
    stream.sendResponseHeaders([[':status', '200']]);
    const chunks = [Buffer.from('{"items":['), Buffer.from([0xe2, 0x82]), Buffer.from([0xac, 0x5d, 0x7d])];
    chunks.forEach((chunk, index) => {
      expect(stream.sendResponseBody(chunk, index === chunks.length - 1)).toBe(FilterDataStatus.Continue);
    });
    const body = Buffer.concat(chunks);
    // The probe logs an error for a wrong clamp, offset read, start-past-end answer or buffer status.
    expect(host.logsAt(LogLevel.Error)).toEqual([]);
    expect(messages(host)).toContain(`response body: bytes=${body.length} fnv=${fnv1a(body)}`);
    expect(host.metric('probe.body_bytes')).toEqual({ type: 'histogram', value: BigInt(body.length), samples: [BigInt(body.length)] });
  });

  it('answers an empty read Ok without writing the out-pointers, as Envoy does', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request(), true);
    stream.sendResponseHeaders([[':status', '200']]);
    stream.sendResponseBody('', true);
    expect(messages(host)).toContain('empty chunk: result 0, out-pointers untouched');
  });

  it('accumulates chunks while the module answers StopIterationAndBuffer', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/upload', [['x-probe-buffer-request', '1']]));
    expect(stream.sendRequestBody('ab', false)).toBe(FilterDataStatus.StopIterationAndBuffer);
    expect(stream.sendRequestBody('cd', false)).toBe(FilterDataStatus.StopIterationAndBuffer);
    expect(stream.sendRequestBody('ef', true)).toBe(FilterDataStatus.Continue);
    expect(messages(host)).toContain('request body (6): abcdef');
  });

  it('serves only the current chunk when the module continues', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/upload'));
    stream.sendRequestBody('ab', false);
    stream.sendRequestBody('cd', true);
    expect(messages(host)).toEqual(expect.arrayContaining(['request body (2): ab', 'request body (2): cd']));
  });

  it('delivers trailers with their count', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/t'));
    stream.sendRequestBody('x', false);
    stream.sendRequestTrailers([['x-checksum', 'abc']]);
    stream.sendResponseHeaders([[':status', '200']]);
    stream.sendResponseTrailers([
      ['grpc-status', '0'],
      ['grpc-message', 'ok'],
    ]);
    expect(messages(host)).toEqual(expect.arrayContaining(['request trailers: 1', 'response trailers: 2']));
  });
});
