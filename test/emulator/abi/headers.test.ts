import { Buffer } from 'node:buffer';
import { beforeAll, describe, expect, it } from 'vitest';
import { FilterHeadersStatus } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, loadProbe, messages, probeBytes, request } from '../probeHarness.js';

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('header maps', () => {
  it('lets the module add, replace and remove headers; keys are case-insensitive and stored lower-case', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(
      request('/h', [
        ['X-Probe-Replace', 'before'],
        ['x-probe-remove', 'gone'],
        ['x-probe-multi', 'one'],
        ['X-PROBE-MULTI', 'two'],
      ]),
    );
    expect(stream.requestHeader('x-probe-replace')).toBe('replaced');
    expect(stream.requestHeader('X-Probe-Remove')).toBeUndefined();
    expect(stream.requestHeaders.filter(([key]) => key === 'x-probe-multi')).toEqual([
      ['x-probe-multi', 'one'],
      ['x-probe-multi', 'two'],
    ]);
    // proxy_get_header_map_value returns the first of repeated values, as Envoy does.
    expect(stream.requestHeader('x-probe-first')).toBe('one');
    expect(stream.requestHeader('x-probe-missing')).toBe('1'); // NotFound
  });

  it('counts every host call the module makes, and the allocations the host makes in it', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    host.clearHostCalls();
    expect(host.hostCalls().size).toBe(0);
    const headers = request('/h', [
      ['x-probe-replace', 'before'],
      ['x-probe-remove', 'gone'],
      ['x-probe-multi', 'one'],
    ]);
    plugin.newHttpStream().sendRequestHeaders(headers);
    const first = host.hostCalls();
    expect(first.get('proxy_replace_header_map_value')).toBeGreaterThan(0);
    expect(first.get('proxy_remove_header_map_value')).toBeGreaterThan(0);
    expect(first.get('proxy_get_header_map_value')).toBeGreaterThan(0);
    // a value found is handed over in memory the host allocated through the module's malloc
    expect(first.get('malloc')).toBeGreaterThan(0);
    host.clearHostCalls();
    plugin.newHttpStream().sendRequestHeaders(headers);
    expect(host.hostCalls()).toEqual(first);
  });

  it('accepts headers as a record', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders({ ':method': 'GET', ':path': '/record', ':authority': 'shop.local' }, true);
    expect(stream.requestHeaders.slice(0, 3)).toEqual([
      [':method', 'GET'],
      [':path', '/record'],
      [':authority', 'shop.local'],
    ]);
  });

  it('reports the header map size in bytes, as Envoy does', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/size', [['x-näme', 'välue']]));
    const pairs = stream.requestHeaders;
    const before = pairs.slice(
      0,
      pairs.findIndex(([key]) => key === 'x-probe-bytes'),
    );
    const bytes = before.reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
    expect(stream.requestHeader('x-probe-bytes')).toBe(String(bytes));
  });

  it('replaces the whole map with proxy_set_header_map_pairs', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/old', [['x-probe-set-pairs', '1']]));
    expect(stream.requestHeaders).toEqual([
      [':path', '/rewritten'],
      ['x-probe-only', '1'],
    ]);
  });

  it('hides request headers once the request phase continued, and keeps them while it is stopped', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    const continued = plugin.newHttpStream();
    expect(continued.sendRequestHeaders(request(), true)).toBe(FilterHeadersStatus.Continue);
    continued.sendResponseHeaders([[':status', '200']]);
    expect(continued.responseHeader('x-probe-response')).toBe('200');
    expect(continued.responseHeader('x-probe-request-visible')).toBe('2'); // BadArgument
    const held = plugin.newHttpStream();
    expect(held.sendRequestHeaders(request('/', [['x-probe-hold', '1']]), true)).toBe(FilterHeadersStatus.StopIteration);
    held.sendResponseHeaders([[':status', '200']]);
    expect(held.responseHeader('x-probe-request-visible')).toBe('0'); // Ok
  });

  it('serves the final request and response headers read-only in proxy_on_log, but no request trailers', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/logged'), true);
    stream.sendResponseHeaders([[':status', '404']], true);
    stream.complete();
    // request-trailers=1: NotFound, as Envoy answers for a missing map while logging.
    expect(messages(host)).toContain('log: path=/logged status=404 request-trailers=1 property=yes');
  });

  it('records proxy_send_local_response', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    expect(stream.localResponse).toBeNull();
    expect(stream.sendRequestHeaders(request('/', [['x-probe-deny', '1']]), true)).toBe(FilterHeadersStatus.StopIteration);
    const response = stream.localResponse;
    expect(response).toMatchObject({ statusCode: 403, details: 'probe_denied', headers: [['x-probe-local', '1']], grpcStatus: -1 });
    expect(Buffer.from(response?.body ?? []).toString()).toBe('denied');
  });
});

describe('properties and time', () => {
  it('serves plugin_root_id, test-set properties by NUL-separated path, and NotFound for the rest', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    const missing = plugin.newHttpStream();
    missing.sendRequestHeaders(request());
    expect(missing.requestHeader('x-probe-root-id')).toBe('shadowdiff');
    expect(missing.requestHeader('x-probe-prop')).toBe('result 1');

    host.setProperty('probe.custom', 'from-host');
    const hostWide = plugin.newHttpStream();
    hostWide.sendRequestHeaders(request());
    expect(hostWide.requestHeader('x-probe-prop')).toBe('from-host');

    const own = plugin.newHttpStream();
    own.setProperty(['probe', 'custom'], 'from-stream');
    own.sendRequestHeaders(request());
    expect(own.requestHeader('x-probe-prop')).toBe('from-stream');
  });

  it('serves a controllable clock', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    const first = plugin.newHttpStream();
    first.sendRequestHeaders(request());
    expect(first.requestHeader('x-probe-now')).toBe(String(host.nowNanos));
    host.setTimeNanos(1_800_000_000_000_000_000n);
    host.advanceTimeMs(1.5);
    const second = plugin.newHttpStream();
    second.sendRequestHeaders(request());
    expect(second.requestHeader('x-probe-now')).toBe('1800000000001500000');
  });
});
