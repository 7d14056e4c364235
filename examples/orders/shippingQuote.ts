// Prices shipping an order's parcel to a country. Pure; the version's behaviour decides which
// weight the per-kilogram surcharge is charged on.

import type { CatalogEntry } from './catalog.js';
import { divideRounded } from './money.js';
import { TARIFFS, zoneOf, type ShippingZone } from './shippingTariff.js';
import type { VersionBehaviour } from './versionBehaviour.js';

export interface ShippingQuote {
  zone: ShippingZone;
  weightGrams: number;
  chargeCents: number;
}

export function quoteShipping(
  lines: ReadonlyArray<{ entry: CatalogEntry; quantity: number }>,
  country: string,
  behaviour: VersionBehaviour,
): ShippingQuote {
  const zone = zoneOf(country);
  const tariff = TARIFFS[zone];
  const weightGrams = lines.reduce((sum, { entry, quantity }) => sum + entry.weightGrams * quantity, 0);
  const surchargeCents = divideRounded(tariff.perKilogramCents * behaviour.billableGrams(weightGrams), 1000, 'half-up');
  return { zone, weightGrams, chargeCents: tariff.baseCents + surchargeCents };
}
