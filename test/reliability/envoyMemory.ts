// How much memory an Envoy process holds: its RSS (covers the V8 wasm heaps, which Envoy's
// allocator does not see) and the allocator's own count from the admin /memory endpoint.
import type { EnvoyInstance } from '../../devkit/envoyProcess.js';
import { processRssBytes } from './collectorProcess.js';

export interface EnvoyMemory {
  rssBytes: number;
  allocatedBytes: number;
}

export async function envoyMemory(envoy: EnvoyInstance): Promise<EnvoyMemory> {
  const response = await fetch(`${envoy.adminUrl}/memory`);
  const body = (await response.json()) as { allocated?: string };
  if (body.allocated === undefined) throw new Error(`Envoy's /memory has no "allocated": ${JSON.stringify(body)}`);
  return { rssBytes: await processRssBytes(envoy.pid), allocatedBytes: Number(body.allocated) };
}

export const MiB = 1024 * 1024;

export function inMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
