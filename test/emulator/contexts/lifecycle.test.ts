import { beforeAll, describe, expect, it } from 'vitest';
import { FilterHeadersStatus, LogLevel, ProxyWasmCrashedError } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, loadProbe, messages, probeBytes, request } from '../probeHarness.js';

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('plugin lifecycle', () => {
  it('creates, starts and configures a root context, serving VM and plugin configuration', async () => {
    const host = await loadProbe({ vmConfig: 'vm-settings' });
    const plugin = host.startPlugin('tick=250');
    expect(plugin.ok).toBe(true);
    expect(plugin.rootContextId).toBe(1);
    expect(plugin.rootId).toBe('shadowdiff');
    expect(plugin.tickPeriodMs).toBe(250);
    expect(messages(host)).toEqual(
      expect.arrayContaining(['vm config: vm-settings', 'probe configured: tick=250', 'metric ids stable: yes']),
    );
  });

  it('reports a refused configuration as not ok, without a trap', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('refuse');
    expect(plugin.ok).toBe(false);
    expect(host.trapped).toBeNull();
    expect(() => plugin.newHttpStream()).toThrow(/the plugin did not start/);
    expect(host.startPlugin('').ok).toBe(true);
  });

  it('reports a trap during configuration as not ok and keeps the VM dead', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('abort');
    expect(plugin.ok).toBe(false);
    expect(host.trapped?.message).toMatch(/proxy_on_configure .*configuration abort requested/);
    expect(() => host.startPlugin('')).toThrow(ProxyWasmCrashedError);
  });

  it('starts several plugins on one VM, each with its root context and root id', async () => {
    const host = await loadProbe();
    const first = host.startPlugin('tick=100');
    const second = host.startPlugin('tick=200', { rootId: 'probe.alt' });
    expect([first.rootContextId, second.rootContextId]).toEqual([1, 2]);
    expect([first.tickPeriodMs, second.tickPeriodMs]).toEqual([100, 200]);
    expect(messages(host)).toEqual(expect.arrayContaining(['probe configured: tick=100', 'alt configured: tick=200']));
    const stream = second.newHttpStream();
    stream.sendRequestHeaders(request());
    expect(stream.requestHeader('x-probe-root-id')).toBe('probe.alt');
  });

  it('ticks a root context that set a period, at the emulated time', async () => {
    const host = await loadProbe({ nowNanos: 5_000_000_000n });
    const plugin = host.startPlugin('tick=250');
    host.advanceTimeMs(250);
    plugin.tick();
    plugin.tick();
    expect(host.metric('probe.ticks')).toEqual({ type: 'counter', value: 2n });
    // Envoy serves the plugin configuration only while it starts the plugin.
    expect(messages(host)).toContain('probe tick at 5250000000, plugin configuration: result 1');
  });

  it('answers the remaining host calls as Envoy does', async () => {
    const host = await loadProbe();
    expect(host.startPlugin('misc').ok).toBe(true);
    // proxy_done NotFound, no foreign function, no gRPC call, a bad stream type, a root context's continue.
    expect(messages(host)).toContain('misc: done=1 foreign=1 grpc_cancel=2 continue_stream(9)=2 root continue=0');
  });

  it('refuses to tick a root context that set no period, as Envoy would never tick it', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    expect(plugin.tickPeriodMs).toBe(0);
    expect(() => plugin.tick()).toThrow(/set no tick period/);
  });
});

describe('HTTP stream lifecycle', () => {
  it('creates a stream context under its root and passes header counts and end of stream', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    const stream = plugin.newHttpStream();
    expect(stream.contextId).toBe(2);
    expect(stream.sendRequestHeaders(request('/a', [['x-extra', '1']]), true)).toBe(FilterHeadersStatus.Continue);
    expect(stream.requestHeader('x-probe-count-arg')).toBe('4/4/eos');
    expect(plugin.newHttpStream().contextId).toBe(3);
  });

  it('completes with proxy_on_log, then proxy_on_done, then proxy_on_delete, as Envoy orders them', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    stream.sendRequestHeaders(request('/done'), true);
    stream.sendResponseHeaders([[':status', '204']], true);
    host.clearLogs();
    stream.complete();
    const lines = host.logsAt(LogLevel.Debug).map((entry) => entry.message);
    const log = lines.findIndex((line) => line.startsWith('log: path=/done status=204'));
    const done = lines.indexOf('context id: 2: onDone()');
    const deleted = lines.indexOf('context id: 2: onDelete()');
    expect(log).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(log);
    expect(deleted).toBeGreaterThan(done);
  });

  it('records proxy_continue_stream and proxy_close_stream, and drops the request maps on continue like Envoy', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    expect(stream.streamActions).toEqual([]);
    const status = stream.sendRequestHeaders(
      request('/', [
        ['x-probe-hold', '1'],
        ['x-probe-continue', '1'],
        ['x-probe-close', '1'],
      ]),
      true,
    );
    expect(status).toBe(FilterHeadersStatus.StopIteration);
    expect(stream.streamActions).toEqual(['close_response', 'continue_request']);
    stream.sendResponseHeaders([[':status', '200']]);
    expect(stream.responseHeader('x-probe-request-visible')).toBe('2'); // gone although the phase stopped
  });

  it('refuses sequences Envoy never produces', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('');
    const stream = plugin.newHttpStream();
    expect(() => stream.sendResponseHeaders([[':status', '200']])).toThrow(/request headers before the response/);
    expect(() => stream.sendRequestBody('x', true)).toThrow(/before the headers/);
    stream.sendRequestHeaders(request(), true);
    expect(() => stream.sendRequestBody('x', true)).toThrow(/after end of stream/);
    expect(() => stream.sendRequestHeaders(request())).toThrow(/after end of stream/);
    stream.sendResponseHeaders([[':status', '200']]);
    stream.complete();
    expect(() => stream.sendResponseBody('late', true)).toThrow(/is complete/);
    expect(() => stream.complete()).toThrow(/is complete/);
    expect(host.trapped).toBeNull();
  });
});
