// Envoy's /stats once the filter's counters are out: the filter adds its counters up in the VM
// and publishes them on its tick (export.flushIntervalMs) and with each export call, never per
// request, so right after traffic /stats may still lag by up to one tick.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvoyInstance } from './envoyProcess.js';

const FILTER_STATS = 'wasmcustom.shadowdiff.';

/** Every filter counter and gauge (`wasmcustom.shadowdiff.*`) reads the same in `a` and `b`. */
export function sameFilterStats(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  const names = new Set([...a.keys(), ...b.keys()].filter((name) => name.startsWith(FILTER_STATS)));
  for (const name of names) if (a.get(name) !== b.get(name)) return false;
  return true;
}

/**
 * /stats once two reads `settleMs` apart (several of the test configs' 50 ms ticks) agree on
 * every filter counter and gauge: what the requests sent so far counted, all published.
 */
export async function settledFilterStats(
  envoy: Pick<EnvoyInstance, 'stats'>,
  { settleMs = 200, timeoutMs = 10_000 } = {},
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let previous = await envoy.stats();
  for (;;) {
    await sleep(settleMs);
    const current = await envoy.stats();
    if (sameFilterStats(previous, current)) return current;
    if (Date.now() > deadline) throw new Error(`the filter's stats did not settle within ${timeoutMs} ms`);
    previous = current;
  }
}
