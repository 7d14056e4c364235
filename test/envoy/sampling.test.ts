import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledFilterStats } from '../../devkit/filterStats.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import { headerValue } from '../support/headers.js';

const sampling = cohortSampling({ always: 100, never: 0, half: 50 });

describe('sampling decisions made by the edge filter in Envoy', () => {
  let first: Stack | undefined;
  let second: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [first?.envoy, second?.envoy]);

  beforeAll(async () => {
    // Two separate Envoy processes with the same configuration, as two edge replicas would be.
    [first, second] = await Promise.all([
      startStack({ edgeConfig: testEdgeConfig(sampling) }),
      startStack({ edgeConfig: testEdgeConfig(sampling) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('mirrors every request of a 100% segment and none of a 0% segment', async () => {
    const stack = first!;
    const shadowBefore = stack.shadow.requests.length;
    // The 0% cohort goes first: had any of it been mirrored, it would arrive before the 100% copies we wait for.
    for (let user = 0; user < 20; user++) {
      expect((await stack.send(`/never/${user}`, { 'x-cohort': 'never', 'x-user-id': `u${user}` })).status).toBe(200);
    }
    for (let user = 0; user < 20; user++) {
      expect((await stack.send(`/always/${user}`, { 'x-cohort': 'always', 'x-user-id': `u${user}` })).status).toBe(200);
    }
    const mirrored = (await stack.shadow.waitForRequests(shadowBefore + 20)).slice(shadowBefore);
    expect(mirrored.map((request) => request.path).sort()).toEqual(Array.from({ length: 20 }, (_, user) => `/always/${user}`).sort());
    const stats = await settledFilterStats(stack.envoy);
    expect(stats.get('wasmcustom.shadowdiff.edge.sampled.always')).toBe(20);
    expect(stats.get('wasmcustom.shadowdiff.edge.sampled.never')).toBe(0);
    expect(stats.get('wasmcustom.shadowdiff.edge.not_sampled')).toBe(20);
  });

  it('gives a user the same decision on every request and in both Envoys, for about half the users at 50%', async () => {
    const users = Array.from({ length: 200 }, (_, index) => `user-${index}-${index * 7919}`);
    const decide = async (stack: Stack, user: string, attempt: number): Promise<boolean> => {
      const probe = `${user}/${attempt}`;
      const response = await stack.send(`/half/${encodeURIComponent(probe)}`, { 'x-cohort': 'half', 'x-user-id': user });
      expect(response.status).toBe(200);
      const seen = stack.primary.requests.find((request) => request.path === `/half/${encodeURIComponent(probe)}`);
      if (seen === undefined) throw new Error(`the primary never saw ${probe}`);
      return headerValue(seen.headers, 'x-shadowdiff-sampled') === '1';
    };
    const decisions = await Promise.all(
      users.map(async (user) => ({
        user,
        first: await decide(first!, user, 1),
        again: await decide(first!, user, 2),
        second: await decide(second!, user, 1),
      })),
    );
    expect(decisions.filter((decision) => decision.first !== decision.again)).toEqual([]);
    expect(decisions.filter((decision) => decision.first !== decision.second)).toEqual([]);
    // Binomial(200, 0.5): mean 100, standard deviation ~7.1; 5 deviations either side.
    const sampledUsers = decisions.filter((decision) => decision.first).length;
    expect(sampledUsers).toBeGreaterThanOrEqual(65);
    expect(sampledUsers).toBeLessThanOrEqual(135);
  });
});
