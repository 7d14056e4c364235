// Shared setup of the emulator tests: the probe module (built once per worker
// from fixtures/probe.ts) and small request helpers.

import { ProxyWasmHost, type ProxyWasmHostOptions } from '../../emulator/index.js';
import { buildFixture } from './fixtures/buildFixture.js';

export { FIXTURE_BUILD_TIMEOUT_MS } from './fixtures/buildFixture.js';

let probe: Promise<Uint8Array> | undefined;

export function probeBytes(): Promise<Uint8Array> {
  probe ??= buildFixture('probe');
  return probe;
}

export async function loadProbe(options: ProxyWasmHostOptions = {}): Promise<ProxyWasmHost> {
  return ProxyWasmHost.load(await probeBytes(), options);
}

export type Pairs = Array<[string, string]>;

export function request(path = '/items/1', extra: Pairs = []): Pairs {
  return [[':method', 'GET'], [':path', path], [':authority', 'shop.local'], ...extra];
}

/** The probe's 32-bit FNV-1a, to compare with the hash it logs. */
export function fnv1a(bytes: Uint8Array): number {
  let hash = 2166136261;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash;
}

export function messages(host: ProxyWasmHost): string[] {
  return host.logs.map((entry) => entry.message);
}
