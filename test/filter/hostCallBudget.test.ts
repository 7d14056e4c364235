// What one request costs in host round trips (filter/README.md, "What a request costs"):
// each proxy_* call and each allocation the host makes in the VM (malloc, a call into the
// module) crosses the Wasm boundary, and on the request path those crossings were most
// of the filter's price. Pinned as exact counts, so a regression fails here without timing
// anything.
import { describe, expect, it } from 'vitest';
import { COLLECTOR, defaultCapsEdgeConfig, edgeConfig, loadHost, request, wasmBytes, type Headers, type Plugin } from './harness.js';
import { cutDocuments } from '../../bench/corpusCuts.js';
import type { ProxyWasmHost } from '../../emulator/index.js';

/** The bench's 1 KB JSON document. */
const DOCUMENT = cutDocuments()
  .find((document) => document.name === '1k')!
  .bytes.toString('utf8');

const BACKEND_LATENCY = new Uint8Array(new BigInt64Array([12_500_000n]).buffer);

/** One request through every phase, the response body in `chunks` chunks; the host calls it made. */
function callsOf(host: ProxyWasmHost, plugin: Plugin, headers: Headers, chunks = 1): Record<string, number> {
  host.clearHostCalls();
  const stream = plugin.newHttpStream();
  // What Envoy's router has by on_log: 12.5 ms from the first byte sent upstream to the last one received.
  stream.setProperty(['response', 'backend_latency'], BACKEND_LATENCY);
  stream.sendRequestHeaders(headers, true);
  stream.sendResponseHeaders(
    [
      [':status', '200'],
      ['content-type', 'application/json'],
      ['content-length', String(DOCUMENT.length)],
    ],
    false,
  );
  const size = Math.ceil(DOCUMENT.length / chunks);
  for (let i = 0; i < chunks; i++) stream.sendResponseBody(DOCUMENT.slice(i * size, (i + 1) * size), i === chunks - 1);
  stream.complete();
  expect(host.trapped).toBeNull();
  return Object.fromEntries([...host.hostCalls()].sort(([a], [b]) => a.localeCompare(b)));
}

const user = (i: number): Headers =>
  request('/orders/1', [
    ['x-user-id', `user-${i}`],
    ['accept', 'application/json'],
    ['user-agent', 'wrk'],
  ]);

