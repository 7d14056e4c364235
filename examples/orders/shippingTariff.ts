// Shipping zones and prices, in euro cents. Domestic parcels cost a flat fee; EU and worldwide
// parcels add a per-kilogram surcharge on top of a base fee.

export type ShippingZone = 'domestic' | 'eu' | 'world';

/** The shop ships from Germany. */
export const DOMESTIC_COUNTRY = 'DE';

const EU_COUNTRIES: ReadonlySet<string> = new Set([
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
]);

export interface ZoneTariff {
  baseCents: number;
  perKilogramCents: number;
}

export const TARIFFS: Readonly<Record<ShippingZone, ZoneTariff>> = {
  domestic: { baseCents: 490, perKilogramCents: 0 },
  eu: { baseCents: 990, perKilogramCents: 150 },
  world: { baseCents: 1990, perKilogramCents: 400 },
};

export function zoneOf(country: string): ShippingZone {
  if (country === DOMESTIC_COUNTRY) return 'domestic';
  return EU_COUNTRIES.has(country) ? 'eu' : 'world';
}
