// A JSON document far beyond the leaf budget, through a real Envoy and the filter's default
// configuration, into the real collector: the one deep field the shadow changed is named by its
// subtree (not "body differs"), and a volatile field that an ignore rule covers does not make the
// other pairs diverge.
import { describe, expect, it } from 'vitest';
import { comparedStackPerBlock } from '../support/comparedStack.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';

const REQUESTS = 6;
/** The request whose shadow answer differs in one deep field. */
const CHANGED = 4;

/** About 18,300 leaves (~330 KB): 2,000 results, and result 17 a journey of its own, beyond the budget. */
function journeys(request: RecordedRequest, mode: string): StubResponse {
  const page = Number(request.path.split('/').at(-1));
  const results: Array<Record<string, unknown>> = Array.from({ length: 2_000 }, (_, i) => ({
    id: page * 10_000 + i,
    title: `journey ${i}`,
    minutes: 10 + (i % 50),
    price: { amount: 2.5, currency: 'EUR' },
    operators: ['metro', i % 2 === 0 ? 'bus' : 'tram'],
    score: (i % 97) / 10,
    accessible: i % 3 === 0,
  }));
  results[17]!.segments = Array.from({ length: 60 }, (_, i) => ({
    from: `stop ${i}`,
    to: `stop ${i + 1}`,
    mode: i === 42 ? mode : 'walk',
  }));
  results[17]!.stops = Array.from({ length: 60 }, (_, i) => ({ at: i, name: `stop ${i}` }));
  const body = { meta: { page, generatedAt: new Date().toISOString(), server: 'v1' }, results };
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

describe('a large JSON document with one changed deep field, through a real Envoy', () => {
  const compared = comparedStackPerBlock({
    collector: { ignoreFields: ['$.meta.generatedAt'] },
    primaryHandler: (request) => journeys(request, 'walk'),
    shadowHandler: (request) => journeys(request, request.path.endsWith(`/${CHANGED}`) ? 'bus' : 'walk'),
    paths: Array.from({ length: REQUESTS }, (_, i) => `/journeys/${i + 1}`),
  });
  const joined = () => compared().joined();

  it('names the changed subtree in the report, in the one pair whose shadow changed it', async () => {
    const [route] = (await joined()).routes;
    expect(route?.route).toBe('GET /journeys/{id}');
    expect(route!.pairs).toBe(REQUESTS);
    expect(route!.bodyFallback.pairs).toBe(0);
    expect(route!.structurallyCompared).toBe(REQUESTS);
    // the timestamp differs in every pair; its subtree is inconclusive under the ignore rule, not diverged
    expect(route!.diverged).toBe(1);
    expect(route!.kinds.field).toBe(1);
    expect(route!.kinds.body).toBe(0);
    expect(route!.fields.map((field) => field.path)).toEqual(['$.results[*].segments']);
    expect(route!.fields[0]!.divergentPairs).toBe(1);
  });

  it('shows the pair decided by the subtree digest, the subtree named exactly', async () => {
    const [route] = (await joined()).routes;
    const id = route!.fields[0]!.examples[0]!;
    const pair = await compared().collector.pair(id);
    expect(pair?.diff).toMatchObject({ diverged: true, basis: 'subtrees', fallback: null, kinds: ['field'] });
    expect(pair!.diff!.fields.map((field) => field.path)).toEqual(['$.results[17].segments']);
    expect(pair!.diff!.inconclusive?.map((field) => field.path)).toEqual(['$.meta']);
    expect(pair!.primary?.fieldsTruncated).toBe(true);
    expect(Object.keys(pair!.primary?.subtrees ?? {}).length).toBeLessThanOrEqual(512);
  });
});
