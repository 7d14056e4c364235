import { beforeAll, describe, expect, it } from 'vitest';
import { WasmResult, type Plugin } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, loadProbe, messages, probeBytes, request } from '../probeHarness.js';

/** One request that makes the probe CAS-increment the shared key "probe.count". */
function casRequest(plugin: Plugin): { count: string | undefined; results: string | undefined } {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(request('/', [['x-probe-cas', '1']]), true);
  return { count: stream.requestHeader('x-probe-count'), results: stream.requestHeader('x-probe-cas-results') };
}

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('metrics', () => {
  it('defines, increments, records and reads counters, gauges and histograms', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    for (let index = 1; index <= 3; index++) {
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(request(), true);
      expect(stream.requestHeader('x-probe-requests')).toBe(String(index)); // proxy_get_metric
      expect(host.metric('probe.inflight')).toEqual({ type: 'gauge', value: 1n });
      stream.sendResponseHeaders([[':status', '200']]);
      stream.sendResponseBody('x'.repeat(index), true);
      stream.complete();
    }
    expect(host.metric('probe.requests')).toEqual({ type: 'counter', value: 3n });
    expect(host.metric('probe.inflight')).toEqual({ type: 'gauge', value: 0n });
    expect(host.metric('probe.body_bytes')).toEqual({ type: 'histogram', value: 6n, samples: [1n, 2n, 3n] });
    expect(host.metric('probe.nothing')).toBeUndefined();
    expect([...host.metrics().keys()]).toEqual([
      'probe.requests',
      'probe.inflight',
      'probe.body_bytes',
      'probe.call_responses',
      'probe.call_failures',
      'probe.ticks',
    ]);
  });
});

describe('shared data', () => {
  it('implements compare-and-swap: a stale CAS is refused with CasMismatch', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    // get NotFound, set Ok, stale set CasMismatch
    expect(casRequest(plugin)).toEqual({ count: '1', results: '1/0/8' });
    const first = host.sharedData.get('probe.count');
    // get Ok, set Ok with the CAS it read, stale set (that CAS again) CasMismatch
    expect(casRequest(plugin)).toEqual({ count: '2', results: '0/0/8' });
    expect(host.sharedData.text('probe.count')).toBe('2');
    expect(host.sharedData.get('probe.count')?.cas).toBeGreaterThan(first?.cas ?? Infinity);
  });

  it('lets the test read and write the same key space', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    expect(host.sharedData.set('probe.count', '41')).toBe(WasmResult.Ok);
    const cas = host.sharedData.get('probe.count')?.cas ?? 0;
    expect(host.sharedData.set('probe.count', '0', cas + 1)).toBe(WasmResult.CasMismatch);
    expect(casRequest(plugin).count).toBe('42');
    expect([...host.sharedData.keys()]).toEqual(['probe.count']);
  });

  it('is shared by the VMs of one process and separate between processes', async () => {
    const host = await loadProbe();
    const worker = await loadProbe({ sameProcessAs: host });
    const otherProcess = await loadProbe();
    expect(casRequest(host.startPlugin('')).count).toBe('1');
    expect(casRequest(worker.startPlugin('')).count).toBe('2');
    expect(casRequest(otherProcess.startPlugin('')).count).toBe('1');
    expect(worker.metric('probe.requests')?.value).toBe(2n);
    expect(otherProcess.metric('probe.requests')?.value).toBe(1n);
    host.advanceTimeMs(1000);
    expect(worker.nowNanos).toBe(host.nowNanos);
    expect(otherProcess.nowNanos).not.toBe(host.nowNanos);
  });

  it('keeps one key space per vm_id', async () => {
    const host = await loadProbe({ vmId: 'a' });
    const otherVmId = await loadProbe({ sameProcessAs: host, vmId: 'b' });
    casRequest(host.startPlugin(''));
    expect(casRequest(otherVmId.startPlugin('')).count).toBe('1');
  });
});

describe('shared queues', () => {
  it('delivers proxy_on_queue_ready to the registering root once the enqueuing call returns', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request('/', [['x-probe-enqueue', 'first item']]), true);
    // Not re-entrantly from inside proxy_enqueue_shared_queue: Envoy posts it to the event loop.
    expect(messages(host).slice(-3)).toEqual(['enqueued: 0', 'queue item: first item', 'queue drained: 7']); // 7: Empty
  });
});
