// What differs between the two versions of the order service, in one place. Everything else (the
// routes, the data, the response shapes) is shared, so every difference a comparison finds is one
// of these, on purpose.

import type { CatalogEntry } from './catalog.js';
import type { CatalogRepository } from './catalogRepository.js';
import type { RoundingMode } from './money.js';

export type OrdersVersion = 'v1' | 'v2';

export interface VersionBehaviour {
  /** How a converted total is rounded at its 4th decimal. */
  convertedRounding: RoundingMode;
  /** The amount VAT is charged on, given the subtotal and the loyalty-point discount. */
  taxableCents(subtotalCents: number, discountCents: number): number;
  /** The weight the per-kilogram shipping surcharge is charged on. */
  billableGrams(weightGrams: number): number;
  /** The catalogue entries of an order's SKUs, in order, unknown SKUs left out. */
  loadEntries(repository: CatalogRepository, skus: readonly string[]): Promise<CatalogEntry[]>;
  /** Discount on a multi-pack of `bundleSize` items. */
  bundleDiscountPercent(bundleSize: number): number;
  /** Whether an order create carrying the shadow marker is answered without being stored. */
  honoursShadowMarker: boolean;
}
