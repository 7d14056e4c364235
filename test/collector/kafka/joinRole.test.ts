// Kafka mode's join role against a real broker (devkit/kafkaBroker.ts): join workers consume the
// legs topic as a consumer group and produce one verdict per correlation id to the same
// partition number of the verdicts topic, equal to what the embedded pipeline computes from the
// same legs (the model); a worker killed with SIGKILL mid-stream and started again, the broker
// restarted, a transaction failing before its commit, a worker stalled mid-step while its
// partitions move, or a previous owner's transaction left open (fenced by the one that takes
// them: late sends and commits refused), loses no leg and produces no verdict twice as a
// read_committed reader, the report role's included, sees the topic; tallies count every leg once. The verdicts
// topic is created with the legs topic's partition count, and one that differs refused.

import { Admin, type Producer } from '@platformatic/kafka';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaBroker } from '../../../devkit/kafkaBroker.js';
import { waitUntil } from '../../../devkit/waitUntil.js';
import { parseConfig } from '../../../collector/config.js';
import type { KafkaConfig } from '../../../collector/configSchema.js';
import { buildKafkaApp } from '../../../collector/http/app.js';
import { startServer, type RunningServer } from '../../../collector/http/server.js';
import { StartupError } from '../../../collector/http/startupError.js';
import { JoinWorker } from '../../../collector/kafka/joinWorker.js';
import { isFenced, kafkaErrorMessage } from '../../../collector/kafka/kafkaErrors.js';
import { LegProducer } from '../../../collector/kafka/legProducer.js';
import { transactionalIdOf } from '../../../collector/kafka/partitionProducer.js';
import { VerdictReader } from '../../../collector/kafka/verdictReader.js';
import { idempotentProducer } from '../../../collector/kafka/sends.js';
import { ensureLegsTopic, ensureVerdictsTopic } from '../../../collector/kafka/topics.js';
import { encodeVerdict } from '../../../collector/kafka/verdictRecord.js';
import { WIRE_LEGS } from '../../../collector/ingest/wireSchema.js';
import { zeroCounts } from '../../../collector/schema/countsBy.js';
import type { PairView, Report } from '../../../collector/report/reportSchema.js';
import { pairViewOf } from '../../../collector/score/resolution.js';
import type { CollectorConfig, IngestedRecord } from '../../../collector/types.js';
import { startCollectorProcess, type CollectorProcess } from '../../reliability/collectorProcess.js';
import { record } from '../fixtures.js';
import { comparableButExamples } from './comparableReport.js';
import { embeddedModel } from './joinModel.js';
import { metricOf, PARTITIONS_OWNED, untilMetric } from './metricReads.js';
import { readTopic, readTopics, untilJudged, type TopicRead } from './topicReads.js';

const WINDOW_MS = 2000;
const PARTITIONS = 4;

let broker: KafkaBroker;
let suite = 0;

beforeAll(async () => {
  broker = await startKafkaBroker();
});

afterAll(async () => {
  await broker?.stop();
});

/** The collector configuration of one test's topics and group (as a config file holds it). */
function settingsFor(name: string): Record<string, unknown> {
  suite += 1;
  const tag = `${name}-${process.pid}-${suite}`;
  return {
    logLevel: 'info',
    join: { windowMs: WINDOW_MS },
    kafka: {
      brokers: [broker.bootstrap],
      roles: ['join'],
      topics: { legs: `legs-${tag}`, verdicts: `verdicts-${tag}` },
      groupId: `join-${tag}`,
      partitions: PARTITIONS,
      replicationFactor: 1,
      // The brokers' least: a killed worker's partitions move after 6 s rather than the default 10.
      sessionTimeoutMs: 6000,
    },
  };
}

const parsed = (settings: Record<string, unknown>, logLevel = 'silent'): CollectorConfig =>
  parseConfig({ ...settings, listen: { port: 0 }, logLevel });
const kafkaOf = (config: CollectorConfig): KafkaConfig => config.kafka as KafkaConfig;

/**
 * Steady traffic of requests with unique ids: most pair (legs in one send or the next, either
 * order), some diverge, some lack a leg (closed by the window), some legs are sent twice; a
 * quarter announce a secondary: triples in one send or across two, a secondary first, one that
 * never comes (secondary_missing, its late copy kept for `lateSecondaries`) and a lone one (orphaned).
 */
class Traffic {
  readonly ids: string[] = [];
  private next = 0;
  private held: IngestedRecord[] = [];
  private missing: IngestedRecord[] = [];

