// v1, the reference: the version in production, whose answers v2's are compared against.

import { BUNDLE_DISCOUNTS } from './catalog.js';
import type { VersionBehaviour } from './versionBehaviour.js';

export const V1_BEHAVIOUR: VersionBehaviour = {
  convertedRounding: 'half-up',
  // Points are a discount, so they reduce what VAT is charged on.
  taxableCents: (subtotalCents, discountCents) => subtotalCents - discountCents,
  billableGrams: (weightGrams) => weightGrams,
  // All cache misses in one round trip.
  loadEntries: (repository, skus) => repository.getMany(skus),
  // Multi-packs without a listed discount are sold at the plain unit price.
  bundleDiscountPercent: (bundleSize) => BUNDLE_DISCOUNTS[bundleSize]?.percent ?? 0,
  // v1 only ever serves primary traffic; it never sees a mirrored copy.
  honoursShadowMarker: false,
};
