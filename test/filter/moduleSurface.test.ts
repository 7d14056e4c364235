import { describe, expect, it } from 'vitest';
import { ENVOY_ABI_0_2_0_IMPORTS, listWasmImports } from '../../emulator/index.js';
import { wasmBytes } from './harness.js';

describe('the built module', () => {
  const bytes = wasmBytes();
  const module = new WebAssembly.Module(bytes);

  it('imports only what Envoy provides for ABI 0.2.0', () => {
    const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
    expect(imports.length).toBeGreaterThan(5);
    const unknown = imports.filter((name) => !ENVOY_ABI_0_2_0_IMPORTS.has(name));
    expect(unknown).toEqual([]);
  });

  it('does not import proxy_clear_route_cache (an ABI 0.1.0 call Envoy refuses for 0.2.0)', () => {
    expect(listWasmImports(bytes)).not.toContain('proxy_clear_route_cache');
    expect(listWasmImports(bytes)).toContain('proxy_http_call');
  });

  it('declares ABI 0.2.0 and exports the allocator and the lifecycle hooks', () => {
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const name of [
      'proxy_abi_version_0_2_0',
      'malloc',
      'proxy_on_configure',
      'proxy_on_request_headers',
      'proxy_on_response_body',
      'proxy_on_log',
      'proxy_on_tick',
      'proxy_on_http_call_response',
    ]) {
      expect(exports).toContain(name);
    }
  });
});
