import { beforeAll, describe, expect, it } from 'vitest';
import { LogLevel } from '../../../emulator/index.js';
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
    const headers: Array<[string, string]> = [['content-type', 'application/json'], ['x-trace', 'abc'.repeat(20)]];
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

  it('runs a whole stream in well under a millisecond', async () => {
    const host = await loadProbe({ logLevel: LogLevel.Warn });
    const plugin = host.startPlugin('');
    const body = new Uint8Array(4096).fill(0x61);
    const run = (count: number) => {
      for (let index = 0; index < count; index++) {
        const stream = plugin.newHttpStream();
        stream.sendRequestHeaders(request(), true);
        stream.sendResponseHeaders([[':status', '200'], ['content-type', 'application/json']]);
        stream.sendResponseBody(body, false);
        stream.sendResponseBody(body, true);
        stream.complete();
      }
    };
    run(200);
    // CPU time of this process, so a busy machine does not fail the test.
    const started = process.cpuUsage();
    run(2000);
    const used = process.cpuUsage(started);
    const perStreamMs = (used.user + used.system) / 1000 / 2000;
    // Mostly the probe's own work (about 0.3 ms); a generous bound that still
    // catches a host that, say, rebuilt its memory views or decoded every debug log.
    expect(perStreamMs).toBeLessThan(2);
  });
});
