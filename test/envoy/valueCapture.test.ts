// Value capture through a real Envoy into the real collector: a rewrite that rounds a converted
// total differently at the fourth decimal is reported with both values and by how much it
// differs; with a tolerance of 0.0001 on that field the same traffic is reported within
// tolerance, counted apart, and not as diverged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../envoy/json.js';
import type { Report } from '../../collector/types.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';

const ORDERS = 12;
const CAPTURE: JsonObject = { capture: { paths: ['$.totals.*'], deny: ['$.totals.note'] } };

/** v1 writes 12.3450 (trailing zero and all); v2 rounds the other way on even orders: 12.3451. */
function order(request: RecordedRequest, rewritten: boolean): StubResponse {
  const id = Number(request.path.split('/').at(-1));
  const converted = rewritten && id % 2 === 0 ? '12.3451' : '12.3450';
  const body = `{"id":${id},"totals":{"total":8.50,"converted":${converted},"note":"private ${id}"}}`;
  return { headers: { 'content-type': 'application/json' }, body };
}

async function run(tolerances: ReadonlyArray<{ path: string; abs: number }>): Promise<{ stack: Stack; collector: JoiningCollector }> {
  const collector = await startJoiningCollector({ tolerances });
  const stack = await startStack({
    edgeConfig: { ...testEdgeConfig(cohortSampling({ employees: 100 })), digest: CAPTURE },
    shadowConfig: { ...testShadowConfig(), digest: CAPTURE },
    collectorEndpoint: collector.endpoint,
    primaryHandler: (request) => order(request, false),
    shadowHandler: (request) => order(request, true),
  });
  for (let id = 1; id <= ORDERS; id++) {
    const response = await stack.send(`/orders/${id}`, { 'x-cohort': 'employees', 'x-user-id': `u${id}` });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
  return { stack, collector };
}

function joined(collector: JoiningCollector): Promise<Report> {
  return waitUntil(
    'all pairs joined',
    async () => {
      const current = await collector.report();
      return current.totals.coverage.pairs === ORDERS ? current : undefined;
    },
    { timeoutMs: 15_000 },
  );
}

describe('captured values through Envoy', () => {
  let stack: Stack | undefined;
  let collector: JoiningCollector | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  describe('without a tolerance', () => {
    beforeAll(async () => {
      ({ stack, collector } = await run([]));
    });
    afterAll(async () => {
      await stack?.stop();
      await collector?.close();
      stack = undefined;
      collector = undefined;
    });

    it('reports the fourth-decimal difference with both values and its magnitude', async () => {
      const route = (await joined(collector!)).routes[0]!;
      expect(route.diverged).toBe(ORDERS / 2);
      expect(route.fields.map((f) => f.path)).toEqual(['$.totals.converted']);
      const field = route.fields[0]!;
      // canonical numbers: v1's 12.3450 is 12.345
      expect(field.exampleValues?.[0]).toMatchObject({ primary: '12.345', shadow: '12.3451' });
      expect(field.magnitude).toMatchObject({ measured: ORDERS / 2, maxAbs: 0.0001, typicalAbs: 0.0001 });
      expect(route).not.toHaveProperty('withinTolerance');
      const view = await collector!.pair(field.examples[0]!);
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
    beforeAll(async () => {
      ({ stack, collector } = await run([{ path: '$.totals.*', abs: 0.0001 }]));
    });

    it('reports the same difference within tolerance: counted apart, not diverged', async () => {
      const report = await joined(collector!);
      const route = report.routes[0]!;
      expect(route.diverged).toBe(0);
      expect(report.totals.matched).toBe(ORDERS);
      expect(route.withinTolerance).toBe(ORDERS / 2);
      expect(route.fields[0]).toMatchObject({ path: '$.totals.converted', divergentPairs: 0, withinTolerance: ORDERS / 2 });
      expect(route.fieldsByMagnitude?.[0]).toMatchObject({ path: '$.totals.converted', maxAbs: 0.0001 });
    });
  });
});