  constructor(private readonly prefix: string) {}

  /** The secondaries that never came, to send once their pairs were judged (late). */
  lateSecondaries(): IngestedRecord[] {
    const out = this.missing;
    this.missing = [];
    return out;
  }

  /** The legs of `requests` more requests, and the second legs held from the previous call. */
  legs(requests: number): IngestedRecord[] {
    const out = this.held;
    this.held = [];
    for (let i = 0; i < requests; i++) {
      const n = this.next++;
      const id = `${this.prefix}-${n}`;
      this.ids.push(id);
      const primary = record('primary', { id, path: `/orders/${n % 7}` });
      const shadow = record('shadow', { id, path: `/orders/${n % 7}`, status: n % 10 === 3 ? 500 : 200 });
      const announcing = { ...primary, withSecondary: true as const };
      const secondary = record('secondary', { id, path: `/orders/${n % 7}`, fields: { '$.id': `${n}`.padStart(8, '0') } });
      if (n % 20 === 10) out.push(announcing, shadow, secondary);
      else if (n % 20 === 11) {
        out.push(announcing, shadow);
        this.held.push(secondary);
      } else if (n % 20 === 12) {
        out.push(shadow, announcing);
        this.missing.push(secondary);
      } else if (n % 20 === 13) out.push(secondary);
      else if (n % 20 === 14) {
        out.push(secondary, announcing);
        this.held.push(shadow);
      } else if (n % 20 === 5) out.push(primary);
      else if (n % 20 === 6) out.push(shadow);
      else if (n % 20 === 7) out.push(primary, primary, shadow);
      else if (n % 2 === 0) out.push(shadow, primary);
      else {
        out.push(primary);
        this.held.push(shadow);
      }
    }
    return out;
  }

  /** What is still held back. */
  flush(): IngestedRecord[] {
    const out = this.held;
    this.held = [];
    return out;
  }
}

const withoutTime = (pair: PairView): PairView => ({ ...pair, resolvedAtUnixMs: null });

/** One verdict (or orphaned record) per id, on the legs' partition, equal to the model; tallies that count every leg once. */
function expectModelVerdicts(config: CollectorConfig, read: TopicRead, ids: readonly string[]): void {
  const seen = new Map<string, number>();
  for (const id of [...read.verdicts.map((verdict) => verdict.pair.id), ...read.orphaned.map((orphaned) => orphaned.id)])
    seen.set(id, (seen.get(id) ?? 0) + 1);
  const twice = [...seen].filter(([, count]) => count > 1);
  expect(twice, 'ids with more than one verdict').toEqual([]);
  expect(new Set(seen.keys())).toEqual(new Set(ids));

  const partitionOf = new Map(read.legs.map((leg) => [leg.record.id, leg.partition]));
  for (const verdict of read.verdicts) {
    expect(verdict.partition).toBe(partitionOf.get(verdict.pair.id));
    expect(verdict.legs.partition).toBe(verdict.partition);
  }
  for (const orphaned of read.orphaned) expect(orphaned.partition).toBe(partitionOf.get(orphaned.id));
  // The model takes the legs as the embedded collector would have: in arrival order.
  const legs = [...read.legs].sort((a, b) => a.arrivedUnixMs - b.arrivedUnixMs || a.partition - b.partition || a.offset - b.offset);
  const end = Math.max(...legs.map((leg) => leg.arrivedUnixMs)) + 10 * WINDOW_MS;
  const model = embeddedModel(config, legs, end);
  const verdicts = new Map(read.verdicts.map((verdict) => [verdict.pair.id, withoutTime(verdict.pair)]));
  const expected = new Map([...model.pairs].map(([id, pair]) => [id, withoutTime(pair)]));
  expect(verdicts).toEqual(expected);
  expect(read.orphaned.map((orphaned) => orphaned.route).sort()).toEqual([...model.orphaned].sort());

  // Every consumed offset of every partition is counted by exactly one tally.
  const totals = { records: zeroCounts(WIRE_LEGS), duplicates: zeroCounts(WIRE_LEGS), late: zeroCounts(WIRE_LEGS) };
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const ranges = read.tallies
      .filter((tally) => tally.partition === partition)
      .map((tally) => tally.legs)
      .sort((a, b) => a.fromOffset - b.fromOffset);
    let next = 0;
    for (const range of ranges) {
      expect(range.fromOffset, `partition ${partition}: a tally starting at ${range.fromOffset}, expected ${next}`).toBe(next);
      next = range.toOffset + 1;
    }
    expect(next).toBe(read.legs.filter((leg) => leg.partition === partition).length);
  }
  // By leg, as the embedded collector's series count them.
  for (const tally of read.tallies)
    for (const leg of WIRE_LEGS)
      for (const count of ['records', 'duplicates', 'late'] as const) totals[count][leg] += tally[count][leg] ?? 0;
  expect(totals).toEqual(model.totals);
}

