// A rollout's mixed fleet through real Envoy: the previous release's module (wire format 1 only,
// test/fixtures/shadowdiff-0.1.0-wire-v1.wasm) on one leg and the new module (wire format 2 by
// default) on the other, both ways round, into the real collector. The previous release hashes
// with FNV-1a, the new module (wire v2) with XXH64, so no pair has comparable hashes: every pair
// must still join, pairs whose legs answered the same must never be judged diverged, and real
// differences must still be found from what does not depend on the algorithm.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../collector/types.js';
import type { JsonObject } from '../../envoy/json.js';
import { comparedStackPerBlock, sampledEdgeConfig } from '../support/comparedStack.js';
import { FILTER_WASM, PROJECT_ROOT } from '../../devkit/paths.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';

const V1_MODULE = resolve(PROJECT_ROOT, 'test/fixtures/shadowdiff-0.1.0-wire-v1.wasm');
const ORDERS = 24;
/** The shadow answers these differently: a 500, and a longer body. */
const FAILING = 7;
const LONGER = 11;

function order(request: RecordedRequest, leg: 'primary' | 'shadow'): StubResponse {
  const id = Number(request.path.split('/').at(-1));
  const json = { 'content-type': 'application/json' };
  if (leg === 'shadow' && id === FAILING) return { status: 500, headers: json, body: '{"error":"boom"}' };
  const items = Array.from({ length: 1 + (id % 4) }, (_, i) => ({ sku: `sku-${id}-${i}`, qty: i + 1 }));
  const body = { id, price: 10, currency: 'EUR', items, note: leg === 'shadow' && id === LONGER ? 'a longer answer' : 'ok' };
  return { headers: json, body: JSON.stringify(body) };
}

const EDGE_CONFIG = sampledEdgeConfig();

/** The previous release refuses options it does not know: the mirroring caps came after it (and are off in the tests). */
function previousReleaseEdgeConfig(): JsonObject {
  const { maxPerSecond: _cap, segmentMaxPerSecond: _segmentCap, ...sampling } = EDGE_CONFIG.sampling as JsonObject;
  return { ...EDGE_CONFIG, sampling };
}

const FLEETS = [
  {
    name: 'previous release (wire v1) at the edge, new module (wire v2) on the shadow leg',
    edgeWasm: V1_MODULE,
    shadowWasm: FILTER_WASM,
    edgeConfig: previousReleaseEdgeConfig(),
  },
  {
    name: 'new module (wire v2) at the edge, previous release (wire v1) on the shadow leg',
    edgeWasm: FILTER_WASM,
    shadowWasm: V1_MODULE,
    edgeConfig: EDGE_CONFIG,
  },
];

for (const fleet of FLEETS) {
  describe(`mixed fleet: ${fleet.name}`, () => {
    const compared = comparedStackPerBlock({
      edgeConfig: fleet.edgeConfig,
      edgeWasm: fleet.edgeWasm,
      shadowWasm: fleet.shadowWasm,
      primaryHandler: (request) => order(request, 'primary'),
      shadowHandler: (request) => order(request, 'shadow'),
      paths: Array.from({ length: ORDERS }, (_, i) => `/orders/${i + 1}`),
    });

    it('accepts both wire formats and joins every pair', async () => {
      const { collector, joined } = compared();
      const report = await joined();
      expect(report.totals.records).toEqual({ primary: ORDERS, shadow: ORDERS });
      expect(report.totals.rejectedRecords).toBe(0);
      expect(report.totals.coverage).toMatchObject({ shadowMissing: 0, primaryMissing: 0 });
      const metrics = await (await fetch(`${collector.server.url}/metrics`)).text();
      for (const version of ['1', '2'])
        expect(metrics).toMatch(new RegExp(`shadowdiff_collector_wire_records_total\\{version="${version}"\\} ${ORDERS}\\b`));
    });

    it('judges only the two orders the shadow answered differently as diverged', async () => {
      const { collector, pairIdOf } = compared();
      const report: Report = await collector.report();
      const [route] = report.routes;
      expect(route?.route).toBe('GET /orders/{id}');
      expect(route!.pairs).toBe(ORDERS);
      expect(route!.diverged).toBe(2);
      expect(route!.kinds.status_class).toBe(1);
      const failing = await collector.pair(pairIdOf(`/orders/${FAILING}`));
      expect(failing?.diff?.kinds).toContain('status_class');
      const longer = await collector.pair(pairIdOf(`/orders/${LONGER}`));
      expect(longer?.diff?.diverged).toBe(true);
      // Every pair was compared by status, completion, size and JSON verdict alone: the legs' hash algorithms differ.
      const reasons = route!.bodyFallback.reasons;
      expect(reasons.hash_algorithm_differs).toBe(ORDERS);
      expect(route!.bodyFallback.pairs).toBe(reasons.hash_algorithm_differs);
      expect([failing?.primary?.hash ?? 'fnv1a', failing?.shadow?.hash ?? 'fnv1a'].sort()).toEqual(['fnv1a', 'xxh64']);
    });
  });
}
