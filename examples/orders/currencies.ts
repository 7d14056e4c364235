// The currencies an order can be quoted in, at fixed rates (millionths of a unit per euro).
// Fixed rates keep a quote reproducible; rates with few significant digits make exact ties at the
// 4th decimal common, which is where the two versions' rounding modes part.

export const EXCHANGE_RATES = {
  EUR: 1_000_000,
  USD: 1_082_500,
  GBP: 846_250,
  CHF: 942_500,
} as const satisfies Record<string, number>;

export type Currency = keyof typeof EXCHANGE_RATES;

export const CURRENCIES = Object.keys(EXCHANGE_RATES) as Currency[];
