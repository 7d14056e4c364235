// The leg's upstream timing (filter/README.md, "Timings"): Envoy's response.backend_latency, read
// once at on_log, leaves in wire format 2 as `upstreamUs` and never in version 1, whose records
// stay byte for byte what the previous release sent.
import { describe, expect, it } from 'vitest';
import { COLLECTOR, drainBatches, loadHost, request } from './harness.js';
import type { ProxyWasmHost } from '../../emulator/index.js';

function nanos(value: bigint): Uint8Array {
  return new Uint8Array(new BigInt64Array([value]).buffer);
}

function exportOne(host: ProxyWasmHost, wireVersion: 1 | 2, backendLatency: Uint8Array | null): Record<string, unknown> {
  const plugin = host.startPlugin(JSON.stringify({ role: 'primary', collector: { ...COLLECTOR, wireVersion }, export: { batchSize: 1 } }));
  const stream = plugin.newHttpStream();
  if (backendLatency !== null) stream.setProperty(['response', 'backend_latency'], backendLatency);
  stream.sendRequestHeaders(request('/orders/1', [['x-shadowdiff-id', 'timing-1']]), true);
  stream.sendResponseHeaders(
    [
      [':status', '200'],
      ['content-type', 'application/json'],
    ],
    false,
  );
  stream.sendResponseBody('{"a":1}', true);
  stream.complete();
  const [call] = host.pendingHttpCalls();
  const wire = JSON.parse(call!.bodyText()) as { records: Array<Record<string, unknown>> };
  drainBatches(host);
  expect(host.trapped).toBeNull();
  return wire.records[0]!;
}

describe('upstream timing', () => {
  it('sends Envoy backend latency as upstreamUs in wire format 2, in whole microseconds', async () => {
    const record = exportOne(await loadHost(), 2, nanos(12_345_678n));
    expect(record['upstreamUs']).toBe(12_345);
  });

  it('leaves upstreamUs out when Envoy has no upstream timing (a local reply) or a value of another size', async () => {
    expect(exportOne(await loadHost(), 2, null)).not.toHaveProperty('upstreamUs');
    expect(exportOne(await loadHost(), 2, new Uint8Array([1, 2, 3, 4]))).not.toHaveProperty('upstreamUs');
  });

  it('never sends it in wire format 1, whose schema has no such member', async () => {
    expect(exportOne(await loadHost(), 1, nanos(12_345_678n))).not.toHaveProperty('upstreamUs');
  });
});
