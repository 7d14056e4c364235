// Prices an order: line totals, the loyalty-point discount, VAT, and the total converted to the
// currency the customer asked for. Pure; the version's behaviour decides the parts that differ.

import type { CatalogEntry } from './catalog.js';
import { EXCHANGE_RATES, type Currency } from './currencies.js';
import { centsToAmount, convertCents, divideRounded } from './money.js';
import type { VersionBehaviour } from './versionBehaviour.js';

const VAT_PERCENT = 20;
/** A loyalty point is worth one euro cent. */
const CENTS_PER_POINT = 1;

export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface PricedLine {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

export interface OrderTotals {
  currency: 'EUR';
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  convertedCurrency: Currency;
  converted: number;
}

export interface PricedOrder {
  lines: PricedLine[];
  totals: OrderTotals;
}

export interface PricingRequest {
  /** Each line with its catalogue entry. */
  lines: ReadonlyArray<{ entry: CatalogEntry; quantity: number }>;
  currency: Currency;
  redeemPoints: number;
}

export function priceOrder(request: PricingRequest, behaviour: VersionBehaviour): PricedOrder {
  const lines = request.lines.map(({ entry, quantity }) => ({ entry, quantity, totalCents: entry.unitPriceCents * quantity }));
  const subtotalCents = lines.reduce((sum, line) => sum + line.totalCents, 0);
  const discountCents = Math.min(request.redeemPoints * CENTS_PER_POINT, subtotalCents);
  const taxCents = divideRounded(behaviour.taxableCents(subtotalCents, discountCents) * VAT_PERCENT, 100, 'half-up');
  const totalCents = subtotalCents - discountCents + taxCents;
  return {
    lines: lines.map(({ entry, quantity, totalCents }) => ({
      sku: entry.sku,
      name: entry.name,
      quantity,
      unitPrice: centsToAmount(entry.unitPriceCents),
      lineTotal: centsToAmount(totalCents),
    })),
    totals: {
      currency: 'EUR',
      subtotal: centsToAmount(subtotalCents),
      discount: centsToAmount(discountCents),
      tax: centsToAmount(taxCents),
      total: centsToAmount(totalCents),
      convertedCurrency: request.currency,
      converted: convertCents(totalCents, EXCHANGE_RATES[request.currency], behaviour.convertedRounding),
    },
  };
}
