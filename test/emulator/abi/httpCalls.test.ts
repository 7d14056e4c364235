import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpStream, Plugin, ProxyWasmHost } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, loadProbe, messages, probeBytes, request, type Pairs } from '../probeHarness.js';

/** A finished stream whose proxy_on_log dispatches a call (to `cluster`). */
function streamThatCalls(plugin: Plugin, extra: Pairs = [], cluster = 'collector'): HttpStream {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(request('/orders', [['x-probe-call', cluster], ['x-probe-id', 'req-7'], ...extra]), true);
  stream.sendResponseHeaders([[':status', '200']]);
  stream.sendResponseBody('hello', true);
  stream.complete();
  return stream;
}

function lastMessage(host: ProxyWasmHost): string | undefined {
  return messages(host).at(-1);
}

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('http calls', () => {
  it("records a call made from proxy_on_log as the root context's, pending until answered", async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    streamThatCalls(plugin);
    expect(messages(host)).toContain('http call result: 0');
    expect(host.httpCalls).toHaveLength(1);
    const [call] = host.pendingHttpCalls();
    expect(call).toMatchObject({ token: 1, rootContextId: plugin.rootContextId, cluster: 'collector', timeoutMs: 5000, done: false });
    expect(call?.headers).toEqual([
      [':method', 'POST'],
      [':path', '/ingest'],
      [':authority', 'collector.local'],
      ['x-probe-id', 'req-7'],
    ]);
    expect(call?.header('X-Probe-Id')).toBe('req-7');
    expect(call?.bodyText()).toBe('path=/orders status=200 bytes=5 fnv=1335831723');
    expect(call?.trailers).toEqual([]);
  });

  it('delivers a response to the root context: headers, body and trailers readable', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    streamThatCalls(plugin);
    host.respondHttpCall(1, { status: 202, headers: [['content-type', 'text/plain']], body: 'accepted', trailers: { 'x-t': '1' } });
    expect(lastMessage(host)).toBe(
      `call response for context ${plugin.rootContextId}: status=202 headers=2 pairs=2 trailers=1 body=accepted`,
    );
    expect(host.pendingHttpCalls()).toEqual([]);
    expect(host.httpCalls[0]?.done).toBe(true);
    expect(host.metric('probe.call_responses')?.value).toBe(1n);
    expect(() => host.respondHttpCall(1, { status: 200 })).toThrow(/already answered/);
    expect(() => host.respondHttpCall(99, { status: 200 })).toThrow(/no http call with token 99/);
  });

  it('reports a timeout as Envoy does: a 504 response', async () => {
    const host = await loadProbe();
    streamThatCalls(host.startPlugin(''));
    host.timeoutHttpCall(1);
    expect(lastMessage(host)).toMatch(/status=504 headers=3 pairs=3 trailers=0 body=upstream request timeout$/);
  });

  it('reports a failure with no headers and no body, and BrokenConnection "reset" from proxy_get_status', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    streamThatCalls(plugin);
    host.failHttpCall(1);
    expect(lastMessage(host)).toBe(`call failed for context ${plugin.rootContextId}: status 11 reset`);
    expect(host.metric('probe.call_failures')?.value).toBe(1n);
  });

  it('answers BadArgument without :authority, or for an unknown cluster, and records nothing', async () => {
    const host = await loadProbe({ knownClusters: ['collector'] });
    const plugin = host.startPlugin('');
    streamThatCalls(plugin, [['x-probe-call-bad', '1']]);
    streamThatCalls(plugin, [], 'nowhere');
    expect(messages(host).filter((line) => line.startsWith('http call result'))).toEqual(['http call result: 2', 'http call result: 2']);
    expect(host.httpCalls).toEqual([]);
  });

  it('lets the module make a call on behalf of a live stream (set_effective_context succeeds)', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(
      request('/', [
        ['x-probe-call-early', '1'],
        ['x-probe-call-origin', 'stream'],
      ]),
      true,
    );
    host.respondHttpCall(1, { status: 200, body: 'early' });
    expect(lastMessage(host)).toBe(`call response for context ${stream.contextId}: status=200 headers=1 pairs=1 trailers=0 body=early`);
    expect(host.criticalLogs()).toEqual([]);
  });

  it('refuses set_effective_context for a stream that is gone, which the runtime logs as critical', async () => {
    const host = await loadProbe();
    const stream = streamThatCalls(host.startPlugin(''), [['x-probe-call-origin', 'stream']]);
    host.respondHttpCall(1, { status: 200, body: 'late' });
    expect(host.criticalLogs()).toEqual([`Unable to set effective context: ${stream.contextId} with result: 2`]);
    expect(host.trapped).toBeNull();
  });
});
