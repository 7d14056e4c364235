// Proof of the Grafana dashboard: the demo stack (real Envoy with the filter, orders v1/v2 and a
// secondary v1, the collector with the demo's ignore rules) under the traffic of docker-compose.yml's `traffic` service, scraped by a real
// Prometheus running deploy/prometheus/prometheus.yml; then every panel query of
// deploy/grafana/dashboards/shadowdiff.json is evaluated through Prometheus's HTTP API and must
// return data. A missing Prometheus fails the suite.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCollectorConfig, startDemoStack, type DemoStack } from '../../scripts/demo/demoStack.js';
import { settledReport } from '../../scripts/demo/settle.js';
import { PROJECT_ROOT, requireFilterWasm } from '../../devkit/paths.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { dashboardPanels, substituteGrafanaVariables, type GrafanaDurations, type PanelQuery } from './dashboardPanels.js';
import { startPrometheus, type InstantSample, type RunningPrometheus } from './prometheusProcess.js';
import { shippedConfigWithTargets } from './shippedPrometheusConfig.js';

const run = promisify(execFile);

const SCRAPE_SECONDS = 1;
/** Requests per traffic half; two halves so that every counter rises after Prometheus first saw it. */
const REQUESTS_PER_HALF = 300;
const ROUTES = ['GET /catalog/items/{sku}', 'GET /orders/{id}', 'GET /orders/{id}/shipping', 'POST /orders'];

/** The panels the dashboard must have (issue 4), by title. */
const REQUIRED_PANELS = [
  'Mirrored traffic by segment',
  'Coverage: pairs and missing legs',
  'Divergence ratio per route',
  'Top diverging fields',
  'Latency p50 / p99 per leg',
  'Latency delta per route (shadow − primary)',
  'Error rate per leg',
  'Filter export drops and failures',
  // issue 15: secondary coverage, reported like shadow coverage
  'Secondary coverage',
];

const PANELS = dashboardPanels();
const QUERIES: PanelQuery[] = PANELS.flatMap((panel) => panel.queries);

