// The floor comparison: every Envoy line reports a variant against no filter and against the no-op
// proxy-wasm floor of the same runs; the sampled edge variants draw their share per request.
import { describe, expect, it } from 'vitest';
import { filterBootstrap, floorBootstrap, type EnvoyWiring } from '../../bench/benchBootstraps.js';
import { NOOP_FILTER_WASM } from '../../bench/noopFilter/build.js';
import { resultsTable } from '../../bench/report.js';
import { comparedRow, flooredRow, type LineResult } from '../../bench/results.js';
import type { JsonValue } from '../../envoy/json.js';
import { FILTER_WASM } from '../../devkit/paths.js';

const endpoint = (port: number) => ({ address: '127.0.0.1', port });
const wiring: EnvoyWiring = { edgePort: 1, adminPort: 2, primary: endpoint(3), shadow: endpoint(4), collector: endpoint(5) };

/** Every value under `key` anywhere in `value`. */
function valuesOf(value: JsonValue, key: string): JsonValue[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesOf(item, key));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, item]) => [...(name === key ? [item] : []), ...valuesOf(item, key)]);
}

/** The edge role's plugin configuration, parsed from the bootstrap's StringValue. */
function edgeSampling(percent: number | undefined): JsonValue {
  const bootstrap = filterBootstrap(wiring, { json: true, ...(percent === undefined ? {} : { sampledPercent: percent }) });
  const configs = valuesOf(bootstrap, 'configuration').flatMap((config) => valuesOf(config, 'value'));
  const edge = configs.map((text) => JSON.parse(String(text)) as Record<string, JsonValue>).find((config) => config['role'] === 'edge');
  return edge?.['sampling'] ?? null;
}

describe('flooredRow', () => {
  it('pairs each run with the baseline and with the floor of the same alternation; the goal stays on the baseline ratio', () => {
    const row = flooredRow(
      1,
      'Envoy CPU per request',
      'µs',
      { bound: 'atMost', limit: 1.05, on: 'ratio' },
      {
        baseline: [100, 200, 100],
        floor: [110, 220, 125],
        measured: [120, 220, 130],
      },
    );
    expect(row.ratio).toEqual({ median: 1.2, min: 1.1, max: 1.3, runs: 3 });
    expect(row.met).toBe(false);
    expect(row.vsFloor?.floor).toEqual({ median: 125, min: 110, max: 220, runs: 3 });
    expect(row.vsFloor?.ratio.runs).toBe(3);
    expect(row.vsFloor?.ratio.min).toBeCloseTo(1, 10);
    expect(row.vsFloor?.ratio.median).toBeCloseTo(1.04, 10);
    expect(row.vsFloor?.ratio.max).toBeCloseTo(120 / 110, 10);
  });
});

describe('resultsTable', () => {
  const line = (rows: LineResult['rows']): LineResult => ({ line: 1, title: 't', method: 'm', rows, details: {} });
  const floored = flooredRow(
    1,
    'latency p50, 0% sampled',
    'ms',
    { bound: 'atMost', limit: 1.05, on: 'ratio' },
    { baseline: [1], floor: [1.1], measured: [1.21] },
  );
  const plain = comparedRow(1, 'latency p50, floor', 'ms', null, [1], [1.1]);

  it('adds a floor and a vs-floor column when a row has a floor, and a dash where a row has none', () => {
    const table = resultsTable([line([plain, floored])]).split('\n');
    expect(table[0]).toBe('| # | metric | goal | baseline | measured | ratio | floor | vs floor | |');
    expect(table[1]).toBe('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    expect(table[2]).toBe('| 1 | latency p50, floor | — | 1.00 ms | 1.10 ms | 1.10× | — | — |  |');
    expect(table[3]).toBe('| 1 | latency p50, 0% sampled | ≤ 1.05× | 1.00 ms | 1.21 ms | 1.21× | 1.10 ms | 1.10× | **missed** |');
  });

  it('keeps the table without floor columns when no row has a floor', () => {
    const table = resultsTable([line([plain])]).split('\n');
    expect(table[0]).toBe('| # | metric | goal | baseline | measured | ratio | |');
    expect(table[2]).toBe('| 1 | latency p50, floor | — | 1.00 ms | 1.10 ms | 1.10× |  |');
  });
});

describe('bench bootstraps', () => {
  it('loads the no-op floor module in every filter slot of the floor bootstrap, and the filter in the filter bootstrap', () => {
    const floorFiles = valuesOf(floorBootstrap(wiring), 'filename');
    expect(floorFiles.length).toBeGreaterThan(0);
    expect(new Set(floorFiles)).toEqual(new Set([NOOP_FILTER_WASM]));
    expect(new Set(valuesOf(filterBootstrap(wiring, { json: true }), 'filename'))).toEqual(new Set([FILTER_WASM]));
  });

  it('samples 100% by default, keys a partial share on x-request-id so that it is drawn per request, and lifts the mirroring caps', () => {
    const uncapped = { maxPerSecond: 0, segmentMaxPerSecond: 0 };
    expect(edgeSampling(undefined)).toEqual({ defaultPercent: 100, ...uncapped });
    expect(edgeSampling(0)).toEqual({ defaultPercent: 0, ...uncapped });
    expect(edgeSampling(5)).toEqual({ defaultPercent: 5, keyHeader: 'x-request-id', ...uncapped });
  });
});
