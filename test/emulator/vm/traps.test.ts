import { beforeAll, describe, expect, it } from 'vitest';
import { ProxyWasmCrashedError, ProxyWasmTrapError } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, loadProbe, probeBytes, request } from '../probeHarness.js';

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('traps', () => {
  it('turns an AssemblyScript abort (critical log, then proc_exit) into a trap of the call', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    let thrown: unknown;
    try {
      stream.sendRequestHeaders(request('/', [['x-probe-abort', '1']]), true);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProxyWasmTrapError);
    expect(host.trapped).toBe(thrown);
    const trap = thrown as ProxyWasmTrapError;
    expect(trap.callback).toBe(`proxy_on_request_headers (context ${stream.contextId})`);
    expect(trap.reason).toMatch(
      /^proc_exit\(255\) \(last critical log: probe abort requested at: test\/emulator\/fixtures\/probe\.ts\(\d+:\d+\)\)$/,
    );
    expect(host.criticalLogs()).toEqual([expect.stringMatching(/^probe abort requested at: test\/emulator\/fixtures\/probe\.ts/)]);
  });

  it('reports a wasm trap', async () => {
    const host = await loadProbe();
    const stream = host.startPlugin('').newHttpStream();
    expect(() => stream.sendRequestHeaders(request('/', [['x-probe-unreachable', '1']]), true)).toThrow(/wasm trap: unreachable/);
    expect(host.trapped).toBeInstanceOf(ProxyWasmTrapError);
  });

  it('refuses every later call into the dead VM, naming the original trap', async () => {
    const host = await loadProbe();
    const plugin = host.startPlugin('tick=100');
    const other = plugin.newHttpStream();
    other.sendRequestHeaders(request('/other', [['x-probe-call', 'collector']]), true);
    other.complete();
    const stream = plugin.newHttpStream();
    expect(() => stream.sendRequestHeaders(request('/', [['x-probe-abort', '1']]), true)).toThrow(ProxyWasmTrapError);
    const calls = [
      () => plugin.newHttpStream(),
      () => plugin.tick(),
      () => host.startPlugin(''),
      () => stream.complete(),
      () => host.respondHttpCall(1, { status: 200 }),
    ];
    for (const call of calls) {
      expect(call).toThrow(ProxyWasmCrashedError);
      expect(call).toThrow(/the VM crashed earlier \(proxy-wasm VM crashed in proxy_on_request_headers/);
    }
  });
});
