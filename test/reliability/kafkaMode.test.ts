// Kafka mode end to end, through real Envoy and a real broker: the filter exports to two ingest
// instances behind its one collector cluster (a Service: health-checked round robin), two join
// workers share the legs topic's 4 partitions, one report process reads the verdicts; every one a
// `shadowdiff collector` process configured as an operator would (a config file, the brokers from
// SHADOWDIFF_KAFKA_BROKERS, the role from --roles). Under steady mirrored traffic a join worker is
// killed with SIGKILL and started again, an ingest instance is killed, and the broker restarts.
// Clients see nothing of it; every record the filter digested is exported or counted as lost by
// it; every id on the legs topic has exactly one verdict; and the report process's report is,
// pair for pair, what the embedded pipeline computes from the legs read back from the topic.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../collector/config.js';
import type { KafkaConfig } from '../../collector/configSchema.js';
import type { PairView, Report } from '../../collector/report/reportSchema.js';
import { COLLECTOR_CLUSTER } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';
import { startKafkaBroker, type KafkaBroker } from '../../devkit/kafkaBroker.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { comparable, comparableButExamples } from '../collector/kafka/comparableReport.js';
import { reportSeries, served } from '../collector/kafka/judgedVerdicts.js';
import { embeddedModel } from '../collector/kafka/joinModel.js';
import { metricOf, PARTITIONS_OWNED, untilMetric } from '../collector/kafka/metricReads.js';
import { readTopic, readTopics, untilJudged, type TopicRecord } from '../collector/kafka/topicReads.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';
import type { UpstreamHandler } from '../support/upstream.js';
import { withCollectorEndpoints } from './bootstrapEdits.js';
import { startCollectorProcess, type CollectorProcess } from './collectorProcess.js';
import { lost, settledLedger, exportLedger, type ExportLedger, type Role } from './exportLedger.js';
import { mirroredRequestHeaders } from './checkedTraffic.js';

const WINDOW_MS = 3000;
const PARTITIONS = 4;
const ROLES: readonly Role[] = ['edge', 'shadow'];
/** Export calls each filter role may have in flight at once. */
const MAX_INFLIGHT = 2;

// The filter answers a batch failed after 2 s; the ingest role gives Kafka 1 s, so the filter sees its 503.
const collector: JsonObject = { cluster: COLLECTOR_CLUSTER, timeoutMs: 2000 };
const exportSettings: JsonObject = { batchSize: 16, maxQueue: 256, flushIntervalMs: 50, maxInflight: MAX_INFLIGHT };
const edgeConfig = { ...testEdgeConfig(cohortSampling({ always: 100 })), collector, export: exportSettings };
const shadowConfig = { ...testShadowConfig(), collector, export: exportSettings };

/** What every process's config file holds; the brokers and the role come from the environment and the command line. */
const settings: Record<string, unknown> = {
  logLevel: 'info',
  join: { windowMs: WINDOW_MS },
  store: { path: '' },
  // Every judged pair stays retrievable from the report process.
  pairs: { keepDiverged: 100_000, keepOther: 100_000 },
  // sessionTimeoutMs: the brokers' least, so the killed join worker's partitions move after 6 s.
  kafka: { partitions: PARTITIONS, replicationFactor: 1, produceTimeoutMs: 1000, sessionTimeoutMs: 6000 },
};

/** Request n's number, from its path (/orders/n). */
const numberOf = (path: string): number => Number(/\/orders\/(\d+)/.exec(path)?.[1] ?? 0);
const bodyOf = (path: string, total: number): string => JSON.stringify({ path, total, items: [1, 2, 3] });
const primaryService: UpstreamHandler = (request) => ({
  headers: { 'content-type': 'application/json', 'x-served-by': 'primary' },
  body: bodyOf(request.path, numberOf(request.path)),
});
/** The shadow: every fifth body differs in a field, every thirteenth request fails. */
const shadowService: UpstreamHandler = (request) => {
  const n = numberOf(request.path);
  return {
    status: n % 13 === 0 ? 500 : 200,
    headers: { 'content-type': 'application/json' },
    body: bodyOf(request.path, n % 5 === 0 ? n + 1 : n),
  };
};

let broker: KafkaBroker;
let dir: string;
let stack: Stack | undefined;
const processes: CollectorProcess[] = [];

