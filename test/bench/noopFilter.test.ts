// The floor module must present Envoy with shadowdiff's exact ABI surface, or the floor measures a
// different set of VM calls; and it must call into the host for nothing but the runtime's abort path.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNoopFilter } from '../../bench/noopFilter/build.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { useTempDir } from './tempDir.js';

async function moduleOf(path: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(path));
}

const exportsOf = (module: WebAssembly.Module): string[] =>
  WebAssembly.Module.exports(module)
    .map(({ name, kind }) => `${kind} ${name}`)
    .sort();

describe('the no-op floor module', () => {
  const dir = useTempDir('shadowdiff-noop-floor-');

  it('exports exactly what build/shadowdiff.wasm exports and imports only the abort path', { timeout: 180_000 }, async () => {
    const [floor, filter] = await Promise.all([
      buildNoopFilter(join(dir(), 'noop-floor.wasm')).then(moduleOf),
      requireFilterWasm().then(moduleOf),
    ]);
    expect(exportsOf(floor)).toEqual(exportsOf(filter));
    expect(exportsOf(floor)).toContain('function proxy_on_request_headers');
    expect(
      WebAssembly.Module.imports(floor)
        .map(({ module, name }) => `${module}.${name}`)
        .sort(),
    ).toEqual(['env.proxy_log', 'wasi_unstable.proc_exit']);
  });
});
