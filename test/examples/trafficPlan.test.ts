// The traffic plan: reproducible for a seed, covering the three sampling segments and every
// regression, and, replayed against both versions, divergent exactly where it says it is.

import { describe, expect, it } from 'vitest';
import { buildTrafficPlan, MIN_PLAN_REQUESTS, REGRESSION_SCENARIOS, type PlannedRequest } from '../../examples/traffic.js';
import { buildVersionPair, closeVersionPair, compareVersions } from './versionPair.js';

const SEGMENT_GROUP_VALUES = { employee: 'employee', beta: 'beta', public: undefined } as const;

describe('buildTrafficPlan', () => {
  it('is deterministic for a seed and changes with it', () => {
    expect(buildTrafficPlan({ seed: 7, requests: 300 })).toEqual(buildTrafficPlan({ seed: 7, requests: 300 }));
    expect(buildTrafficPlan({ seed: 8, requests: 300 })).not.toEqual(buildTrafficPlan({ seed: 7, requests: 300 }));
  });

  it('plans the number of requests asked for, and refuses fewer than it needs for coverage', () => {
    expect(buildTrafficPlan({ seed: 1, requests: 250 })).toHaveLength(250);
    expect(() => buildTrafficPlan({ seed: 1, requests: MIN_PLAN_REQUESTS - 1 })).toThrow(RangeError);
  });

  it.each([[1], [2], [3]])('seed %i, at the minimum size: every segment, and every regression from an employee', (seed) => {
    const plan = buildTrafficPlan({ seed, requests: MIN_PLAN_REQUESTS });
    expect(new Set(plan.map((request) => request.segment))).toEqual(new Set(['employee', 'beta', 'public']));
    const fromEmployees = new Set(plan.filter((request) => request.segment === 'employee').map((request) => request.scenario));
    for (const scenario of REGRESSION_SCENARIOS) expect(fromEmployees, scenario).toContain(scenario);
  });

  it('names the user the edge samples by, with the group of their segment, and sends no identity as a plain header', () => {
    for (const request of buildTrafficPlan({ seed: 11, requests: 400 })) {
      expect(request.user.id).toMatch(/^(emp|beta|user)-[0-9]+$/);
      expect(request.user.group).toBe(SEGMENT_GROUP_VALUES[request.segment]);
      expect(Object.keys(request.headers)).toEqual(request.method === 'POST' ? ['content-type'] : []);
    }
  });

  it('mixes all routes, the write included', () => {
    const plan = buildTrafficPlan({ seed: 5, requests: 400 });
    const routes = new Set(
      plan.map((request) => `${request.method} ${request.path.split('?')[0]?.replace(/ord-[0-9]+|SKU-[0-9]+(-B[0-9]+)?/, ':key')}`),
    );
    expect(routes).toEqual(new Set(['GET /orders/:key', 'GET /orders/:key/shipping', 'GET /catalog/items/:key', 'POST /orders']));
  });
});

describe('the plan replayed against v1 and v2', () => {
  const isRegression = (request: PlannedRequest): boolean => REGRESSION_SCENARIOS.includes(request.scenario);

  it('diverges on every regression request and on nothing else', async () => {
    // A short catalogue latency: this test counts round trips rather than timing them.
    const pair = buildVersionPair({ catalogLatencyMs: 1 });
    try {
      for (const request of buildTrafficPlan({ seed: 42, requests: 200 })) {
        const { v1, v2, differingFields } = await compareVersions(pair, {
          method: request.method,
          url: request.path,
          headers: request.headers,
          ...(request.body === undefined ? {} : { payload: request.body }),
        });
        const diverged = v1.status !== v2.status || differingFields.length > 0 || v1.catalogRoundTrips !== v2.catalogRoundTrips;
        expect(diverged, `${request.scenario}: ${request.method} ${request.path}`).toBe(isRegression(request));
        expect(v1.status, `${request.method} ${request.path}`).toBe(request.method === 'POST' ? 201 : 200);
      }
    } finally {
      await closeVersionPair(pair);
    }
  });
});