beforeAll(async () => {
  broker = await startKafkaBroker();
  dir = await mkdtemp(join(tmpdir(), 'shadowdiff-kafka-mode-'));
});

afterAll(async () => {
  await stack?.stop();
  for (const child of processes) await child.stop('SIGKILL').catch(() => {});
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

/** A `shadowdiff collector --roles <role>` process on the suite's broker. */
async function startRole(role: 'ingest' | 'join' | 'report'): Promise<CollectorProcess> {
  const started = await startCollectorProcess(dir, settings, { SHADOWDIFF_KAFKA_BROKERS: broker.bootstrap }, { args: ['--roles', role] });
  processes.push(started);
  return started;
}

const endpointOf = (collector: CollectorProcess): { address: string; port: number } => ({
  address: '127.0.0.1',
  port: Number(new URL(collector.url).port),
});

async function untilReady(collector: CollectorProcess, timeoutMs = 90_000): Promise<void> {
  await waitUntil(
    `${collector.url}/readyz to answer 200`,
    async () => ((await fetch(`${collector.url}/readyz`)).status === 200 ? true : undefined),
    {
      timeoutMs,
      intervalMs: 300,
    },
  );
}

/** Requests to distinct paths, `everyMs` apart (at most 8 in flight), each mirrored, until stopped; what clients saw wrong. */
function steadyTraffic(live: Stack, everyMs: number): { sent(): number; stop(): Promise<string[]> } {
  const problems: string[] = [];
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      while (inflight.size >= 8) await Promise.race(inflight);
      const path = `/orders/${sent}`;
      sent += 1;
      const request = (async () => {
        const response = await live.send(path, mirroredRequestHeaders(path));
        const body = await response.text();
        if (response.status !== 200 || body !== bodyOf(path, numberOf(path)))
          problems.push(`${path}: ${response.status} ${body.slice(0, 80)}`);
      })()
        .catch((error: unknown) => void problems.push(`${path}: ${(error as Error).message}`))
        .finally(() => inflight.delete(request));
      inflight.add(request);
      await sleep(everyMs);
    }
    await Promise.all(inflight);
  })();
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      await loop;
      return problems;
    },
  };
}

