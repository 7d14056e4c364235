// The inputs that trigger each of v2's seeded regressions, and inputs that trigger none. The
// traffic plan draws from them and the tests check both halves: triggers differ, the rest do not.

import { BUNDLE_DISCOUNTS, HOT_SKUS } from './catalog.js';
import type { Currency } from './currencies.js';
import { SEEDED_ORDERS } from './seededOrders.js';

export interface OrderInCurrency {
  orderId: string;
  currency: Currency;
}

/**
 * Seeded orders whose total, converted, ends in an exact half at the 5th decimal after an even
 * 4th: v1 rounds up, v2 to even. Every other (seeded order, currency) pair converts identically.
 */
export const ROUNDING_TIES: readonly OrderInCurrency[] = [
  { orderId: 'ord-1001', currency: 'USD' },
  { orderId: 'ord-1001', currency: 'CHF' },
  { orderId: 'ord-1004', currency: 'USD' },
  { orderId: 'ord-1004', currency: 'CHF' },
  { orderId: 'ord-1005', currency: 'GBP' },
];

export function isRoundingTie(orderId: string, currency: Currency): boolean {
  return ROUNDING_TIES.some((tie) => tie.orderId === orderId && tie.currency === currency);
}

const allCached = (lines: ReadonlyArray<{ sku: string }>): boolean => lines.every((line) => HOT_SKUS.has(line.sku));

/** Seeded orders of best sellers only: no catalogue round trip in either version. */
export const CACHED_ORDER_IDS: readonly string[] = SEEDED_ORDERS.filter((order) => allCached(order.lines)).map((order) => order.id);

/** Seeded orders with cache misses: one round trip in v1, one per miss in v2. */
export const CACHE_MISS_ORDER_IDS: readonly string[] = SEEDED_ORDERS.filter((order) => !allCached(order.lines)).map((order) => order.id);

/** Multi-pack sizes with a listed discount: both versions answer alike. */
export const LISTED_BUNDLE_SIZES: readonly number[] = Object.keys(BUNDLE_DISCOUNTS).map(Number);

/** Multi-pack sizes without one: v1 sells them at the unit price, v2 answers 500. */
export const UNLISTED_BUNDLE_SIZES: readonly number[] = [4, 5, 10];
