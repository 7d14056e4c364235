// The tallies budget against the truth: whatever routes, fields and headers go through the
// scoreboard (admitted, evicted, folded into `other`, merged on restore), the bytes it has taken
// are exactly the estimates of what its tables hold right now.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { changeTallyBytes, routeTallyBytes } from '../../../collector/budget/sizeEstimates.js';
import { defaultConfig } from '../../../collector/config.js';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { IgnoreRules } from '../../../collector/compare/ignoreRules.js';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { OTHER_ROUTE } from '../../../collector/compare/routeTemplate.js';
import { pairReservoirBytes } from '../../../collector/score/pairReservoir.js';
import { Scoreboard, type RouteTally } from '../../../collector/score/scoreboard.js';
import { record, T0 } from '../fixtures.js';

const NOTHING_IGNORED = { field: () => false, header: () => false, subtree: () => 'none' as const };
const HEADERS = ['content-type', 'x-a', 'x-b'];
const ROUTES = ['GET /a', 'GET /b', 'GET /c', 'GET /d', 'POST /a/longer/route', OTHER_ROUTE];
const FIELDS = ['$.id', '$.total', '$.items[0].price', '$.name', '$.a.very.long.field.path.indeed', '$.z'];
const VALUES = ['00000001', '00000002'];
/** A document beyond the leaf budget: the subtree entries below its nodes `$`, `$.results` and `$.results[73]`. */
const SUBTREE_ENTRIES = ['$.meta', '$.results[0..35]', '$.results[36..71]', '$.results[72]', '$.results[73].id', '$.results[73].segments'];
/** Ignore rules that cover one entry (`$.meta`: ignored) and reach into another (`$.results[73].segments`: inconclusive). */
const SUBTREE_IGNORE = new IgnoreRules({ fields: ['$.meta', '$.results[*].segments.when'], headers: [], routes: {} }).forRoute('GET /a');

interface Caps {
  maxRoutes: number;
  maxFieldsPerRoute: number;
  examplesPerField: number;
  limitBytes: number;
}

type Step =
  | {
      kind: 'pair';
      route: string;
      status: number;
      primary: Record<string, string>;
      shadow: Record<string, string>;
      headers: Record<string, string>;
    }
  /** a pair of documents beyond the leaf budget, compared by their subtree digests */
  | {
      kind: 'subtrees';
      route: string;
      primary: Record<string, string>;
      shadow: Record<string, string>;
      ignoring: boolean;
    }
  | { kind: 'missing'; route: string; outcome: 'shadow_missing' | 'primary_missing' }
  | { kind: 'evicted'; route: string }
  /** a restart: a new board with these caps restored from the current one's snapshot */
  | { kind: 'restore'; caps: Caps };

const caps: fc.Arbitrary<Caps> = fc.record({
  maxRoutes: fc.integer({ min: 1, max: 4 }),
  maxFieldsPerRoute: fc.integer({ min: 1, max: 4 }),
  examplesPerField: fc.integer({ min: 0, max: 3 }),
  // room for one to five route tallies and a few fields: small enough that every step can evict
  limitBytes: fc.integer({ min: 11_000, max: 56_000 }),
});

const values = (keys: readonly string[]): fc.Arbitrary<Record<string, string>> =>
  fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...VALUES), { maxKeys: keys.length });

const route = fc.constantFrom(...ROUTES);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('pair' as const),
      route,
      status: fc.constantFrom(200, 200, 200, 503),
      primary: values(FIELDS),
      shadow: values(FIELDS),
      headers: values(HEADERS),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('subtrees' as const),
      route,
      primary: values(SUBTREE_ENTRIES),
      shadow: values(SUBTREE_ENTRIES),
      ignoring: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('missing' as const),
      route,
      outcome: fc.constantFrom('shadow_missing' as const, 'primary_missing' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('evicted' as const), route }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), caps }) },
);