describe('the Grafana dashboard against a real Prometheus scraping the demo', () => {
  let stack: DemoStack | undefined;
  let prometheus: RunningPrometheus | undefined;
  let durations: GrafanaDurations;

  beforeAll(async () => {
    await requireFilterWasm();
    // With a secondary, so that its coverage panel has data; with the ignore rules, so that the
    // other panels show the seeded regressions alone.
    stack = await startDemoStack(
      { edge: 0, admin: 0, v1: 0, v2: 0, secondary: 0, collector: 0 },
      { secondary: true, collectorConfig: demoCollectorConfig(false) },
    );
    prometheus = await startPrometheus(
      shippedConfigWithTargets(
        { 'shadowdiff-collector': hostPort(stack.urls.collector), envoy: hostPort(stack.urls.envoyAdmin) },
        SCRAPE_SECONDS,
      ),
    );
    const live = prometheus;
    await waitUntil(
      'Prometheus to scrape the collector and Envoy',
      async () => {
        const up = await live.query('up');
        return up.length === 2 && up.every((sample) => sample.value === '1') ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    const trafficStart = Date.now();
    for (const seed of [7, 8]) {
      await sendTraffic(stack.urls, seed);
      await waitForScrapeOfSettledRun(stack, live);
    }
    // Grafana sizes $__rate_interval from the scrape interval and the panel width; here one window
    // spans the whole run, so every rate covers both halves however the scrapes fell.
    const window = `${Math.ceil((Date.now() - trafficStart) / 1000) + 30 * SCRAPE_SECONDS}s`;
    durations = { rateInterval: window, interval: `${SCRAPE_SECONDS}s`, range: window };
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop();
    await stack?.stop();
  });

  const evaluate = (expr: string): Promise<InstantSample[]> => prometheus!.query(substituteGrafanaVariables(expr, durations));
  const labelValues = (samples: readonly InstantSample[], label: string): string[] =>
    [...new Set(samples.map((sample) => sample.metric[label] ?? ''))].sort();
  const queryOf = (panel: string, refId: string): string => {
    const query = QUERIES.find((candidate) => candidate.panel === panel && candidate.refId === refId);
    if (query === undefined) throw new Error(`no query ${refId} in panel "${panel}"`);
    return query.expr;
  };

  it('has every panel the issue asks for', () => {
    expect(PANELS.map((panel) => panel.title)).toEqual(expect.arrayContaining(REQUIRED_PANELS));
  });

  it.each(QUERIES.map((query) => [`${query.panel} / ${query.refId}`, query] as const))(
    'panel query %s returns data',
    async (_name, query) => {
      const samples = await evaluate(query.expr);
      expect(samples.length, query.expr).toBeGreaterThan(0);
      // NaN (a quantile or ratio of nothing) draws nothing in Grafana either.
      expect(
        samples.some((sample) => Number.isFinite(Number(sample.value))),
        `${query.expr}: ${JSON.stringify(samples)}`,
      ).toBe(true);
    },
  );

  it('shows mirroring for each segment the edge filter samples', async () => {
    const samples = await evaluate(queryOf('Mirrored traffic by segment', 'A'));
    expect(labelValues(samples, 'segment')).toEqual(['beta', 'default', 'employees']);
  });

  it('shows a divergence ratio for every route, and the seeded regressions above zero', async () => {
    const samples = await evaluate(queryOf('Divergence ratio per route', 'B'));
    expect(labelValues(samples, 'route')).toEqual(ROUTES);
    const ratio = new Map(samples.map((sample) => [sample.metric['route'], Number(sample.value)]));
    expect(ratio.get('POST /orders')).toBe(0);
    for (const route of ['GET /orders/{id}', 'GET /orders/{id}/shipping', 'GET /catalog/items/{sku}'])
      expect(ratio.get(route), route).toBeGreaterThan(0);
  });

  it('lists the seeded fields among the top diverging fields', async () => {
    const fields = labelValues(await evaluate(queryOf('Top diverging fields', 'A')), 'field');
    expect(fields).toEqual(expect.arrayContaining(['$.charge', '$.totals.converted', '$.totals.total']));
  });

  it('shows latency and errors for both legs, errors only in the shadow', async () => {
    expect(labelValues(await evaluate(queryOf('Latency p50 / p99 per leg', 'B')), 'leg')).toEqual(['primary', 'shadow']);
    const errors = await evaluate(queryOf('Error rate per leg', 'A'));
    const rate = new Map(errors.map((sample) => [sample.metric['envoy_cluster_name'], Number(sample.value)]));
    expect([...rate.keys()].sort()).toEqual(['shadowdiff_primary', 'shadowdiff_shadow']);
    expect(rate.get('shadowdiff_primary')).toBe(0);
    expect(rate.get('shadowdiff_shadow')).toBeGreaterThan(0);
  });

  it('shows export drops per filter role (none in a healthy run)', async () => {
    const samples = await evaluate(queryOf('Filter export drops and failures', 'A'));
    expect(labelValues(samples, 'role')).toEqual(['edge', 'secondary', 'shadow']);
    expect(samples.every((sample) => Number(sample.value) === 0)).toBe(true);
  });

  it('shows full secondary coverage for every route, no secondary missing, unusable or orphaned', async () => {
    const coverage = await evaluate(queryOf('Secondary coverage', 'A'));
    expect(labelValues(coverage, 'route')).toEqual(ROUTES);
    for (const sample of coverage) expect(Number(sample.value), sample.metric['route']).toBe(1);
    const others = await evaluate(queryOf('Secondary coverage', 'B'));
    expect(labelValues(others, 'outcome')).toEqual(['secondary_missing', 'secondary_orphaned', 'secondary_unusable']);
    expect(others.every((sample) => Number(sample.value) === 0)).toBe(true);
  });

  it('loads the rule file and evaluates every rule without error', async () => {
    const response = await fetch(`${prometheus!.url}/api/v1/rules`);
    const body = (await response.json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const rules = body.data.groups.flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThan(0);
    await waitUntil(
      'every rule evaluated',
      async () => {
        const fresh = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as typeof body;
        const states = fresh.data.groups.flatMap((group) => group.rules);
        return states.every((rule) => rule.health === 'ok') ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
  });
});

function hostPort(url: string): string {
  return new URL(url).host;
}

/** The `traffic` service of docker-compose.yml, pointed at the demo's edge. */
async function sendTraffic(urls: DemoStack['urls'], seed: number): Promise<void> {
  const args = [
    '--url',
    urls.edge,
    '--wait-for',
    `${urls.envoyAdmin}/ready`,
    '--requests',
    String(REQUESTS_PER_HALF),
    '--seed',
    String(seed),
  ];
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/demo/sendTraffic.ts', ...args], { cwd: PROJECT_ROOT });
  if (!/^responses {2}/m.test(stdout)) throw new Error(`sendTraffic.ts did not finish its plan:\n${stdout}`);
}

/** Waits until every digest is joined, then until Prometheus has scraped those final numbers. */
async function waitForScrapeOfSettledRun(stack: DemoStack, prometheus: RunningPrometheus): Promise<void> {
  const report = await settledReport(stack.envoy, stack.urls.collector, 30_000);
  if (report === null) throw new Error('the demo run did not settle: legs still pending after 30 s');
  const { coverage } = report.totals;
  const pairs = coverage.pairs + coverage.shadowMissing + coverage.primaryMissing;
  const stats = await stack.envoy.stats();
  const digested = ['edge', 'shadow', 'secondary'].reduce(
    (sum, role) => sum + (stats.get(`wasmcustom.shadowdiff.${role}.digested`) ?? 0),
    0,
  );
  const scraped = async (expr: string): Promise<number | undefined> => {
    const samples = await prometheus.query(expr);
    return samples[0] === undefined ? undefined : Number(samples[0].value);
  };
  await waitUntil(
    `Prometheus to scrape ${pairs} pairs and ${digested} digests`,
    async () =>
      (await scraped('sum(shadowdiff_collector_pairs_total)')) === pairs && (await scraped('sum(shadowdiff_filter_digested)')) === digested
        ? true
        : undefined,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}