describe('host calls per request', () => {
  it('exports only the stream callbacks it acts on: Envoy skips the others, so a request enters the VM six times and its body never', () => {
    const callbacks = WebAssembly.Module.exports(new WebAssembly.Module(wasmBytes()))
      .map(({ name }) => name)
      .filter((name) => name.startsWith('proxy_on_'))
      .sort();
    expect(callbacks).toEqual([
      'proxy_on_configure',
      'proxy_on_context_create',
      'proxy_on_delete',
      'proxy_on_http_call_response',
      'proxy_on_log',
      'proxy_on_request_headers',
      'proxy_on_response_body',
      'proxy_on_response_headers',
      'proxy_on_response_trailers',
      'proxy_on_tick',
      'proxy_on_vm_start',
    ]);
  });

  it('a request that is not sampled makes exactly one host call: it reads the request headers once', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(
      edgeConfig({ defaultPercent: 0, segments: [{ name: 'beta', header: 'x-beta', present: true, percent: 100 }] }),
    );
    for (let i = 0; i < 50; i++) {
      expect(callsOf(host, plugin, user(i))).toEqual({ malloc: 1, proxy_get_header_map_pairs: 1 });
    }
  });

  it('without a stickiness key it also reads the clock once (the per-request fallback key)', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
    expect(
      callsOf(host, plugin, [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'shop'],
      ]),
    ).toEqual({
      malloc: 1,
      proxy_get_current_time_nanoseconds: 1,
      proxy_get_header_map_pairs: 1,
    });
  });

  it('a spoofed control header on a request that is not sampled costs one removal per header name, however often it repeats', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
    const spoofed: Headers = [
      ...user(1),
      ['x-shadowdiff-sampled', '1'],
      ['x_shadowdiff_shadow', '1'],
      ['x-shadowdiff-sampled', '1'],
      ['x_shadowdiff_shadow', '2'],
    ];
    expect(callsOf(host, plugin, spoofed)).toEqual({ malloc: 1, proxy_get_header_map_pairs: 1, proxy_remove_header_map_value: 2 });
  });

  it('a sampled request reads each header map once, writes the control headers in one call and reads the clock three times', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }));
    for (let i = 0; i < 20; i++) {
      // a spoofed header changes nothing: it leaves with the same one write
      const headers = i % 2 === 0 ? user(i) : [...user(i), ['x-shadowdiff-id', 'chosen-by-client'] as [string, string]];
      expect(callsOf(host, plugin, headers)).toEqual({
        malloc: 4, // the request headers, the response headers, the body chunk, the upstream timing
        proxy_get_buffer_bytes: 1,
        proxy_get_current_time_nanoseconds: 3, // start, first byte, last byte
        proxy_get_header_map_pairs: 2,
        // once, at on_log: the router's upstream timing, the span both legs are compared by (filter/README.md)
        proxy_get_property: 1,
        proxy_set_header_map_pairs: 1,
      });
    }
  });

  it('a secondary share adds no host call: an unsampled request still makes one, a sampled one the same calls whether or not it also goes to the secondary', async () => {
    const host = await loadHost();
    // no export call within the loop: a batch holds every record it makes
    const unbatched = { export: { batchSize: 1024, maxQueue: 1024 } };
    const plain = host.startPlugin(edgeConfig({ defaultPercent: 100 }, unbatched));
    const sampled = callsOf(host, plain, user(0));
    const half = host.startPlugin(edgeConfig({ defaultPercent: 100, secondaryPercent: 50 }, unbatched));
    const unsampled = host.startPlugin(edgeConfig({ defaultPercent: 0, secondaryPercent: 100 }));
    const routed = new Set<boolean>();
    for (let i = 0; i < 40; i++) {
      const stream = half.newHttpStream();
      stream.sendRequestHeaders(user(i), true);
      routed.add(stream.requestHeader('x-shadowdiff-secondary') === '1');
      stream.complete();
      expect(callsOf(host, half, user(i))).toEqual(sampled);
      expect(callsOf(host, unsampled, user(i))).toEqual({ malloc: 1, proxy_get_header_map_pairs: 1 });
    }
    // both kinds of sampled request were measured
    expect([...routed].sort()).toEqual([false, true]);
  });

  it('each further body chunk of a sampled request costs one read of the chunk', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }));
    expect(callsOf(host, plugin, user(1), 4)).toEqual({
      malloc: 7,
      proxy_get_buffer_bytes: 4,
      proxy_get_current_time_nanoseconds: 3,
      proxy_get_header_map_pairs: 2,
      proxy_get_property: 1,
      proxy_set_header_map_pairs: 1,
    });
  });

  it('a segment with a rate cap adds one shared-data read and one write to a sampled request', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(
      edgeConfig({ segments: [{ name: 'beta', header: 'x-beta', present: true, percent: 100, maxPerSecond: 1000 }] }),
    );
    const beta = (i: number): Headers => [...user(i), ['x-beta', '1']];
    const first = callsOf(host, plugin, beta(1));
    expect(first).toMatchObject({ proxy_get_shared_data: 1, proxy_set_shared_data: 1, proxy_set_header_map_pairs: 1 });
    // from the second request on the key exists: the host hands its value over (one more allocation)
    expect(callsOf(host, plugin, beta(2))).toEqual({ ...first, malloc: first.malloc! + 1 });
  });

  it("under the default caps (its segment's and the filter's) a sampled request adds a shared-data read and write per cap, and an unsampled one nothing", async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(defaultCapsEdgeConfig({ defaultPercent: 100 }));
    const first = callsOf(host, plugin, user(1));
    expect(first).toMatchObject({
      proxy_get_shared_data: 2,
      proxy_set_shared_data: 2,
      proxy_get_current_time_nanoseconds: 3,
      proxy_set_header_map_pairs: 1,
    });
    // from the second request on both keys exist: the host hands each value over (one more allocation each)
    expect(callsOf(host, plugin, user(2))).toEqual({ ...first, malloc: first.malloc! + 2 });
    const none = host.startPlugin(defaultCapsEdgeConfig({ defaultPercent: 0 }));
    expect(callsOf(host, none, user(3))).toEqual({ malloc: 1, proxy_get_header_map_pairs: 1 });
  });

  it('counters cost nothing per request: they are published on the tick, one call per metric that changed', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
    for (let i = 0; i < 100; i++) callsOf(host, plugin, user(i));
    host.clearHostCalls();
    plugin.tick();
    expect(Object.fromEntries(host.hostCalls())).toEqual({ proxy_increment_metric: 1 });
    expect(host.metric('shadowdiff.edge.not_sampled')?.value).toBe(100n);
    host.clearHostCalls();
    plugin.tick();
    expect(Object.fromEntries(host.hostCalls())).toEqual({});
  });

  it('at the shadow, a copy costs the header read, the marker and the clock; at the primary an untagged request only the read', async () => {
    const host = await loadHost();
    const shadow = host.startPlugin(JSON.stringify({ role: 'shadow', collector: COLLECTOR }));
    const primary = host.startPlugin(JSON.stringify({ role: 'primary', collector: COLLECTOR }));
    const copy: Headers = [
      ...user(1),
      ['x-shadowdiff-id', '7173b17081b6d89d'],
      ['x-shadowdiff-segment', 'default'],
      ['x-shadowdiff-reason', 'default'],
    ];
    expect(callsOf(host, shadow, copy)).toEqual({
      malloc: 4,
      proxy_get_buffer_bytes: 1,
      proxy_get_current_time_nanoseconds: 3,
      proxy_get_header_map_pairs: 2,
      proxy_get_property: 1,
      proxy_replace_header_map_value: 1,
    });
    expect(callsOf(host, primary, user(2))).toEqual({ malloc: 1, proxy_get_header_map_pairs: 1 });
  });
});