/** Sends the traffic's legs through the ingest role's own producer, `requests` at a time every `everyMs`, until stopped. */
function steadily(producer: LegProducer, traffic: Traffic, requests: number, everyMs: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await producer.produce(traffic.legs(requests), Date.now());
      await sleep(everyMs);
    }
    await producer.produce(traffic.flush(), Date.now());
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const QUIET = { info: () => {}, warn: () => {}, error: () => {} };

const isTally = (key: Buffer): boolean => key.toString('utf8').startsWith('tally/');

/**
 * The verdicts topic's records as the report role's reader sees them (partition:offset, in
 * order per partition): read until it has `expected` of them, then a second more to show no more come.
 */
async function readAsReport(kafka: KafkaConfig, expected: number): Promise<string[]> {
  const read: string[] = [];
  const reader = new VerdictReader({
    config: kafka,
    positions: () => [],
    onMessage: (message) => read.push(`${message.partition}:${message.offset}`),
    onFailure: () => {},
  });
  reader.start();
  try {
    await waitUntil(`the report's reader to read ${expected} records`, () => (read.length >= expected ? true : undefined), {
      timeoutMs: 30_000,
    });
    await sleep(1000);
    return read;
  } finally {
    await reader.close();
  }
}

const positionsOf = (records: ReadonlyArray<{ partition: number; offset: number }>): string[] =>
  records.map((record) => `${record.partition}:${record.offset}`).sort();

