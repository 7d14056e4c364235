// The catalogue database behind the in-process cache: every call is one round trip with a fixed
// latency, and the calls are counted, so a test can tell a batched lookup from one per item, and
// sequential round trips (each a full latency added to the response) from concurrent ones.

import { setTimeout as sleep } from 'node:timers/promises';
import { CATALOG, type CatalogEntry } from './catalog.js';

export const DEFAULT_CATALOG_LATENCY_MS = 8;

export class CatalogDatabase {
  /** Round trips made so far. */
  roundTrips = 0;
  /** Round trips that began while another was still waiting. */
  overlappingRoundTrips = 0;
  private inFlight = 0;

  constructor(private readonly latencyMs: number = DEFAULT_CATALOG_LATENCY_MS) {}

  /** One round trip for any number of SKUs; unknown SKUs are simply not in the result. */
  async fetch(skus: readonly string[]): Promise<CatalogEntry[]> {
    this.roundTrips += 1;
    if (this.inFlight > 0) this.overlappingRoundTrips += 1;
    this.inFlight += 1;
    try {
      await sleep(this.latencyMs);
    } finally {
      this.inFlight -= 1;
    }
    return skus.flatMap((sku) => {
      const entry = CATALOG.get(sku);
      return entry === undefined ? [] : [entry];
    });
  }
}
