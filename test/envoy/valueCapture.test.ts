// Value capture through a real Envoy into the real collector: a rewrite that rounds a converted
// total differently at the fourth decimal is reported with both values and by how much it
// differs; with a tolerance of 0.0001 on that field the same traffic is reported within
// tolerance, counted apart (in the report and in /metrics), and not as diverged.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../envoy/json.js';
import { comparedStackPerBlock, sampledEdgeConfig } from '../support/comparedStack.js';
import { testShadowConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';

const ORDERS = 12;
const CAPTURE: JsonObject = { capture: { paths: ['$.totals.*'], deny: ['$.totals.note'] } };

/** v1 writes 12.3450 (trailing zero and all); v2 rounds the other way on even orders: 12.3451. */
function order(request: RecordedRequest, rewritten: boolean): StubResponse {
  const id = Number(request.path.split('/').at(-1));
  const converted = rewritten && id % 2 === 0 ? '12.3451' : '12.3450';
  const body = `{"id":${id},"totals":{"total":8.50,"converted":${converted},"note":"private ${id}"}}`;
  return { headers: { 'content-type': 'application/json' }, body };
}

/** Both versions capturing the totals, the collector with `tolerances`, the orders sent. */
function capturedOrders(tolerances: ReadonlyArray<{ path: string; abs: number }>) {
  return comparedStackPerBlock({
    collector: { tolerances },
    edgeConfig: { ...sampledEdgeConfig(), digest: CAPTURE },
    shadowConfig: { ...testShadowConfig(), digest: CAPTURE },
    primaryHandler: (request) => order(request, false),
    shadowHandler: (request) => order(request, true),
    paths: Array.from({ length: ORDERS }, (_, i) => `/orders/${i + 1}`),
  });
}

describe('captured values through Envoy', () => {
  describe('without a tolerance', () => {
    const compared = capturedOrders([]);

    it('reports the fourth-decimal difference with both values and its magnitude', async () => {
      const { collector, joined } = compared();
      const route = (await joined()).routes[0]!;
      expect(route.diverged).toBe(ORDERS / 2);
      expect(route.fields.map((f) => f.path)).toEqual(['$.totals.converted']);
      const field = route.fields[0]!;
      // canonical numbers: v1's 12.3450 is 12.345
      expect(field.exampleValues?.[0]).toMatchObject({ primary: '12.345', shadow: '12.3451' });
      expect(field.magnitude).toMatchObject({ measured: ORDERS / 2, maxAbs: 0.0001, typicalAbs: 0.0001 });
      expect(route).not.toHaveProperty('withinTolerance');
      const view = await collector.pair(field.examples[0]!);
      expect(view?.primary?.values).toEqual({ '$.totals.total': 'n8.5', '$.totals.converted': 'n12.345' });
      expect(view?.diff?.fields).toEqual([
        expect.objectContaining({
          path: '$.totals.converted',
          primaryValue: '12.345',
          shadowValue: '12.3451',
          magnitude: expect.objectContaining({ abs: 0.0001 }),
        }),
      ]);
    });
  });

  describe('with compare.tolerances abs 0.0001 on the totals', () => {
    const compared = capturedOrders([{ path: '$.totals.*', abs: 0.0001 }]);

    it('reports the same difference within tolerance: counted apart, not diverged', async () => {
      const { collector, joined } = compared();
      const report = await joined();
      const route = report.routes[0]!;
      expect(route.diverged).toBe(0);
      expect(report.totals.matched).toBe(ORDERS);
      expect(route.withinTolerance).toBe(ORDERS / 2);
      expect(route.fields[0]).toMatchObject({ path: '$.totals.converted', divergentPairs: 0, withinTolerance: ORDERS / 2 });
      expect(route.fieldsByMagnitude?.[0]).toMatchObject({ path: '$.totals.converted', maxAbs: 0.0001 });
      const metrics = await (await fetch(`${collector.server.url}/metrics`)).text();
      const labels = 'route="GET /orders/{id}"';
      expect(metrics).toContain(`shadowdiff_collector_pairs_within_tolerance_total{${labels}} ${ORDERS / 2}\n`);
      expect(metrics).toContain(`shadowdiff_collector_pairs_total{${labels},outcome="match"} ${ORDERS}\n`);
      expect(metrics).toContain(`shadowdiff_collector_field_within_tolerance_pairs{${labels},field="$.totals.converted"} ${ORDERS / 2}\n`);
    });
  });
});
