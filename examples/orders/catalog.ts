// The product catalogue both versions sell from. Static, so every response is a function of the
// request alone: that is what lets a demo show each regression on demand.

export interface CatalogEntry {
  sku: string;
  name: string;
  unitPriceCents: number;
  weightGrams: number;
}

const ENTRIES: readonly CatalogEntry[] = [
  { sku: 'SKU-1001', name: 'Espresso beans 1 kg', unitPriceCents: 2450, weightGrams: 1020 },
  { sku: 'SKU-1002', name: 'Filter papers (100)', unitPriceCents: 395, weightGrams: 180 },
  { sku: 'SKU-1003', name: 'Ceramic dripper', unitPriceCents: 2890, weightGrams: 640 },
  { sku: 'SKU-1004', name: 'Gooseneck kettle', unitPriceCents: 6900, weightGrams: 1150 },
  { sku: 'SKU-1005', name: 'Hand grinder', unitPriceCents: 8950, weightGrams: 720 },
  { sku: 'SKU-1006', name: 'Milk jug 350 ml', unitPriceCents: 1675, weightGrams: 260 },
  { sku: 'SKU-1007', name: 'Tamper 58 mm', unitPriceCents: 3240, weightGrams: 410 },
  { sku: 'SKU-1008', name: 'Cup set (2)', unitPriceCents: 2199, weightGrams: 530 },
  { sku: 'SKU-1009', name: 'Descaler', unitPriceCents: 1249, weightGrams: 550 },
  { sku: 'SKU-1010', name: 'Scale 0.1 g', unitPriceCents: 4599, weightGrams: 390 },
  { sku: 'SKU-1011', name: 'Cold brew jar', unitPriceCents: 2725, weightGrams: 980 },
  { sku: 'SKU-1012', name: 'Cleaning brush', unitPriceCents: 575, weightGrams: 70 },
  { sku: 'SKU-1013', name: 'Spare gasket', unitPriceCents: 890, weightGrams: 30 },
  { sku: 'SKU-1014', name: 'Shower screen', unitPriceCents: 1450, weightGrams: 60 },
  { sku: 'SKU-1015', name: 'Portafilter basket', unitPriceCents: 2100, weightGrams: 90 },
  { sku: 'SKU-1016', name: 'Steam wand tip', unitPriceCents: 1175, weightGrams: 25 },
  { sku: 'SKU-1017', name: 'Water filter cartridge', unitPriceCents: 1899, weightGrams: 210 },
  { sku: 'SKU-1018', name: 'Knock box', unitPriceCents: 2950, weightGrams: 870 },
  { sku: 'SKU-1019', name: 'Dosing cup', unitPriceCents: 1625, weightGrams: 140 },
  { sku: 'SKU-1020', name: 'Distribution tool', unitPriceCents: 3475, weightGrams: 310 },
  { sku: 'SKU-1021', name: 'Blind basket', unitPriceCents: 650, weightGrams: 55 },
  { sku: 'SKU-1022', name: 'Group head brush', unitPriceCents: 725, weightGrams: 65 },
  { sku: 'SKU-1023', name: 'Pressure gauge', unitPriceCents: 5400, weightGrams: 240 },
  { sku: 'SKU-1024', name: 'Drip tray grille', unitPriceCents: 1980, weightGrams: 330 },
];

export const CATALOG: ReadonlyMap<string, CatalogEntry> = new Map(ENTRIES.map((entry) => [entry.sku, entry]));

/**
 * Best sellers, kept in each instance's in-process cache. Everything else (the spare parts) is a
 * cache miss that costs a round trip to the catalogue database; a fixed set, rather than a cache
 * that warms up, keeps a request's latency independent of the requests before it.
 */
export const HOT_SKUS: ReadonlySet<string> = new Set(ENTRIES.slice(0, 12).map((entry) => entry.sku));

/** Multi-packs: `SKU-1001-B3` is three of SKU-1001, at this discount. */
export const BUNDLE_DISCOUNTS: Readonly<Record<number, { percent: number }>> = {
  2: { percent: 5 },
  3: { percent: 8 },
  6: { percent: 12 },
};

/** A plain SKU, `SKU-1234`: what orders are made of. */
export const PLAIN_SKU_PATTERN = '^SKU-[0-9]{4}$';
/** A plain SKU or a multi-pack of 2 to 99, `SKU-1234-B<size>`: what the catalogue answers for. */
const SKU = /^(SKU-[0-9]{4})(?:-B([2-9]|[1-9][0-9]))?$/;

export interface ParsedSku {
  baseSku: string;
  bundleSize: number;
}

/** Null when `sku` is neither a plain SKU nor a multi-pack of one. */
export function parseSku(sku: string): ParsedSku | null {
  const match = SKU.exec(sku);
  if (match === null || match[1] === undefined) return null;
  return { baseSku: match[1], bundleSize: match[2] === undefined ? 1 : Number(match[2]) };
}
