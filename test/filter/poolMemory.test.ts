// The VM's pools (stream contexts: plugin/streamPool.ts; inflaters: digest/contentDecoding.ts)
// keep a bounded number of idle objects; whatever comes back past that bound must be freed.
// In Envoy a worker has dozens of streams in flight and they end in any order, so contexts and
// inflaters that were reused once are the ones dropped. AssemblyScript 0.17's Array#pop (and a
// cyclic context type, left to a cycle collector nothing runs) kept every such object alive:
// Envoy's RSS after bench line 2 grew from 94 to 136-183 MiB. Linear memory never shrinks, so a
// leak shows as growth: after a warm-up it must not grow at all, however many streams follow.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ProxyWasmHost } from '../../emulator/index.js';
import { drainBatches, edgeConfig, loadHost, request, type Headers, type Plugin } from './harness.js';

/** More streams in flight than either pool keeps (8 each). */
const IN_FLIGHT = 24;
const WARM_UP_ROUNDS = 4;
const ROUNDS = 40;

const wide = (fields: number): string =>
  JSON.stringify(Object.fromEntries(Array.from({ length: fields }, (_, i) => [`key${i}`, { n: i, s: `value ${i}` }])));

const BODIES: Array<{ headers: Headers; body: Uint8Array }> = [
  { headers: [['content-type', 'application/json']], body: Buffer.from(wide(200)) },
  {
    headers: [
      ['content-type', 'application/json'],
      ['content-encoding', 'gzip'],
    ],
    body: zlib.gzipSync(wide(300)),
  },
];

/** IN_FLIGHT sampled streams started together, answered, and ended last-started first; the records exported. */
function round(host: ProxyWasmHost, plugin: Plugin, index: number): number {
  const streams = Array.from({ length: IN_FLIGHT }, (_, i) => {
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request(`/pool/${index}/${i}`, [['x-request-id', `pool-${index}-${i}`]]), true);
    return stream;
  });
  streams.forEach((stream, i) => {
    const { headers, body } = BODIES[(index + i) % BODIES.length]!;
    stream.sendResponseHeaders([[':status', '200'], ...headers], false);
    stream.sendResponseBody(body, true);
  });
  for (const stream of streams.reverse()) stream.complete();
  return drainBatches(host).reduce((sum, batch) => sum + batch.records.length, 0);
}

describe('pooled objects beyond the pools’ bounds are freed', () => {
  it('linear memory stays flat while more streams end together than the pools keep', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }, { export: { batchSize: 8 } }));
    expect(plugin.ok).toBe(true);
    for (let i = 0; i < WARM_UP_ROUNDS; i++) round(host, plugin, i);
    const warm = host.memoryBytes();
    let exported = 0;
    for (let i = WARM_UP_ROUNDS; i < WARM_UP_ROUNDS + ROUNDS; i++) exported += round(host, plugin, i);
    expect(host.trapped).toBeNull();
    expect(exported).toBe(ROUNDS * IN_FLIGHT);
    expect(host.memoryBytes()).toBe(warm);
  });
});
