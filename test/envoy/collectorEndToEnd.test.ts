// Real filter output, through a real Envoy, into the real collector: the two legs join
// by correlation id and the report names exactly the differences the shadow introduced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../collector/types.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';

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
  let collector: JoiningCollector | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    collector = await startJoiningCollector({ ignoreFields: ['$.meta.generatedAt'] });
    stack = await startStack({
      edgeConfig: testEdgeConfig(cohortSampling({ employees: 100 })),
      collectorEndpoint: collector.endpoint,
      primaryHandler: (request) => order(request, 10),
      shadowHandler: rewrittenOrder,
    });
    for (let id = 1; id <= ORDERS; id++) {
      const response = await stack.send(`/orders/${id}`, { 'x-cohort': 'employees', 'x-user-id': `u${id}` });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  });

  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  // Throws unless the report answers 200.
  const report = (): Promise<Report> => collector!.report();

  it('joins every primary leg with its shadow leg', async () => {
    const final = await waitUntil(
      'all pairs joined',
      async () => {
        const current = await report();
        return current.totals.coverage.pairs === ORDERS ? current : undefined;
      },
      { timeoutMs: 15_000 },
    );
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
    const pair = await collector!.pair(id);
    expect(pair, `GET /v1/pairs/${id} answers 200`).toBeDefined();
    expect(JSON.stringify(pair)).toContain('$.price');
    expect(JSON.stringify(pair)).toContain('"primary"');
  });
});
