import { describe, expect, it } from 'vitest';
import { COLLECTOR, drainBatches, edgeConfig, loadHost, publishMetrics, request, type Plugin } from './harness.js';

function observedRequest(plugin: Plugin, i: number): void {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(request(`/items/${i}`), true);
  stream.sendResponseHeaders(
    [
      [':status', '200'],
      ['content-type', 'application/json'],
    ],
    false,
  );
  stream.sendResponseBody(`{"i":${i}}`, true);
  stream.complete();
}

const exporting = (exportOptions: Record<string, unknown>, collector: Record<string, unknown> = COLLECTOR) =>
  edgeConfig({ defaultPercent: 100 }, { export: exportOptions, collector });

describe('batched export', () => {
  it('sends a full batch at once, to the collector cluster, with the headers Envoy requires', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(exporting({ batchSize: 3 }, { ...COLLECTOR, token: 's3cret', timeoutMs: 750 }));
    observedRequest(plugin, 1);
    observedRequest(plugin, 2);
    expect(host.pendingHttpCalls()).toHaveLength(0);
    observedRequest(plugin, 3);
    const [call] = host.pendingHttpCalls();
    expect(call).toBeDefined();
    expect(call!.cluster).toBe('shadowdiff_collector');
    expect(call!.timeoutMs).toBe(750);
    expect(call!.header(':method')).toBe('POST');
    expect(call!.header(':path')).toBe('/v1/batches');
    expect(call!.header(':authority')).toBe('collector.local');
    expect(call!.header('content-type')).toBe('application/json');
    expect(call!.header('authorization')).toBe('Bearer s3cret');
    const [batch] = drainBatches(host);
    expect(batch!.records.map((r) => r.path)).toEqual(['/items/1', '/items/2', '/items/3']);
    expect(host.metric('shadowdiff.edge.exported_records')?.value).toBe(3n);
    expect(host.metric('shadowdiff.edge.queue_depth')?.value).toBe(0n);
  });

  it('sends a partial batch on tick, at the configured period', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(exporting({ batchSize: 32, flushIntervalMs: 250 }));
    expect(plugin.tickPeriodMs).toBe(250);
    observedRequest(plugin, 1);
    expect(host.pendingHttpCalls()).toHaveLength(0);
    plugin.tick();
    expect(drainBatches(host)[0]!.records).toHaveLength(1);
    plugin.tick();
    expect(host.pendingHttpCalls()).toHaveLength(0);
  });

  it('counts each batch it sends in export_batches: full ones, a partial one on tick, and refused calls too', async () => {
    const host = await loadHost({ knownClusters: ['shadowdiff_collector'] });
    const plugin = host.startPlugin(exporting({ batchSize: 2, maxInflight: 8 }));
    for (let i = 0; i < 11; i++) observedRequest(plugin, i);
    expect(host.metric('shadowdiff.edge.export_batches')?.value).toBe(5n);
    plugin.tick();
    expect(host.metric('shadowdiff.edge.export_batches')?.value).toBe(6n);
    expect(drainBatches(host).map((batch) => batch.records.length)).toEqual([2, 2, 2, 2, 2, 1]);
    plugin.tick();
    expect(host.metric('shadowdiff.edge.export_batches')?.value).toBe(6n);

    const refused = host.startPlugin(exporting({ batchSize: 3 }, { cluster: 'no_such_cluster' }));
    for (let i = 0; i < 6; i++) observedRequest(refused, i);
    expect(host.metric('shadowdiff.edge.export_batches')?.value).toBe(8n);
    expect(host.metric('shadowdiff.edge.export_failures')?.value).toBe(2n);
  });

  it('bounds the queue: records beyond maxQueue are dropped and counted, never buffered', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(exporting({ batchSize: 2, maxQueue: 4, maxInflight: 1 }));
    for (let i = 0; i < 20; i++) observedRequest(plugin, i);
    // one call in flight (2 records), 4 waiting, the other 14 dropped
    expect(host.pendingHttpCalls()).toHaveLength(1);
    publishMetrics(plugin);
    expect(host.pendingHttpCalls()).toHaveLength(1);
    expect(host.metric('shadowdiff.edge.dropped_queue_full')?.value).toBe(14n);
    expect(host.metric('shadowdiff.edge.queue_depth')?.value).toBe(4n);
    expect(host.metric('shadowdiff.edge.inflight')?.value).toBe(1n);
    let delivered = 0;
    for (let round = 0; round < 5; round++) for (const batch of drainBatches(host)) delivered += batch.records.length;
    expect(delivered).toBe(6);
    expect(host.metric('shadowdiff.edge.queue_depth')?.value).toBe(0n);
  });

  it('counts failed calls (timeout/reset, non-2xx) and drops their records without retrying', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(exporting({ batchSize: 2 }));
    for (let i = 0; i < 4; i++) observedRequest(plugin, i);
    const [first, second] = host.pendingHttpCalls();
    host.failHttpCall(first!.token);
    host.respondHttpCall(second!.token, { status: 503, body: 'overloaded' });
    expect(host.pendingHttpCalls()).toHaveLength(0);
    plugin.tick();
    expect(host.pendingHttpCalls()).toHaveLength(0);
    expect(host.metric('shadowdiff.edge.export_failures')?.value).toBe(2n);
    expect(host.metric('shadowdiff.edge.dropped_export_failed')?.value).toBe(4n);
    expect(host.metric('shadowdiff.edge.exported_records')?.value).toBe(0n);
    expect(host.metric('shadowdiff.edge.inflight')?.value).toBe(0n);
  });

  it('counts a call the host refuses (unknown cluster) as a failure, without trapping', async () => {
    const host = await loadHost({ knownClusters: ['shadowdiff_collector'] });
    const plugin = host.startPlugin(exporting({ batchSize: 1 }, { cluster: 'no_such_cluster' }));
    observedRequest(plugin, 1);
    expect(host.trapped).toBeNull();
    expect(host.metric('shadowdiff.edge.export_failures')?.value).toBe(1n);
    expect(host.metric('shadowdiff.edge.dropped_export_failed')?.value).toBe(1n);
  });

  // Regression: the runtime's virtual dispatch leaked every stream context (~640 bytes a
  // request), which is why the filter has its own ABI entry points.
  it('keeps memory flat over many requests', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(exporting({ batchSize: 16 }));
    const round = () => {
      for (let i = 0; i < 2000; i++) observedRequest(plugin, i);
      drainBatches(host);
    };
    // the allocator grows once while maps and buffers reach their working size
    for (let r = 0; r < 12; r++) round();
    const warm = host.memoryBytes();
    for (let r = 0; r < 25; r++) round();
    expect(host.memoryBytes()).toBe(warm);
  });

  // Unobserved requests get no stream object, only an entry from context to root: that entry
  // must go with the stream. (Observed ones: the test above.)
  it('keeps memory flat over many requests the edge does not sample', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }, { export: { batchSize: 16 } }));
    const round = () => {
      for (let i = 0; i < 2000; i++) {
        const stream = plugin.newHttpStream();
        stream.sendRequestHeaders(request(`/items/${i}`), true);
        stream.sendResponseHeaders(
          [
            [':status', '200'],
            ['content-type', 'application/json'],
          ],
          false,
        );
        stream.sendResponseBody('{"id":1}', true);
        stream.complete();
      }
      plugin.tick();
      drainBatches(host);
    };
    for (let r = 0; r < 12; r++) round();
    const warm = host.memoryBytes();
    for (let r = 0; r < 25; r++) round();
    expect(host.memoryBytes()).toBe(warm);
    expect(host.trapped).toBeNull();
  });
});