function board(c: Caps): { scoreboard: Scoreboard; budget: ByteBudget } {
  const budget = new ByteBudget(c.limitBytes);
  const scoreboard = new Scoreboard({
    examplesPerField: c.examplesPerField,
    maxRoutes: c.maxRoutes,
    maxFieldsPerRoute: c.maxFieldsPerRoute,
    noise: { threshold: 0.9, minPairs: 20 },
    rows: FieldRows.INDICES_ONLY,
    budget,
    latency: defaultConfig().score.latency,
  });
  return { scoreboard, budget };
}

/** What a tally's route, fields and headers are estimated at, from what its tables hold. */
function heldBytes(tally: RouteTally, examplesPerField: number): number {
  let bytes = routeTallyBytes(tally.route) + pairReservoirBytes(defaultConfig().score.latency.reservoirPairs);
  for (const field of tally.fields.values()) bytes += changeTallyBytes(field.path, examplesPerField);
  for (const header of tally.headers.values()) bytes += changeTallyBytes(header.name, examplesPerField);
  return bytes;
}

/** The entries with their nodes, each node's hash made from its children's, so nodes differ exactly when something below does. */
function subtreeDigest(entries: Record<string, string>): Record<string, string> {
  const node = (prefix: string, children: Record<string, string>): string => {
    let hash = 0x811c9dc5;
    for (const [name, value] of Object.entries(children).sort()) {
      if (!name.startsWith(prefix)) continue;
      for (const c of name + value) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
    }
    return hash.toString(16).padStart(8, '0');
  };
  const digest = { ...entries };
  digest['$.results[73]'] = node('$.results[73].', entries);
  digest['$.results'] = node('$.results[', digest);
  digest.$ = node('$.', digest);
  return digest;
}

function apply(scoreboard: Scoreboard, s: Exclude<Step, { kind: 'restore' }>, id: string): void {
  switch (s.kind) {
    case 'pair': {
      const primary = record('primary', { id, fields: s.primary, headers: s.headers });
      const shadow = record('shadow', { id, status: s.status, fields: s.shadow, headers: { ...s.headers, 'x-a': 'ffffffff' } });
      scoreboard.recordPair(s.route, id, primary, shadow, comparePair(primary, shadow, NOTHING_IGNORED, HEADERS), T0);
      return;
    }
    case 'subtrees': {
      const both = { id, fieldsTruncated: true, subtreesTruncated: false };
      const primary = record('primary', { ...both, subtrees: subtreeDigest(s.primary) });
      const shadow = record('shadow', { ...both, bodyHash: 'ffffffffffffffff', subtrees: subtreeDigest(s.shadow) });
      const diff = comparePair(primary, shadow, s.ignoring ? SUBTREE_IGNORE : NOTHING_IGNORED, HEADERS);
      expect(diff.basis).toBe('subtrees');
      scoreboard.recordPair(s.route, id, primary, shadow, diff, T0);
      return;
    }
    case 'missing':
      scoreboard.recordMissing(s.route, s.outcome);
      return;
    case 'evicted':
      scoreboard.recordEvicted(s.route);
      return;
  }
}

describe('Scoreboard tallies budget', () => {
  it('has taken exactly the bytes of what its tables hold, after every admission, eviction, fold and restore', () => {
    fc.assert(
      fc.property(caps, fc.array(step, { minLength: 1, maxLength: 80 }), (first, steps) => {
        let settings = first;
        let { scoreboard, budget } = board(first);
        steps.forEach((s, i) => {
          if (s.kind === 'restore') {
            const snapshot = JSON.parse(JSON.stringify(scoreboard.snapshot()));
            ({ scoreboard, budget } = board(s.caps));
            settings = s.caps;
            scoreboard.restore(snapshot);
          } else {
            apply(scoreboard, s, `r-${i}`);
          }
          let held = 0;
          for (const tally of scoreboard.routeTallies()) {
            const bytes = heldBytes(tally, settings.examplesPerField);
            expect(tally.bytes, `step ${i}: ${tally.route}'s own account`).toBe(bytes);
            held += bytes;
          }
          expect(budget.usedBytes, `step ${i} (${s.kind})`).toBe(held);
          expect(budget.usedBytes).toBeGreaterThanOrEqual(0);
        });
      }),
    );
  });
});
