// A byte budget for one part of the collector's state. Bytes are estimates (sizeEstimates.ts),
// taken when an entry is kept and given back when it goes, so `usedBytes` is exact with respect
// to the estimates and never exceeds `limitBytes`: whoever keeps state asks `fits` first and
// evicts (counted in `evictions`) or refuses (`refusals`) when it does not.

import { Type, type Static } from '@sinclair/typebox';

export const BUDGET_PARTS = ['pending', 'pairs', 'tallies'] as const;
export type BudgetPart = (typeof BUDGET_PARTS)[number];

const count = Type.Integer({ minimum: 0 });

/** What the report and the metrics show of one budget. */
export const BudgetReadingSchema = Type.Object(
  {
    usedBytes: count,
    limitBytes: count,
    /** entries dropped to stay within the budget */
    evictions: count,
    /** entries never kept because alone they could not fit */
    refusals: count,
  },
  { additionalProperties: false },
);
export type BudgetReading = Static<typeof BudgetReadingSchema>;

export class ByteBudget {
  usedBytes = 0;
  evictions = 0;
  refusals = 0;

  constructor(readonly limitBytes: number) {}

  fits(bytes: number): boolean {
    return this.usedBytes + bytes <= this.limitBytes;
  }

  get over(): boolean {
    return this.usedBytes > this.limitBytes;
  }

  take(bytes: number): void {
    this.usedBytes += bytes;
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
  }

  reading(): BudgetReading {
    return { usedBytes: this.usedBytes, limitBytes: this.limitBytes, evictions: this.evictions, refusals: this.refusals };
  }
}
