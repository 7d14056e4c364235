// v2, the rewrite under test. Each field marked REGRESSION is a seeded bug of a kind mirroring
// exists to catch: plausible in review, invisible to v2's own unit tests, and deterministic given
// the request. examples/orders/README.md lists the inputs that trigger each one.

import type { CatalogEntry } from './catalog.js';
import { BUNDLE_DISCOUNTS } from './catalog.js';
import type { VersionBehaviour } from './versionBehaviour.js';

export const V2_BEHAVIOUR: VersionBehaviour = {
  // REGRESSION: banker's rounding; a total whose converted value ends in an exact half at the
  // 5th decimal comes out one ten-thousandth lower than v1's when the 4th decimal is even.
  convertedRounding: 'half-even',
  // REGRESSION: VAT on the subtotal before the points are taken off, so a redemption raises the
  // total by 20% of its value.
  taxableCents: (subtotalCents) => subtotalCents,
  // REGRESSION: the surcharge is billed per started kilogram; only domestic parcels, which
  // have no surcharge, are unaffected.
  billableGrams: (weightGrams) => Math.ceil(weightGrams / 1000) * 1000,
  // REGRESSION: N+1: one awaited round trip per cache miss instead of one for all of them.
  loadEntries: async (repository, skus) => {
    const entries: CatalogEntry[] = [];
    for (const sku of skus) {
      const entry = await repository.get(sku);
      if (entry !== null) entries.push(entry);
    }
    return entries;
  },
  // REGRESSION: the table lookup lost its fallback, so a multi-pack size it does not list (e.g.
  // `-B4`) throws a TypeError: a 500.
  bundleDiscountPercent: (bundleSize) => BUNDLE_DISCOUNTS[bundleSize]!.percent,
  // Mirrored copies of order creates must not create orders.
  honoursShadowMarker: true,
};
