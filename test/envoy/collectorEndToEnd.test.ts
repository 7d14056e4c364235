// Real filter output, through a real Envoy, into the real collector: the two legs join
// by correlation id and the report names exactly the differences the shadow introduced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../collector/config.js';
import { startServer, type RunningServer } from '../../collector/server.js';
import type { PairView, Report } from '../../collector/types.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { waitUntil } from '../support/waitUntil.js';

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
  let collector: RunningServer | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    collector = await startServer(parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      logLevel: 'warn',
      store: { path: '' },
      ignore: { fields: ['$.meta.generatedAt'] },
    }));
    const { port } = new URL(collector.url);
    stack = await startStack({
      edgeConfig: testEdgeConfig(cohortSampling({ employees: 100 })),
      collectorEndpoint: { address: '127.0.0.1', port: Number(port) },
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

  async function report(): Promise<Report> {
    const response = await fetch(`${collector!.url}/v1/report`);
    expect(response.status).toBe(200);
    return (await response.json()) as Report;
  }

  it('joins every primary leg with its shadow leg', async () => {
    const final = await waitUntil('all pairs joined', async () => {
      const current = await report();
      return current.totals.coverage.pairs === ORDERS ? current : undefined;
    }, { timeoutMs: 15_000 });
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
    const response = await fetch(`${collector!.url}/v1/pairs/${id}`);
    expect(response.status).toBe(200);
    const pair = (await response.json()) as PairView;
    expect(JSON.stringify(pair)).toContain('$.price');
    expect(JSON.stringify(pair)).toContain('"primary"');
  });
});