describe('Kafka join role', () => {
  it('judges every id once, as the embedded pipeline does, to the partition of its legs: triples, secondaries missing, late and orphaned, the report role’s report the embedded one', async () => {
    const settings = settingsFor('one');
    const config = parsed(settings);
    const kafka = kafkaOf(config);
    // The report role beside it: its report is the embedded pipeline's for the same legs.
    const server = await startServer(
      parseConfig({
        ...settings,
        listen: { port: 0 },
        logLevel: 'silent',
        store: { path: '' },
        kafka: { ...kafka, roles: ['join', 'report'] },
      }),
    );
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    try {
      const traffic = new Traffic('one');
      for (let i = 0; i < 10; i++) await producer.produce(traffic.legs(20), Date.now());
      await producer.produce(traffic.flush(), Date.now());
      await untilJudged(broker.bootstrap, kafka, traffic.ids, 60_000);
      // Secondaries after their pairs were judged without them: late, counted by a tally.
      const late = traffic.lateSecondaries();
      expect(late.length).toBe(10);
      await producer.produce(late, Date.now());
      const read = await waitUntil(
        'a tally to count the late secondaries',
        async () => {
          const got = await readTopics(broker.bootstrap, kafka);
          return got.tallies.reduce((sum, tally) => sum + (tally.late.secondary ?? 0), 0) === late.length ? got : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^shadowdiff_collector_kafka_join_partitions 4$/m);
      expect(metrics).toMatch(/^shadowdiff_collector_kafka_verdicts_total\{outcome="diverged"\} [1-9]/m);
      expect(metrics).toMatch(/^shadowdiff_collector_kafka_verdicts_total\{outcome="secondary_orphaned"\} 10$/m);
      expect(metrics).toMatch(/^shadowdiff_collector_kafka_join_pending_legs 0$/m);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expectModelVerdicts(config, read, traffic.ids);
      expect(read.verdicts.filter((verdict) => verdict.pair.secondary != null)).toHaveLength(30);
      expect(read.verdicts.filter((verdict) => verdict.pair.secondary === null)).toHaveLength(10);
      const legs = [...read.legs].sort((a, b) => a.arrivedUnixMs - b.arrivedUnixMs || a.partition - b.partition || a.offset - b.offset);
      const model = embeddedModel(config, legs, Math.max(...legs.map((leg) => leg.arrivedUnixMs)) + 10 * WINDOW_MS);
      const report = await waitUntil(
        'the report role to read every verdict and tally',
        async () => {
          const got = (await (await fetch(`${server.url}/v1/report`)).json()) as Report;
          return got.totals.late === model.report.totals.late && got.totals.coverage.pairs === model.report.totals.coverage.pairs
            ? got
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(model.report.totals.coverage).toMatchObject({ triples: 30, secondaryMissing: 10, secondaryOrphaned: 10 });
      expect(comparableButExamples(report)).toEqual(comparableButExamples(model.report));
      await server.close();
    } finally {
      await producer.close();
      await server.close();
    }
  }, 120_000);

  it('loses no leg and judges no id twice when a worker of two is killed with SIGKILL mid-stream and started again', async () => {
    const settings = settingsFor('kill');
    const config = parsed(settings);
    const kafka = kafkaOf(config);
    const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-join-'));
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    const workers: CollectorProcess[] = [];
    try {
      workers.push(await startCollectorProcess(dir, settings), await startCollectorProcess(dir, settings));
      const owning = (worker: CollectorProcess): Promise<number> => metricOf(worker.url, PARTITIONS_OWNED);
      await waitUntil(
        'the two workers to share the partitions',
        async () => {
          const [first, second] = [await owning(workers[0]!), await owning(workers[1]!)];
          return first > 0 && first + second === PARTITIONS ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const traffic = new Traffic('kill');
      const flow = steadily(producer, traffic, 10, 50);
      await sleep(3000);
      expect(await workers[0]!.stop('SIGKILL')).toBeNull();
      // Once its session times out, the survivor takes every partition over, the dead one's pending legs with them.
      await untilMetric(workers[1]!.url, PARTITIONS_OWNED, (owned) => owned === PARTITIONS);
      await sleep(1000);
      workers[0] = await startCollectorProcess(dir, settings);
      await sleep(3000);
      await flow.stop();
      expect(traffic.ids.length).toBeGreaterThan(200);
      await untilJudged(broker.bootstrap, kafka, traffic.ids, 90_000);
      // Idle a little longer: a second verdict would be produced by now.
      await sleep(2 * WINDOW_MS);
      // The survivor took the dead worker's partitions over (its second rebuild) and gave some back to the restarted one (its third).
      await untilMetric(workers[0]!.url, PARTITIONS_OWNED, (owned) => owned > 0);
      expect(workers[1]!.output().match(/rebuilt from the log/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
      for (const worker of workers) expect(await worker.stop('SIGTERM')).toBe(0);
      expectModelVerdicts(config, await readTopics(broker.bootstrap, kafka), traffic.ids);
    } finally {
      for (const worker of workers) await worker.stop('SIGKILL').catch(() => {});
      await producer.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('loses no leg and judges no id twice when the broker restarts mid-stream', async () => {
    const settings = settingsFor('broker');
    const config = parsed(settings);
    const kafka = kafkaOf(config);
    let server: RunningServer | null = await startServer(config);
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    try {
      const traffic = new Traffic('broker');
      for (let i = 0; i < 5; i++) await producer.produce(traffic.legs(20), Date.now());
      await broker.halt();
      await sleep(1000);
      await broker.resume();
      await waitUntil(
        'the producer to reach the broker again',
        async () => {
          try {
            await producer.produce(traffic.legs(20), Date.now());
            return true;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      for (let i = 0; i < 5; i++) await producer.produce(traffic.legs(20), Date.now());
      await producer.produce(traffic.flush(), Date.now());
      // A batch refused while the broker was away was never acknowledged: its ids are not expected.
      const produced = new Set((await readTopic(broker.bootstrap, kafka.topics.legs)).map((r) => r.key.toString('utf8')));
      const ids = traffic.ids.filter((id) => produced.has(id));
      await untilJudged(broker.bootstrap, kafka, ids, 90_000);
      await sleep(2 * WINDOW_MS);
      await server.close();
      server = null;
      const read = await readTopics(broker.bootstrap, kafka);
      expectModelVerdicts(config, read, ids);
    } finally {
      await producer.close();
      await server?.close();
    }
  }, 240_000);

  // Legs keep coming while the broker is away: the workers' steps fail, and so do their clients'
  // heartbeats, after which the client (1.35.0) never heartbeats again; the coordinator drops both
  // members once their sessions time out. Each worker must join the group again by itself, or it
  // keeps its partitions without ever stepping on them (its pending and lag as they were).
  it('keeps judging when the broker restarts under steady traffic: the workers join the group again, every id judged once', async () => {
    const config = parsed(settingsFor('outage'));
    const kafka = kafkaOf(config);
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    const workers = [await JoinWorker.open(config, kafka), await JoinWorker.open(config, kafka)];
    try {
      for (const worker of workers) await worker.start(QUIET);
      await waitUntil(
        'the two workers to share the partitions',
        () => (workers.every((worker) => worker.partitions.length > 0) ? true : undefined),
        { timeoutMs: 60_000 },
      );
      const traffic = new Traffic('outage');
      let running = true;
      const sending = (async () => {
        while (running) {
          // Refused while the broker is away: those legs are not on the topic, their ids not expected.
          await producer.produce(traffic.legs(4), Date.now()).catch(() => {});
          await sleep(50);
        }
        await producer.produce(traffic.flush(), Date.now());
      })();
      await sleep(3000);
      await broker.halt();
      await sleep(1000);
      await broker.resume();
      // Past the session timeout (6 s): a member that stopped heartbeating has been dropped by then.
      await sleep(8000);
      running = false;
      await sending;
      const produced = new Set((await readTopic(broker.bootstrap, kafka.topics.legs)).map((r) => r.key.toString('utf8')));
      const ids = traffic.ids.filter((id) => produced.has(id));
      await untilJudged(broker.bootstrap, kafka, ids, 60_000);
      await sleep(2 * WINDOW_MS);
      for (const worker of workers) await worker.close();
      expectModelVerdicts(config, await readTopics(broker.bootstrap, kafka), ids);
    } finally {
      for (const worker of workers) await worker.close();
      await producer.close();
    }
  }, 240_000);

  it('joins the group again when the client says its own rejoin failed, and keeps judging: every id judged once', async () => {
    const config = parsed(settingsFor('rejoin'));
    const kafka = kafkaOf(config);
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    const worker = await JoinWorker.open(config, kafka);
    const said: string[] = [];
    const log = {
      info: (_: object, message: string) => said.push(message),
      warn: (_: object, message: string) => said.push(message),
      error: () => {},
    };
    try {
      await worker.start(log);
      await waitUntil('the worker to own every partition', () => (worker.partitions.length === PARTITIONS ? true : undefined), {
        timeoutMs: 60_000,
      });
      const traffic = new Traffic('rejoin');
      await producer.produce(traffic.legs(40), Date.now());
      // What @platformatic/kafka 1.35.0 does when its rejoin after a heartbeat's group error has
      // spent its retries (consumer.js, #heartbeat: emitWithDebug(null, 'error', error)); it
      // heartbeats no more. Unheard, the emit throws.
      const client = (worker as unknown as { consumer: NodeJS.EventEmitter }).consumer;
      expect(() => client.emit('error', new Error('rejoinGroup failed 4 times'))).not.toThrow();
      await waitUntil(
        'the worker to join the group again',
        () => (said.includes('join worker joined the consumer group again') ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      await producer.produce([...traffic.legs(40), ...traffic.flush()], Date.now());
      await untilJudged(broker.bootstrap, kafka, traffic.ids, 60_000);
      await sleep(2 * WINDOW_MS);
      await worker.close();
      expectModelVerdicts(config, await readTopics(broker.bootstrap, kafka), traffic.ids);
    } finally {
      await worker.close();
      await producer.close();
    }
  }, 180_000);

  it('takes and rebuilds a partition whose transaction failed (the broker gone before its commit): what it sent is aborted, its legs judged again, once', async () => {
    const config = parsed(settingsFor('failed'));
    const kafka = kafkaOf(config);
    let failOnce = false;
    const worker = await JoinWorker.open(config, kafka, async ({ step }) => {
      if (step !== 'commit' || !failOnce) return;
      failOnce = false;
      throw new Error('the broker went away');
    });
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    try {
      await worker.start(QUIET);
      await waitUntil('the worker to own every partition', () => (worker.partitions.length === PARTITIONS ? true : undefined), {
        timeoutMs: 60_000,
      });
      failOnce = true;
      const traffic = new Traffic('failed');
      for (let i = 0; i < 3; i++) await producer.produce(traffic.legs(20), Date.now());
      await producer.produce(traffic.flush(), Date.now());
      await untilJudged(broker.bootstrap, kafka, traffic.ids, 60_000);
      await sleep(2 * WINDOW_MS);
      expect(failOnce, 'a commit failed once').toBe(false);
      await worker.close();
      const read = await readTopics(broker.bootstrap, kafka);
      expectModelVerdicts(config, read, traffic.ids);
      // What the failed transaction sent is in the log, aborted: the log holds more records than a reader sees.
      const logged = await readTopic(broker.bootstrap, kafka.topics.verdicts, false);
      expect(logged.length).toBeGreaterThan(read.verdicts.length + read.tallies.length);
    } finally {
      await producer.close();
      await worker.close();
    }
  }, 120_000);

  // A worker whose loop stops with partitions assigned keeps its last healthy status and lag;
  // only the age of its last step shows it. Held before its commit (the documented test seam)
  // longer than kafka.joinStallMs, its /readyz says so; released, it steps and is ready again.
  it('answers /readyz 503 JOIN_STALLED while a worker with partitions assigned stops stepping, and 200 once it steps again', async () => {
    const settings = settingsFor('stall');
    // Above the session timeout (6 s), as the configuration requires; the transaction timeout
    // long enough that the coordinator does not abort the held transaction meanwhile.
    Object.assign(settings['kafka'] as Record<string, unknown>, { joinStallMs: 7000, produceTimeoutMs: 30_000 });
    const config = parsed(settings);
    const kafka = kafkaOf(config);
    let holding = false;
    let held = false;
    let release = (): void => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const worker = await JoinWorker.open(config, kafka, async ({ step }) => {
      if (!holding || step !== 'commit') return;
      held = true;
      await released;
    });
    const app = buildKafkaApp({ config, producer: null, join: worker, defaultMetrics: false });
    const producer = await LegProducer.open(kafka, WINDOW_MS);
    const readyz = async (): Promise<{ status: number; body: { error?: { code: string; message: string } } }> => {
      const response = await app.inject('/readyz');
      return { status: response.statusCode, body: response.json() };
    };
    const stepAge = async (): Promise<number> => {
      const text = (await app.inject('/metrics')).body;
      return Number(/^shadowdiff_collector_kafka_join_last_step_age_seconds (\S+)$/m.exec(text)?.[1]);
    };
    try {
      await worker.start(QUIET);
      await waitUntil('the worker to own every partition', () => (worker.partitions.length === PARTITIONS ? true : undefined), {
        timeoutMs: 60_000,
      });
      await waitUntil('/readyz to answer 200', async () => ((await readyz()).status === 200 ? true : undefined), { timeoutMs: 30_000 });
      holding = true;
      const traffic = new Traffic('stall');
      await producer.produce([...traffic.legs(20), ...traffic.flush()], Date.now());
      await waitUntil('a commit held', () => (held ? true : undefined), { timeoutMs: 30_000 });
      const stalled = await waitUntil(
        '/readyz to answer 503',
        async () => {
          const answer = await readyz();
          return answer.status === 503 ? answer : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(stalled.body.error?.code).toBe('JOIN_STALLED');
      expect(stalled.body.error?.message).toMatch(
        /^the join worker has not stepped for \d+\.\d s with legs partitions \[0, 1, 2, 3\] assigned \(kafka\.joinStallMs: 7000 ms\)/,
      );
      // Kafka itself answers: the worker's health says nothing of the stall.
      expect(worker.status().healthy).toBe(true);
      expect(await stepAge()).toBeGreaterThan(7);

      holding = false;
      release();
      await untilJudged(broker.bootstrap, kafka, traffic.ids, 60_000);
      await waitUntil('/readyz to answer 200 again', async () => ((await readyz()).status === 200 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      expect(await stepAge()).toBeLessThanOrEqual(7);
      await sleep(2 * WINDOW_MS);
      await worker.close();
      expectModelVerdicts(config, await readTopics(broker.bootstrap, kafka), traffic.ids);
    } finally {
      release();
      await producer.close();
      await worker.close();
      await app.close();
    }
  }, 120_000);

  // The race a previous owner's late write could win before transactions: a worker stalls in the
  // middle of a step while the group moves some of its partitions to another worker, which takes
  // them (fencing it) and judges their legs again. Released, the stalled worker's sends or commit
  // on those partitions are refused, and what it sent before is aborted: one verdict per id. The
  // stall is the worker's documented test seam (TransactionHold), after its ownership check.
  it.each(['send', 'commit'] as const)(
    'fences a worker that stalls before its transactions’ %s while its partitions move: its late writes are refused, every id judged once',
    async (step) => {
      const settings = settingsFor(`zombie-${step}`);
      // The client takes its request timeout as the transaction timeout: long enough here that the
      // coordinator cannot abort the stalled worker's transactions on its own before the takeover does.
      (settings['kafka'] as Record<string, unknown>)['produceTimeoutMs'] = 30_000;
      const config = parsed(settings);
      const kafka = kafkaOf(config);
      const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-join-'));
      const legs = await LegProducer.open(kafka, WINDOW_MS);
      const held = new Set<number>();
      // Every write the stalled worker's transactions reached (partition, epoch), in order, and when it was released.
      const writes: string[] = [];
      let releasedAt = -1;
      let holding = true;
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const stalled = await JoinWorker.open(config, kafka, async (write) => {
        writes.push(`${write.partition}@${write.epoch}`);
        if (!holding || write.step !== step) return;
        held.add(write.partition);
        await released;
      });
      let fenced = 0;
      stalled.onStep({ fenced: (transactions) => (fenced += transactions) });
      const errors: string[] = [];
      const warnings: string[] = [];
      const log = {
        info: () => {},
        warn: (_: object, message: string) => warnings.push(message),
        error: (_: object, message: string) => errors.push(message),
      };
      let other: CollectorProcess | null = null;
      try {
        const traffic = new Traffic(`zombie-${step}`);
        // Every partition's legs on the topic before the worker starts, so that its first step holds a transaction on each.
        await legs.produce([...traffic.legs(40), ...traffic.flush()], Date.now());
        await stalled.start(log);
        await waitUntil(`a ${step} held on every partition`, () => (held.size === PARTITIONS ? true : undefined), { timeoutMs: 60_000 });

        other = await startCollectorProcess(dir, settings);
        // Once it owns partitions it has taken their transactional ids and read them back.
        await untilMetric(other.url, PARTITIONS_OWNED, (owned) => owned > 0);
        holding = false;
        releasedAt = writes.length;
        const heldWrites = new Set(writes);
        release();
        await waitUntil('the stalled worker’s late transactions to be refused', () => (fenced > 0 ? true : undefined), {
          timeoutMs: 30_000,
        });
        await waitUntil(
          'the two workers to share the partitions',
          async () => (stalled.partitions.length + (await metricOf(other!.url, PARTITIONS_OWNED)) === PARTITIONS ? true : undefined),
          { timeoutMs: 60_000, intervalMs: 500 },
        );
        await legs.produce([...traffic.legs(40), ...traffic.flush()], Date.now());
        await untilJudged(broker.bootstrap, kafka, traffic.ids, 60_000);
        await sleep(2 * WINDOW_MS);
        await stalled.close();
        expect(await other.stop('SIGTERM')).toBe(0);
        expectModelVerdicts(config, await readTopics(broker.bootstrap, kafka), traffic.ids);
        // Released, its held transactions were refused as fenced (on the partitions that moved) or
        // went through: no other failure, and no write under a held epoch after them (each partition
        // taken again under a new one), so nothing of the fenced step was retried.
        expect(errors).toEqual([]);
        expect(warnings.some((message) => message.includes('another worker took a partition'))).toBe(true);
        expect(writes.slice(releasedAt).filter((write) => heldWrites.has(write))).toEqual([]);
        // The report role's reader sees what a read_committed read of the log does, nothing more.
        const committed = await readTopic(broker.bootstrap, kafka.topics.verdicts);
        expect((await readAsReport(kafka, committed.length)).sort()).toEqual(positionsOf(committed));
        if (step === 'commit') {
          // Its sends had landed before the takeover: they are in the log, aborted, and no reader saw them.
          const judged = new Map<string, number>();
          for (const { key } of await readTopic(broker.bootstrap, kafka.topics.verdicts, false)) {
            if (!isTally(key)) judged.set(key.toString('utf8'), (judged.get(key.toString('utf8')) ?? 0) + 1);
          }
          expect(
            [...judged.values()].some((count) => count > 1),
            'an id with an aborted verdict in the log',
          ).toBe(true);
        }
      } finally {
        release();
        await other?.stop('SIGKILL').catch(() => {});
        await stalled.close();
        await legs.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );

  // What the end-of-partition check used to catch, now by fencing: a previous owner of the
  // partition (every writer of the verdicts topic holds the partition's transactional id) that
  // had judged the id and whose write lands after the new owner took over. Its open transaction
  // is aborted by the takeover, its later send and commit refused; the id is judged once, from
  // its legs, and the stale verdict is in the log but read by no one.
  it('aborts a previous owner’s open transaction when it takes the partition, and refuses its late send and commit: the id judged once', async () => {
    const settings = settingsFor('foreign');
    const config = parsed(settings);
    const kafka = kafkaOf(config);
    await ensureLegsTopic(kafka, WINDOW_MS);
    await ensureVerdictsTopic(kafka);
    const legs = await LegProducer.open(kafka, WINDOW_MS);
    let previous: Producer<Buffer, Buffer, Buffer, Buffer> | null = null;
    let server: RunningServer | null = null;
    try {
      const [primary, shadow] = [record('primary', { id: 'zombie-1' }), record('shadow', { id: 'zombie-1' })];
      await legs.produce([primary], Date.now());
      const [leg] = (await readTopic(broker.bootstrap, kafka.topics.legs)).filter((r) => r.key.toString('utf8') === 'zombie-1');
      const partition = leg!.partition;
      // The previous owner judged the id shadow_missing, its transaction still open when the partition moved.
      previous = idempotentProducer(kafka, transactionalIdOf(kafka, partition));
      const open = await previous.beginTransaction();
      const stale = () => ({
        topic: kafka.topics.verdicts,
        partition,
        ...encodeVerdict(pairViewOf({ kind: 'missing', route: '/orders/{id}', record: primary, outcome: 'shadow_missing' }, Date.now()), {
          partition,
          offset: leg!.offset,
        }),
      });
      await open.send({ messages: [stale()] });

      server = await startServer(config);
      await untilMetric(server.url, PARTITIONS_OWNED, (owned) => owned === PARTITIONS);
      const refused = async (write: Promise<unknown>): Promise<unknown> =>
        write.then(
          () => new Error('accepted'),
          (error: unknown) => error,
        );
      const lateSend = await refused(open.send({ messages: [stale()] }));
      expect(isFenced(lateSend), `the late send refused as fenced: ${kafkaErrorMessage(lateSend)}`).toBe(true);
      const lateCommit = await refused(open.commit());
      expect(isFenced(lateCommit), `the late commit refused as fenced: ${kafkaErrorMessage(lateCommit)}`).toBe(true);

      await legs.produce([shadow], Date.now());
      await untilJudged(broker.bootstrap, kafka, ['zombie-1'], 60_000);
      await sleep(2 * WINDOW_MS);
      const read = await readTopics(broker.bootstrap, kafka);
      expect(read.verdicts.map((verdict) => [verdict.pair.id, verdict.pair.state])).toEqual([['zombie-1', 'paired']]);
      expect(
        read.tallies.reduce(
          (sum, tally) => sum + tally.late.primary + tally.late.shadow + tally.duplicates.primary + tally.duplicates.shadow,
          0,
        ),
      ).toBe(0);
      // The stale verdict is in the log, aborted.
      const logged = (await readTopic(broker.bootstrap, kafka.topics.verdicts, false)).filter((r) => !isTally(r.key));
      expect(logged.length).toBe(2);
      const committed = await readTopic(broker.bootstrap, kafka.topics.verdicts);
      expect((await readAsReport(kafka, committed.length)).sort()).toEqual(positionsOf(committed));
    } finally {
      if (previous !== null) await new Promise<void>((resolve) => previous!.close(true, () => resolve()));
      await legs.close();
      await server?.close();
    }
  }, 120_000);

  it('creates the verdicts topic with the legs topic’s partitions, and refuses an existing one that differs, naming the setting', async () => {
    const settings = settingsFor('topics');
    const config = parsed(settings);
    const kafka = kafkaOf(config);
    const admin = new Admin({ clientId: 'join-test', bootstrapBrokers: [broker.bootstrap] });
    try {
      const server = await startServer(config);
      await server.close();
      const metadata = await admin.metadata({ topics: [kafka.topics.legs, kafka.topics.verdicts] });
      expect(metadata.topics.get(kafka.topics.verdicts)?.partitionsCount).toBe(PARTITIONS);

      const other = `verdicts-two-${process.pid}-${suite}`;
      await admin.createTopics({ topics: [other], partitions: 2, replicas: 1 });
      const mismatched = parsed({
        ...settings,
        kafka: { ...(settings['kafka'] as object), topics: { legs: kafka.topics.legs, verdicts: other } },
      });
      const refused = await startServer(mismatched).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StartupError);
      expect((refused as StartupError).message).toMatch(
        new RegExp(
          `^kafka\\.topics\\.verdicts: the existing topic "${other}" has 2 partitions and the legs topic "${kafka.topics.legs}" 4`,
        ),
      );
    } finally {
      await admin.close();
    }
  }, 120_000);
});
