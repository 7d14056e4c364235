// The built filter (build/shadowdiff.wasm) in the proxy-wasm host emulator: each configuration is
// started as Envoy starts a plugin, in a VM of its own, and passes when the filter's own
// validation in on_configure accepts it. A missing build fails the suite rather than skipping it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyWasmHost, type Plugin } from '../../emulator/index.js';
import { PROJECT_ROOT } from './manifests.js';

export const FILTER_WASM = join(PROJECT_ROOT, 'build', 'shadowdiff.wasm');

export function filterWasmBytes(): Uint8Array {
  if (!existsSync(FILTER_WASM)) throw new Error(`${FILTER_WASM} is missing: run \`npm run build:filter\` (npm test builds it first)`);
  return readFileSync(FILTER_WASM);
}

export interface StartedFilter {
  host: ProxyWasmHost;
  plugin: Plugin;
}

export async function startFilter(configuration: string, rootId: string): Promise<StartedFilter> {
  const host = await ProxyWasmHost.load(filterWasmBytes(), { rootId });
  return { host, plugin: host.startPlugin(configuration) };
}
