// Per-field tolerances (`compare.tolerances`): a numeric difference an operator declared
// acceptable, such as a rounding difference at the fourth decimal. A field whose captured values
// differ within its tolerance is not a divergence, but it is never hidden: the pair's diff lists
// it under `withinTolerance` and the report counts it (pairs and per field) beside the divergences.
//
// A tolerance applies to the fields its glob matches (the grammar of ignore rules); the first
// tolerance that matches a field is its tolerance. Within: |primary - shadow| <= abs (exactly, in
// decimal) or <= rel × max(|primary|, |shadow|). It needs both values captured (the filter's
// digest.capture): a field without captured numbers cannot be measured, so it still diverges.

import { atMost, parseDecimal, toNumber, type Decimal, type NumericDifference } from './magnitude.js';
import { fieldGlobRegExp } from './ignoreRules.js';
import type { CollectorConfig } from '../configSchema.js';

export type ToleranceConfig = CollectorConfig['compare']['tolerances'][number];

/** Why `tolerance` is not usable, or null (its glob is checked apart, with fieldGlobProblem). */
export function toleranceProblem(tolerance: ToleranceConfig): string | null {
  if (tolerance.abs === undefined && tolerance.rel === undefined) return 'needs abs or rel (or both)';
  return null;
}

interface CompiledTolerance {
  glob: RegExp;
  abs: Decimal | null;
  rel: number | null;
}

export class Tolerances {
  static readonly NONE = new Tolerances([]);

  private readonly rules: CompiledTolerance[];

  /** `tolerances` are expected to have passed config validation (fieldGlobProblem, toleranceProblem). */
  constructor(tolerances: readonly ToleranceConfig[]) {
    this.rules = tolerances.map((t) => ({
      glob: fieldGlobRegExp([t.path]),
      // JavaScript's shortest spelling of the number is the decimal the operator wrote (0.0001, 1e-7).
      abs: t.abs === undefined ? null : parseDecimal(String(t.abs)),
      rel: t.rel ?? null,
    }));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** True when `path` has a tolerance and `difference` is within it (`[*]` in a glob matches any index). */
  within(path: string, difference: NumericDifference): boolean {
    const rule = this.rules.find((r) => r.glob.test(path));
    if (rule === undefined) return false;
    if (rule.abs !== null && (difference.exactAbs === null ? difference.abs <= toNumber(rule.abs) : atMost(difference.exactAbs, rule.abs)))
      return true;
    return rule.rel !== null && difference.rel <= rule.rel;
  }
}
