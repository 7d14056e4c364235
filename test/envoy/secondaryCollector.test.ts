// The secondary through a real Envoy into the real collector: a second instance of the primary
// version whose noise fields (a host name, a generated id) differ per instance proves them noise
// with no ignore rule declared, a field the shadow breaks stays a regression and is all the gate
// counts; a secondary that is down (its cluster refusing connections, its filter recording
// Envoy's local reply) proves nothing: the pairs are judged two-way, counted `secondary_unusable`.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RouteReport } from '../../collector/types.js';
import { wilson } from '../../collector/score/wilson.js';
import { comparedStackPerBlock, SAMPLED_COHORT, type ComparedStack } from '../support/comparedStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse, UpstreamHandler } from '../support/upstream.js';

const ORDERS = 30;
/** Every third order the shadow prices differently: the regression. */
const REPRICED = ORDERS / 3;
const ROUTE = 'GET /orders/{id}';

/** An instance's answer: the same order, with the host that served it and an id it generated. */
function instance(servedBy: string, price: (id: number) => number = () => 10): UpstreamHandler {
  return (request: RecordedRequest): StubResponse => {
    const id = Number(request.path.split('/').at(-1));
    const body = { id, price: price(id), currency: 'EUR', meta: { servedBy, requestId: randomUUID() } };
    return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  };
}

const options = (secondary: 'up' | 'down') => ({
  edgeConfig: testEdgeConfig({ ...cohortSampling({ [SAMPLED_COHORT]: 100 }), secondaryPercent: 100 }),
  secondary,
  primaryHandler: instance('orders-v1-a'),
  secondaryHandler: instance('orders-v1-b'),
  shadowHandler: instance('orders-v2-a', (id) => (id % 3 === 0 ? 9.99 : 10)),
  paths: Array.from({ length: ORDERS }, (_, i) => `/orders/${i + 1}`),
});

async function judgedRoute(compared: ComparedStack): Promise<RouteReport> {
  const report = await compared.joined();
  expect(report.totals.rejectedRecords).toBe(0);
  expect(report.routes.map((route) => route.route)).toEqual([ROUTE]);
  return report.routes[0]!;
}

async function secondaryOutcomes(compared: ComparedStack): Promise<Record<string, number>> {
  const text = await (await fetch(`${compared.collector.server.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, outcome, value] of text.matchAll(/^shadowdiff_collector_secondary_total\{route="[^"]*",outcome="(\w+)"\} (\d+)$/gm))
    counts[outcome!] = Number(value);
  return counts;
}

describe('a secondary through Envoy into the collector', () => {
  const compared = comparedStackPerBlock(options('up'));

  it('proves the per-instance fields noise with no ignore rule, keeps the broken price a regression, and the gate counts only it', async () => {
    const route = await judgedRoute(compared());
    expect(route).toMatchObject({ pairs: ORDERS, diverged: ORDERS });
    expect(route.coverage).toMatchObject({ triples: ORDERS, secondaryMissing: 0, secondaryUnusable: 0, secondaryCoverage: 1 });
    const byPath = Object.fromEntries(route.fields.map((field) => [field.path, field]));
    for (const path of ['$.meta.servedBy', '$.meta.requestId']) {
      expect(byPath[path], path).toMatchObject({
        divergentPairs: ORDERS,
        likelyNoise: true,
        suggestedIgnore: path,
        secondary: { triples: ORDERS, divergentTriples: ORDERS, finding: 'noise' },
      });
    }
    expect(byPath['$.price']).toMatchObject({
      divergentPairs: REPRICED,
      likelyNoise: false,
      secondary: { triples: ORDERS, divergentTriples: 0, finding: 'regression' },
    });
    expect(route.gate).toEqual({
      diverged: REPRICED,
      noiseOnly: ORDERS - REPRICED,
      rate: REPRICED / ORDERS,
      ci95: wilson(REPRICED, ORDERS),
    });
    expect(await secondaryOutcomes(compared())).toEqual({
      triple: ORDERS,
      secondary_missing: 0,
      secondary_unusable: 0,
      secondary_orphaned: 0,
    });
  });
});

describe('a secondary that is down, through Envoy into the collector', () => {
  const compared = comparedStackPerBlock(options('down'));

  it('falls back to two-way, visibly: its local replies are counted secondary_unusable, prove nothing, and the price is still counted by the gate', async () => {
    const route = await judgedRoute(compared());
    expect(route).toMatchObject({ pairs: ORDERS, diverged: ORDERS });
    expect(route.coverage).toMatchObject({ triples: 0, secondaryMissing: 0, secondaryUnusable: ORDERS, secondaryCoverage: 0 });
    for (const field of route.fields) expect(field.secondary, field.path).toBeUndefined();
    expect(route.fields.find((field) => field.path === '$.price')).toMatchObject({ divergentPairs: REPRICED, likelyNoise: false });
    // Nothing proven noise: the gate counts every diverged pair, the regression among them.
    expect(route.gate).toEqual({ diverged: ORDERS, noiseOnly: 0, rate: 1, ci95: wilson(ORDERS, ORDERS) });
    expect(await secondaryOutcomes(compared())).toEqual({
      triple: 0,
      secondary_missing: 0,
      secondary_unusable: ORDERS,
      secondary_orphaned: 0,
    });
    // The secondary's record is shown as it came: Envoy's local reply, no upstream reached.
    const pair = await compared().collector.pair(compared().pairIdOf('/orders/1'));
    expect(pair?.secondary).toMatchObject({ leg: 'secondary', status: 503 });
    expect(pair?.secondary).not.toHaveProperty('upstreamUs');
  });
});