/** Waits until the report process has counted `more` verdicts beyond `from`; resolves with its count. */
async function untilCounted(report: CollectorProcess, from: number, more: number): Promise<number> {
  return waitUntil(
    `${more} more verdicts counted by the report process`,
    async () => {
      const counted = await verdictRecordsRead(report, 'counted');
      return counted >= from + more ? counted : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

/** The verdicts records the report process read, of one result, or of all (shadowdiff_collector_kafka_verdict_records_total). */
async function verdictRecordsRead(report: CollectorProcess, result?: string): Promise<number> {
  const text = await (await fetch(`${report.url}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^shadowdiff_collector_kafka_verdict_records_total\{result="(\w+)"\} (\d+)$/gm))
    if (result === undefined || match[1] === result) total += Number(match[2]);
  return total;
}

/** Legs an ingest instance produced and Kafka acknowledged (shadowdiff_collector_kafka_legs_total). */
async function legsAcknowledged(ingest: CollectorProcess): Promise<number> {
  const text = await (await fetch(`${ingest.url}/metrics`)).text();
  return Number(/^shadowdiff_collector_kafka_legs_total\{result="acknowledged"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** For a failed wait on the verdicts: the legs still unjudged (id@partition:offset), and the join workers' series and warnings. */
async function whyUnjudged(kafka: KafkaConfig, legs: readonly TopicRecord[], workers: readonly CollectorProcess[]): Promise<string> {
  const judged = new Set((await readTopic(broker.bootstrap, kafka.topics.verdicts)).map((r) => r.key.toString('utf8')));
  const unjudged = legs
    .filter((leg) => !judged.has(leg.key.toString('utf8')))
    .map((leg) => `${leg.key.toString('utf8')}@${leg.partition}:${leg.offset}`);
  const states = await Promise.all(
    workers.map(async (worker) => {
      const series = (await (await fetch(`${worker.url}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('shadowdiff_collector_kafka_join'));
      const warnings = worker
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && !line.includes('"level":30'));
      return [...series, ...warnings.slice(-10)].join('\n');
    }),
  );
  return `unjudged legs (${unjudged.length}): ${unjudged.slice(0, 20).join(' ')}\n${states.join('\n---\n')}`;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

const withoutTime = (pair: PairView): PairView => ({ ...pair, resolvedAtUnixMs: null });

async function ledgers(live: Stack, digested: number): Promise<Record<Role, ExportLedger>> {
  return {
    edge: await settledLedger(live.envoy, 'edge', digested, 60_000),
    shadow: await settledLedger(live.envoy, 'shadow', digested, 60_000),
  };
}

describe('Kafka mode through real Envoy: 2 ingest, 2 join workers, 1 report', () => {
  it('judges every id once, as the embedded pipeline would, across a join worker SIGKILL, an ingest SIGKILL and a broker restart', async () => {
    // The first ingest instance creates the legs topic, the first join worker the verdicts topic.
    const ingest = [await startRole('ingest')];
    const workers = [await startRole('join')];
    ingest.push(await startRole('ingest'));
    workers.push(await startRole('join'));
    const report = await startRole('report');
    await waitUntil(
      'the two join workers to share the partitions',
      async () => {
        const [first, second] = [await metricOf(workers[0]!.url, PARTITIONS_OWNED), await metricOf(workers[1]!.url, PARTITIONS_OWNED)];
        return first > 0 && second > 0 && first + second === PARTITIONS ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    for (const child of [...ingest, report]) await untilReady(child);

    const live = await startStack({
      edgeConfig,
      shadowConfig,
      collectorEndpoint: endpointOf(ingest[0]!),
      adjustBootstrap: (bootstrap) => withCollectorEndpoints(bootstrap, ingest.map(endpointOf)),
      primaryHandler: primaryService,
      shadowHandler: shadowService,
    });
    stack = live;
    const traffic = steadyTraffic(live, 40);
    let counted = await untilCounted(report, 0, 40);

    // (1) A join worker dies; once its session times out the survivor takes every partition over, then shares them again.
    expect(await workers[0]!.stop('SIGKILL')).toBeNull();
    await untilMetric(workers[1]!.url, PARTITIONS_OWNED, (owned) => owned === PARTITIONS, 90_000);
    workers[0] = await startRole('join');
    await untilMetric(workers[0].url, PARTITIONS_OWNED, (owned) => owned > 0, 90_000);
    counted = await untilCounted(report, counted, 40);

    // (2) An ingest instance dies: only the export calls in flight to it, or sent before Envoy took it out, fail.
    // Both instances take batches (the round robin), so the one killed had its share in flight.
    await waitUntil(
      'the second ingest instance to have legs acknowledged',
      async () => ((await legsAcknowledged(ingest[1]!)) > 0 ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 300,
      },
    );
    const before = { edge: await exportLedger(live.envoy, 'edge'), shadow: await exportLedger(live.envoy, 'shadow') };
    expect(await ingest[1]!.stop('SIGKILL')).toBeNull();
    counted = await untilCounted(report, counted, 40);
    const after = { edge: await exportLedger(live.envoy, 'edge'), shadow: await exportLedger(live.envoy, 'shadow') };
    const failedCalls = ROLES.map((role) => after[role].exportFailures - before[role].exportFailures);

    // (3) The broker restarts: the ingest instance answers 503 meanwhile (the filter counts those batches lost).
    await broker.halt();
    await waitUntil(
      'the ingest instance to see the broker gone',
      async () => ((await fetch(`${ingest[0]!.url}/readyz`)).status === 503 ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await broker.resume();
    for (const child of [ingest[0]!, ...workers, report]) await untilReady(child);
    counted = await untilCounted(report, counted, 40);

    const problems = await traffic.stop();
    expect(problems, 'what clients saw wrong').toEqual([]);
    const sent = traffic.sent();
    const ledger = await ledgers(live, sent);
    const legs = await readTopic(broker.bootstrap, 'shadowdiff.legs');
    for (const role of ROLES) {
      // Every record digested was exported or counted lost; every one exported is on the legs topic.
      expect(ledger[role].digested, role).toBe(sent);
      expect(ledger[role].exported + lost(ledger[role]), role).toBe(sent);
      const onTopic = legs.filter((leg) => JSON.parse(leg.value.toString('utf8')).record.leg === (role === 'edge' ? 'primary' : 'shadow'));
      expect(onTopic.length, role).toBeGreaterThanOrEqual(ledger[role].exported);
      expect(onTopic.length, role).toBeLessThanOrEqual(sent);
    }
    for (const failed of failedCalls) expect(failed, 'export calls failed by the ingest SIGKILL').toBeLessThanOrEqual(2 * MAX_INFLIGHT);

    // Every id of the legs topic judged, once; nothing judged twice even after idling two windows more.
    const config = parseConfig({ ...settings, kafka: { ...(settings['kafka'] as object), brokers: [broker.bootstrap], roles: ['join'] } });
    const kafka = config.kafka as KafkaConfig;
    const ids = [...new Set(legs.map((leg) => leg.key.toString('utf8')))];
    await untilJudged(broker.bootstrap, kafka, ids, 120_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await whyUnjudged(kafka, legs, workers)}`);
    });
    await sleep(2 * WINDOW_MS);
    const read = await readTopics(broker.bootstrap, kafka);
    const verdictsPerId = new Map<string, number>();
    for (const verdict of read.verdicts) verdictsPerId.set(verdict.pair.id, (verdictsPerId.get(verdict.pair.id) ?? 0) + 1);
    expect(
      [...verdictsPerId].filter(([, count]) => count > 1),
      'ids with more than one verdict',
    ).toEqual([]);
    expect(new Set(verdictsPerId.keys())).toEqual(new Set(ids));

    // The model: the embedded pipeline fed the same legs in arrival order, then left until every window closed.
    const arrived = [...read.legs].sort((a, b) => a.arrivedUnixMs - b.arrivedUnixMs || a.partition - b.partition || a.offset - b.offset);
    const model = embeddedModel(config, arrived, Math.max(...arrived.map((leg) => leg.arrivedUnixMs)) + 10 * WINDOW_MS);
    const verdictRecords = (await readTopic(broker.bootstrap, kafka.topics.verdicts)).length;
    await waitUntil(
      'the report process to read every verdicts record',
      async () => ((await verdictRecordsRead(report)) >= verdictRecords ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    expect(await verdictRecordsRead(report, 'repeated')).toBe(0);
    for (const id of ids) {
      expect(withoutTime(await getJson<PairView>(`${report.url}/v1/pairs/${id}`)), id).toEqual(withoutTime(model.pairs.get(id)!));
    }
    const got = await getJson<Report>(`${report.url}/v1/report`);
    // Latency intervals and samples included: they depend on the ids, not on the order they were counted in.
    expect(comparableButExamples(got)).toEqual(comparableButExamples(model.report));
    // The per-leg counters (from the tallies) and every other series the embedded collector has.
    const series = reportSeries(await (await fetch(`${report.url}/metrics`)).text());
    expect(series).toEqual(reportSeries(await model.metrics.registry.metrics()));
    // A function of the verdicts topic: the same records read partition after partition give the same report, examples included.
    const replayed = await served(
      config,
      [...(await readTopic(broker.bootstrap, kafka.topics.verdicts))].sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      ids,
    );
    expect(comparable(got)).toEqual(comparable(replayed.report));
    expect(series).toEqual(replayed.series);
    expect(got.totals.coverage.pairs).toBeGreaterThan(100);
    expect([...model.pairs.values()].filter((pair) => pair.diff?.diverged === true).length).toBeGreaterThan(0);

    // The survivor took the killed worker's partitions over, and gave some back to its replacement.
    expect(workers[1]!.output().match(/rebuilt from the log/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    for (const child of [ingest[0]!, ...workers, report]) expect(await child.stop('SIGTERM')).toBe(0);
    console.log(
      `kafka mode: ${sent} requests; export calls failed by the ingest SIGKILL: edge ${failedCalls[0]}, shadow ${failedCalls[1]}; ` +
        `lost: edge ${lost(ledger.edge)}, shadow ${lost(ledger.shadow)}; verdicts ${read.verdicts.length} ` +
        `(${got.totals.coverage.pairs} pairs, ${got.totals.coverage.shadowMissing} shadow_missing, ${got.totals.coverage.primaryMissing} primary_missing)`,
    );
  }, 300_000);
});
