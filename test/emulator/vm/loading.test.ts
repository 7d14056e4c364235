import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogLevel, ProxyWasmHost, ProxyWasmLoadError, ProxyWasmTrapError, listWasmImports } from '../../../emulator/index.js';
import { FIXTURE_BUILD_TIMEOUT_MS, buildFixture } from '../fixtures/buildFixture.js';
import { probeBytes, request } from '../probeHarness.js';

async function loadError(bytes: Uint8Array): Promise<ProxyWasmLoadError> {
  const error: unknown = await ProxyWasmHost.load(bytes).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ProxyWasmLoadError);
  return error as ProxyWasmLoadError;
}

describe('loading a module', () => {
  let refused: Uint8Array;
  let startup: Uint8Array;
  let plainAbort: Uint8Array;

  beforeAll(async () => {
    [refused, startup, plainAbort] = await Promise.all([
      buildFixture('refused'),
      buildFixture('startup'),
      buildFixture('plainAbort'),
      probeBytes(),
    ]);
  }, FIXTURE_BUILD_TIMEOUT_MS);

  it('loads a module built like the filter, without warnings', async () => {
    const host = await ProxyWasmHost.load(await probeBytes());
    expect(host.trapped).toBeNull();
    expect(host.logsAt(LogLevel.Warn)).toEqual([]);
  });

  it('loads from a file path', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'emulator-')), 'probe.wasm');
    await writeFile(path, await probeBytes());
    const host = await ProxyWasmHost.load(path);
    expect(host.startPlugin('').ok).toBe(true);
  });

  it('lists import names, for assertions on a build', async () => {
    const names = listWasmImports(await probeBytes());
    expect(names).toContain('proxy_http_call');
    expect(names).toContain('proc_exit');
    expect(names).not.toContain('proxy_clear_route_cache');
    expect(listWasmImports(refused)).toContain('proxy_clear_route_cache');
  });

  it('refuses what Envoy refuses to link for ABI 0.2.0, naming every reason', async () => {
    const error = await loadError(refused);
    expect(error.problems).toEqual([
      expect.stringContaining('exports no proxy_abi_version_0_2_0'),
      expect.stringContaining('exports no malloc'),
      expect.stringMatching(/env\.proxy_clear_route_cache, which Envoy does not provide to ABI 0\.2\.0 modules/),
      expect.stringMatching(/env\.proxy_grpc_call as \(i32(, i32){9}\) -> i32, but Envoy's is \(i32(, i32){11}\) -> i32/),
      expect.stringMatching(/env\.not_a_host_function, which Envoy does not provide/),
    ]);
  });

  it('refuses host calls made while the module starts, as Envoy restricts them', async () => {
    const error = await loadError(startup);
    expect(error.message).toMatch(/trapped while instantiating/);
    expect(error.message).toMatch(/proc_exit\(255\)/);
    expect(error.message).toMatch(/host calls refused while starting .*: proxy_define_metric/);
  });

  it('loads a module importing env.abort with a warning, and traps when it aborts', async () => {
    const host = await ProxyWasmHost.load(plainAbort);
    expect(host.logsAt(LogLevel.Warn).map((entry) => entry.message)).toEqual([
      expect.stringMatching(/imports env\.abort, which Envoy does not provide: Envoy would refuse to load it/),
    ]);
    const stream = host.startPlugin('').newHttpStream();
    expect(() => stream.sendRequestHeaders(request(), true)).toThrow(ProxyWasmTrapError);
    expect(host.criticalLogs()).toEqual([
      expect.stringMatching(/^abort: plain abort requested at test\/emulator\/fixtures\/plainAbort\.ts\(\d+:\d+\)$/),
    ]);
    expect(host.trapped?.message).toMatch(/proxy_on_request_headers .*abort: plain abort requested/);
  });

  it('rejects bytes that are not wasm', async () => {
    const error = await loadError(new Uint8Array([0, 1, 2, 3]));
    expect(error.message).toMatch(/not a valid wasm module/);
  });

  it("refuses a clock start for a host that joins another host's process", async () => {
    const first = await ProxyWasmHost.load(await probeBytes());
    await expect(ProxyWasmHost.load(await probeBytes(), { sameProcessAs: first, nowNanos: 1n })).rejects.toThrow(
      /clock belongs to the process/,
    );
  });
});
