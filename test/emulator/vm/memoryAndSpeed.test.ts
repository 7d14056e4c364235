import { beforeAll, describe, expect, it, vi } from 'vitest';
import { LogLevel, type ProxyWasmHost, type ProxyWasmHostOptions } from '../../../emulator/index.js';
import { WasmMemory } from '../../../emulator/vm/wasmMemory.js';
import { FIXTURE_BUILD_TIMEOUT_MS, loadProbe, probeBytes, request } from '../probeHarness.js';

// Builds the probe (slow the first time) outside the per-test timeout.
beforeAll(probeBytes, FIXTURE_BUILD_TIMEOUT_MS);

describe('memory and speed', () => {
  it('hands the module memory it releases: flat over many http call responses', async () => {
    // Each response makes the host malloc header pairs, a header value and the
    // body inside the VM; the probe frees them as the runtime does. (Per-stream
    // contexts are left out: the 0.1.8 runtime's own context bookkeeping grows.)
    const host = await loadProbe({ logLevel: LogLevel.Warn });
    const plugin = host.startPlugin('tick=10 tickcall');
    const headers: Array<[string, string]> = [
      ['content-type', 'application/json'],
      ['x-trace', 'abc'.repeat(20)],
    ];
    const body = 'x'.repeat(2048);
    const round = () => {
      for (let index = 0; index < 500; index++) {
        plugin.tick();
        const [call] = host.pendingHttpCalls();
        host.respondHttpCall(call?.token ?? 0, { status: 200, headers, body });
      }
    };
    round();
    const warm = host.memoryBytes();
    for (let index = 0; index < 6; index++) {
      round();
    }
    expect(host.memoryBytes()).toBe(warm);
    expect(host.metric('probe.call_responses')?.value).toBe(3500n);
    expect(host.trapped).toBeNull();
  });

  // The per-stream cost itself is a benchmark's business (bench line 5 drives the filter through
  // this host); here the two host regressions that made streams slow are counted instead.
  it('per stream, rebuilds memory views only after the memory grew and decodes no log line below the level', async () => {
    const body = new Uint8Array(4096).fill(0x61);
    const run = (host: ProxyWasmHost, count: number) => {
      const plugin = host.startPlugin('');
      for (let index = 0; index < count; index++) {
        const stream = plugin.newHttpStream();
        stream.sendRequestHeaders(request(), true);
        stream.sendResponseHeaders([
          [':status', '200'],
          ['content-type', 'application/json'],
        ]);
        stream.sendResponseBody(body, false);
        stream.sendResponseBody(body, true);
        stream.complete();
      }
    };
    // refreshViews is private: spied on through the prototype, where it lives at run time.
    const rebuilds = vi.spyOn(WasmMemory.prototype as unknown as { refreshViews(): void }, 'refreshViews');
    const decodes = vi.spyOn(WasmMemory.prototype, 'readString');
    try {
      const counted = async (logLevel: NonNullable<ProxyWasmHostOptions['logLevel']>) => {
        const host = await loadProbe({ logLevel });
        run(host, 200);
        const bytesBefore = host.memoryBytes();
        host.clearLogs();
        rebuilds.mockClear();
        decodes.mockClear();
        run(host, 2000);
        return {
          pagesGrown: (host.memoryBytes() - bytesBefore) / 65_536,
          rebuilds: rebuilds.mock.calls.length,
          decodes: decodes.mock.calls.length,
          logged: host.logs.length,
        };
      };
      const quiet = await counted(LogLevel.Warn);
      const verbose = await counted(LogLevel.Trace);
      // a view is rebuilt only after a growth detached it, and each growth adds at least a page
      for (const { rebuilds, pagesGrown } of [quiet, verbose]) expect(rebuilds).toBeLessThanOrEqual(pagesGrown);
      expect(quiet.logged).toBe(0);
      expect(verbose.logged).toBeGreaterThan(2000);
      // every line written at trace level costs one decode, and only then
      expect(verbose.decodes - quiet.decodes).toBe(verbose.logged);
    } finally {
      rebuilds.mockRestore();
      decodes.mockRestore();
    }
  });
});
