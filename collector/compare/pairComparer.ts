// Judges one pair as the collector's configuration says: the route a leg belongs to, and the
// diff of two legs under that route's ignore rules, the header selection and the tolerances; a
// triple's secondary is compared with its primary the same way, and a window that closed
// unresolved is judged here too (judge, closed).
// The embedded pipeline and a Kafka join worker both compare through it, so a pair gets the same
// diff in either mode; the rules can be swapped (SIGHUP) for pairs compared from then on.

import type { PairDiff } from './divergence.js';
import type { FieldRows } from './fieldRows.js';
import { IgnoreRules } from './ignoreRules.js';
import { comparePair, type HeaderSelection } from './pairCompare.js';
import { RouteResolver } from './routeTemplate.js';
import { Tolerances, type ToleranceConfig } from './tolerance.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { ClosedWindow } from '../join/joinWindow.js';
import type { Resolution } from '../score/resolution.js';
import type { CollectorConfig, IgnoreConfig } from '../types.js';

/** A secondary leg whose pair never came: counted under its route, judged with nothing. */
export interface OrphanedSecondary {
  kind: 'orphaned';
  route: string;
  record: IngestedRecord;
}

export class PairComparer {
  private readonly routes: RouteResolver;
  private readonly headerSelection: HeaderSelection;
  private ignore: IgnoreRules;
  private tolerances: Tolerances;

  constructor(
    config: Pick<CollectorConfig, 'routes' | 'compare' | 'ignore'>,
    private readonly rows: FieldRows,
  ) {
    this.routes = new RouteResolver(config.routes.templates);
    this.headerSelection = config.compare.headers.includes('*') ? 'all' : config.compare.headers;
    this.ignore = new IgnoreRules(config.ignore, rows);
    this.tolerances = new Tolerances(config.compare.tolerances);
  }

  route(record: IngestedRecord): string {
    return this.routes.resolve(record.method, record.path);
  }

  compare(primary: IngestedRecord, shadow: IngestedRecord, route: string): PairDiff {
    return comparePair(primary, shadow, this.ignore.forRoute(route), this.headerSelection, this.tolerances);
  }

  /**
   * A pair compared, and its secondary with the primary: `secondary` undefined when none was
   * announced, null when it was and never came (or could not be read back).
   */
  judge(primary: IngestedRecord, shadow: IngestedRecord, secondary: IngestedRecord | null | undefined): Resolution {
    const route = this.route(primary);
    const diff = this.compare(primary, shadow, route);
    const resolution: Resolution = { kind: 'paired', route, primary, shadow, diff };
    if (secondary !== undefined)
      resolution.secondary = secondary === null ? null : { record: secondary, diff: this.compare(primary, secondary, route) };
    return resolution;
  }

  /** How a window that closed unresolved is judged: a pair still missing its secondary, a leg missing its partner, or an orphan. */
  closed(window: ClosedWindow): Resolution | OrphanedSecondary {
    switch (window.outcome) {
      case 'secondary_missing':
        return this.judge(window.primary, window.shadow, null);
      case 'secondary_orphaned':
        return { kind: 'orphaned', route: this.route(window.record), record: window.record };
      default:
        return { kind: 'missing', route: this.route(window.record), record: window.record, outcome: window.outcome };
    }
  }

  /** Ignore rules apply to pairs compared from now on; past tallies are not rewritten. */
  setIgnoreRules(ignore: IgnoreConfig): void {
    this.ignore = new IgnoreRules(ignore, this.rows);
  }

  /** Tolerances too: pairs compared from now on. */
  setTolerances(tolerances: readonly ToleranceConfig[]): void {
    this.tolerances = new Tolerances(tolerances);
  }
}
