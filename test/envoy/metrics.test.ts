import { describe, expect, it } from 'vitest';
import { settledFilterStats } from '../../devkit/filterStats.js';
import { stackPerFile } from '../support/stackPerFile.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import { waitUntil } from '../../devkit/waitUntil.js';

/** filter/README.md, Metrics: every name, per role, as Envoy shows it. */
const COMMON = [
  'not_sampled',
  'spoofed_headers_removed',
  'tagged',
  'untagged',
  'digested',
  'json_malformed',
  'fields_truncated',
  'exported_records',
  'export_batches',
  'export_failures',
  'dropped_queue_full',
  'dropped_export_failed',
  'queue_depth',
  'inflight',
];

describe("the filter's metrics in Envoy's /stats", () => {
  const stack = stackPerFile({ edgeConfig: testEdgeConfig(cohortSampling({ always: 100, never: 0 })) });

  it('are all defined, per role and per segment, under wasmcustom.shadowdiff.<role>', async () => {
    const stats = await stack().envoy.stats();
    const names = [...stats.keys()];
    for (const role of ['edge', 'shadow']) {
      for (const metric of COMMON) expect(names).toContain(`wasmcustom.shadowdiff.${role}.${metric}`);
    }
    for (const segment of ['always', 'never', 'default']) {
      expect(names).toContain(`wasmcustom.shadowdiff.edge.sampled.${segment}`);
      expect(names).toContain(`wasmcustom.shadowdiff.edge.rate_limited.${segment}`);
    }
  });

  it('count what happened to sampled requests on both legs and to their export', async () => {
    for (let user = 0; user < 6; user++) {
      expect((await stack().send(`/m/${user}`, { 'x-cohort': user < 4 ? 'always' : 'never', 'x-user-id': `m${user}` })).status).toBe(200);
    }
    await waitUntil('both legs exported', async () => {
      const current = await stack().envoy.stats();
      const exported = (role: string): number => current.get(`wasmcustom.shadowdiff.${role}.exported_records`) ?? 0;
      return exported('edge') === 4 && exported('shadow') === 4 ? current : undefined;
    });
    // The request counters are published on the tick, not with the export calls.
    const stats = await settledFilterStats(stack().envoy);
    const edge = (metric: string): number | undefined => stats.get(`wasmcustom.shadowdiff.edge.${metric}`);
    const shadow = (metric: string): number | undefined => stats.get(`wasmcustom.shadowdiff.shadow.${metric}`);
    expect(edge('sampled.always')).toBe(4);
    expect(edge('not_sampled')).toBe(2);
    expect(edge('digested')).toBe(4);
    expect(edge('export_failures')).toBe(0);
    expect(edge('export_batches')).toBeGreaterThanOrEqual(1);
    expect(shadow('tagged')).toBe(4);
    expect(shadow('digested')).toBe(4);
    expect(shadow('untagged')).toBe(0);
    for (const gauge of ['queue_depth', 'inflight']) {
      expect(edge(gauge)).toBe(0);
      expect(shadow(gauge)).toBe(0);
    }
    expect(stack().collector.records()).toHaveLength(8);
  });
});
