import { COLLECTOR_CLUSTER, defaultEdgeFilterConfig } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';

/**
 * Filter configurations for the real-Envoy suites: a fast flush so records arrive within a test,
 * and a short export timeout so a slow collector shows up as failures quickly.
 */
const testExport: JsonObject = { batchSize: 32, flushIntervalMs: 50 };
const testCollector: JsonObject = { cluster: COLLECTOR_CLUSTER, timeoutMs: 500 };

/**
 * The suites that count every mirrored request send faster than the filter's default mirroring
 * caps allow, so the caps are lifted unless `sampling` sets its own; test/reliability/forcedMirroring
 * runs the shipped caps.
 */
const uncapped: JsonObject = { maxPerSecond: 0, segmentMaxPerSecond: 0 };

export function testEdgeConfig(sampling: JsonObject): JsonObject {
  return { role: 'edge', source: 'edge-test', collector: testCollector, sampling: { ...uncapped, ...sampling }, export: testExport };
}

/** The shipped edge sampling (envoy/filterConfigs.ts), its caps at the filter's defaults, exporting as the tests do. */
export function testShippedEdgeConfig(): JsonObject {
  return { ...defaultEdgeFilterConfig(), source: 'edge-test', collector: testCollector, export: testExport };
}

export function testShadowConfig(): JsonObject {
  return { role: 'shadow', source: 'shadow-test', collector: testCollector, export: testExport };
}

/** The secondary's filter: the shadow role observing leg `secondary`. */
export function testSecondaryConfig(): JsonObject {
  return { role: 'shadow', leg: 'secondary', source: 'secondary-test', collector: testCollector, export: testExport };
}

/** One segment per cohort value of the `x-cohort` header, at the given percentages; nothing else is sampled. */
export function cohortSampling(percentByCohort: Record<string, number>): JsonObject {
  return {
    keyHeader: 'x-user-id',
    defaultPercent: 0,
    segments: Object.entries(percentByCohort).map(([cohort, percent]) => ({
      name: cohort,
      header: 'x-cohort',
      exact: [cohort],
      percent,
    })),
  };
}
