// Real filter output, through a real Envoy, into the real collector: the two legs join
// by correlation id and the report names exactly the differences the shadow introduced.
import { describe, expect, it } from 'vitest';
import type { Report } from '../../collector/types.js';
import { comparedStackPerBlock } from '../support/comparedStack.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';

const ORDERS = 30;

/** v1: the reference answer, with a volatile timestamp both versions produce. */
function order(request: RecordedRequest, price: number): StubResponse {
  const id = Number(request.path.split('/').at(-1));
  const body = { id, price, currency: 'EUR', items: [{ sku: `sku-${id}`, qty: 1 }], meta: { generatedAt: new Date().toISOString() } };
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** v2: every third order is priced differently, and order 7 fails. */
function rewrittenOrder(request: RecordedRequest): StubResponse {
  const id = Number(request.path.split('/').at(-1));
  if (id === 7) return { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"boom"}' };
  return order(request, id % 3 === 0 ? 9.99 : 10);
}

describe('filter output joined and scored by the real collector', () => {
  const compared = comparedStackPerBlock({
    collector: { ignoreFields: ['$.meta.generatedAt'] },
    primaryHandler: (request) => order(request, 10),
    shadowHandler: rewrittenOrder,
    paths: Array.from({ length: ORDERS }, (_, i) => `/orders/${i + 1}`),
  });

  // Throws unless the report answers 200.
  const report = (): Promise<Report> => compared().collector.report();

  it('joins every primary leg with its shadow leg', async () => {
    const final = await compared().joined();
    expect(final.totals.records).toEqual({ primary: ORDERS, shadow: ORDERS });
    expect(final.totals.rejectedRecords).toBe(0);
    expect(final.routes.map((route) => route.route)).toEqual(['GET /orders/{id}']);
  });

  it('reports the price field, the status-class change, and not the ignored timestamp', async () => {
    const [route] = (await report()).routes;
    expect(route).toBeDefined();
    const priced = Math.floor(ORDERS / 3);
    expect(route!.pairs).toBe(ORDERS);
    expect(route!.diverged).toBe(priced + 1);
    expect(route!.kinds.status_class).toBe(1);
    expect(route!.errors.shadow.count).toBe(1);
    expect(route!.errors.primary.count).toBe(0);
    expect(route!.fields.map((field) => field.path)).toEqual(['$.price']);
    expect(route!.fields[0]!.divergentPairs).toBe(priced);
    expect(route!.fields[0]!.examples.length).toBeGreaterThan(0);
  });

  it('shows one pair by correlation id with both digests and the field diff', async () => {
    const [route] = (await report()).routes;
    const id = route!.fields[0]!.examples[0]!;
    const pair = await compared().collector.pair(id);
    expect(pair, `GET /v1/pairs/${id} answers 200`).toBeDefined();
    expect(JSON.stringify(pair)).toContain('$.price');
    expect(JSON.stringify(pair)).toContain('"primary"');
  });
});
