// Catalogue reads as the services make them: best sellers from the in-process cache, everything
// else from the database. `get` costs a round trip per miss, `getMany` one for all of its misses;
// which of the two a version uses is its latency on orders of spare parts.

import { CATALOG, HOT_SKUS, type CatalogEntry } from './catalog.js';
import type { CatalogDatabase } from './catalogDatabase.js';

export class CatalogRepository {
  private readonly cache: ReadonlyMap<string, CatalogEntry>;

  constructor(private readonly database: CatalogDatabase) {
    this.cache = new Map(
      [...HOT_SKUS].flatMap((sku) => {
        const entry = CATALOG.get(sku);
        return entry === undefined ? [] : [[sku, entry] as const];
      }),
    );
  }

  /** The entry, or null when the SKU is not in the catalogue. */
  async get(sku: string): Promise<CatalogEntry | null> {
    const [entry] = await this.getMany([sku]);
    return entry ?? null;
  }

  /** Entries in the order asked, unknown SKUs left out; all misses share one round trip. */
  async getMany(skus: readonly string[]): Promise<CatalogEntry[]> {
    const misses = skus.filter((sku) => !this.cache.has(sku));
    const fetched = misses.length === 0 ? [] : await this.database.fetch(misses);
    const fetchedBySku = new Map(fetched.map((entry) => [entry.sku, entry] as const));
    return skus.flatMap((sku) => {
      const entry = this.cache.get(sku) ?? fetchedBySku.get(sku);
      return entry === undefined ? [] : [entry];
    });
  }
}
