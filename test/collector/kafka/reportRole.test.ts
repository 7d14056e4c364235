// Kafka mode's report role against a real broker (devkit/kafkaBroker.ts). The verdicts are made
// by an embedded Pipeline fed legs (every resolution it counts, as the pair view a join worker
// would produce, and per partition a tally of the legs), produced to a verdicts topic of 4
// partitions, and read by report instances on the real server path: their report is the
// embedded pipeline's (but `pending`, which only the join workers know), two instances give the
// same, one killed with SIGKILL and restarted on its store counts everything once, a repeated
// verdict is counted once, a record that is not a verdicts record is refused, counted and
// logged with its field, and the ingest role runs beside it in one process.

import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../../devkit/waitUntil.js';
import { suiteKafkaBroker } from './suiteBroker.js';
import { parseConfig } from '../../../collector/config.js';
import { startServer, type RunningServer } from '../../../collector/http/server.js';
import type { PairView, Report } from '../../../collector/report/reportSchema.js';
import { collectorDir, startCollectorProcess } from '../../reliability/collectorProcess.js';
import { batch, legs } from '../fixtures.js';
import { comparable } from './comparableReport.js';
import { judge, PARTITIONS, reportSeries, type Judged, type Message } from './judgedVerdicts.js';

const broker = suiteKafkaBroker();
let topicCount = 0;

async function newTopic(): Promise<string> {
  topicCount += 1;
  const topic = `verdicts-${process.pid}-${topicCount}`;
  const admin = new Admin({ clientId: 'report-test', bootstrapBrokers: [broker.bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  } finally {
    await admin.close();
  }
  return topic;
}

async function produce(topic: string, messages: readonly Message[]): Promise<void> {
  const producer = new Producer({ clientId: 'report-test', bootstrapBrokers: [broker.bootstrap], idempotent: true, acks: ProduceAcks.ALL });
  try {
    await producer.send({ messages: messages.map((message) => ({ topic, ...message })) });
  } finally {
    await producer.close();
  }
}

function kafkaSection(topic: string, roles = ['report']): Record<string, unknown> {
  return {
    brokers: [broker.bootstrap],
    roles,
    topics: { legs: `${topic}-legs`, verdicts: topic },
    partitions: PARTITIONS,
    replicationFactor: 1,
  };
}

/** A report instance in this process, memory only. */
async function startReport(topic: string, roles?: string[]): Promise<RunningServer> {
  return startServer(parseConfig({ listen: { port: 0 }, logLevel: 'silent', store: { path: '' }, kafka: kafkaSection(topic, roles) }));
}

/** Runs `use` against a report instance of its own (with `roles` beside it), closed after. */
async function withReport(topic: string, use: (report: RunningServer) => Promise<void>, roles?: string[]): Promise<void> {
  const report = await startReport(topic, roles);
  try {
    await use(report);
  } finally {
    await report.close();
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** The verdicts records the instance at `url` has read, by result (shadowdiff_collector_kafka_verdict_records_total). */
async function recordsRead(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read: Record<string, number> = {};
  for (const match of text.matchAll(/^shadowdiff_collector_kafka_verdict_records_total\{result="(\w+)"\} (\d+)$/gm))
    read[match[1]!] = Number(match[2]);
  return read;
}

const total = (read: Record<string, number>): number => Object.values(read).reduce((sum, n) => sum + n, 0);

/** Waits until the instance has read `count` records, then answers its report. */
async function reportAfter(url: string, count: number): Promise<Report> {
  await waitUntil(
    `${count} verdicts records read at ${url}`,
    async () => ((await total(await recordsRead(url))) >= count ? true : undefined),
    {
      timeoutMs: 60_000,
      intervalMs: 100,
    },
  );
  return getJson<Report>(`${url}/v1/report`);
}

/** Every example id in the report, with the field or header it illustrates. */
function examplesOf(report: Report): string[] {
  const ids: string[] = [];
  JSON.stringify(report, (key, value: unknown) => {
    if (key === 'examples' && Array.isArray(value)) ids.push(...(value as string[]));
    return value;
  });
  return ids;
}

function expectSameReport(got: Report, judged: Judged): void {
  expect(comparable(got)).toEqual(comparable(judged.model.report()));
  expect(examplesOf(got).length).toBeGreaterThan(0);
  for (const id of examplesOf(got)) expect(judged.divergedIds).toContain(id);
}

describe('Kafka report role', () => {
  it("reports the embedded pipeline's report for the same resolutions, pending left to the join workers", async () => {
    const topic = await newTopic();
    const judged = judge(24);
    await produce(topic, [...judged.tallies, ...judged.verdicts]);
    await withReport(topic, async (report) => {
      const got = await reportAfter(report.url, judged.tallies.length + judged.verdicts.length);
      expect(got.totals.pending).toBeNull();
      const model = judged.model.report();
      expect(model.totals.duplicates).toBe(2);
      expect(model.totals.late).toBe(2);
      expect(model.totals.coverage.shadowMissing).toBe(3);
      expectSameReport(got, judged);
      // A pair view is the verdict's.
      const view = JSON.parse(judged.verdicts[0]!.value.toString('utf8')).pair as PairView;
      expect(await getJson<PairView>(`${report.url}/v1/pairs/${view.id}`)).toEqual(view);
      const metrics = await (await fetch(`${report.url}/metrics`)).text();
      expect(metrics).toMatch(/^shadowdiff_collector_records_received_total\{leg="primary"\} 29$/m);
      // Per leg, as the embedded collector counts them: a duplicate and a late leg of each.
      for (const leg of ['primary', 'shadow'])
        for (const kind of ['duplicate', 'late'])
          expect(metrics).toMatch(new RegExp(`^shadowdiff_collector_records_${kind}_total\\{leg="${leg}"\\} 1$`, 'm'));
      expect(reportSeries(metrics)).toEqual(reportSeries(await judged.modelMetrics.registry.metrics()));
      expect(metrics).toMatch(/^shadowdiff_collector_kafka_report_reading 1$/m);
      expect(metrics).not.toMatch(/shadowdiff_collector_pending_joins/);
      expect(await recordsRead(report.url)).toEqual({ counted: judged.verdicts.length, repeated: 0, tally: PARTITIONS, refused: 0 });
    });
  });

  it('gives the same report from two instances reading one topic', async () => {
    const topic = await newTopic();
    const judged = judge(40);
    const half = Math.floor(judged.verdicts.length / 2);
    await produce(topic, [...judged.tallies, ...judged.verdicts.slice(0, half)]);
    const [a, b] = await Promise.all([startReport(topic), startReport(topic)]);
    try {
      // The second half while both read.
      await produce(topic, judged.verdicts.slice(half));
      const count = judged.tallies.length + judged.verdicts.length;
      const [fromA, fromB] = await Promise.all([reportAfter(a.url, count), reportAfter(b.url, count)]);
      // Examples, samples and latency intervals included: a function of the records, not of how the partitions interleaved.
      expect(comparable(fromA)).toEqual(comparable(fromB));
      expectSameReport(fromA, judged);
      expectSameReport(fromB, judged);
      const [seriesA, seriesB] = await Promise.all(
        [a, b].map(async (instance) => reportSeries(await (await fetch(`${instance.url}/metrics`)).text())),
      );
      expect(seriesA).toEqual(seriesB);
      for (const id of judged.ids)
        expect(await getJson<PairView>(`${a.url}/v1/pairs/${id}`)).toEqual(await getJson<PairView>(`${b.url}/v1/pairs/${id}`));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('counts a repeated verdict once, and refuses a record that is not a verdicts record, counting it', async () => {
    const topic = await newTopic();
    const judged = judge(6);
    const repeated = judged.verdicts[2]!;
    const pending = JSON.parse(judged.verdicts[3]!.value.toString('utf8')) as { pair: PairView };
    pending.pair = { ...pending.pair, state: 'pending' };
    const bad: Message[] = [
      { partition: 1, key: Buffer.from('x'), value: Buffer.from('{not json') },
      { partition: 2, key: judged.verdicts[3]!.key, value: Buffer.from(JSON.stringify(pending)) },
      { partition: 3, key: Buffer.from('someone-else'), value: judged.verdicts[4]!.value },
    ];
    await produce(topic, [...judged.tallies, ...judged.verdicts, ...bad, repeated]);
    await withReport(topic, async (report) => {
      const got = await reportAfter(report.url, judged.tallies.length + judged.verdicts.length + bad.length + 1);
      expectSameReport(got, judged);
      expect(await recordsRead(report.url)).toEqual({ counted: judged.verdicts.length, repeated: 1, tally: PARTITIONS, refused: 3 });
    });
  });

  it('counts everything exactly once when killed with SIGKILL and restarted on its store', async () => {
    const topic = await newTopic();
    const judged = judge(60);
    const [first, second, third] = [judged.verdicts.slice(0, 40), judged.verdicts.slice(40, 80), judged.verdicts.slice(80)];
    const bad: Message = { partition: 0, key: judged.verdicts[0]!.key, value: Buffer.from('{"v":1,"kind":"verdict"}') };
    const scratch = await collectorDir();
    // Checkpointed only at start-up and at a graceful stop: what a SIGKILLed run counted is surely not in the store.
    const configOf = { logLevel: 'info', store: { path: scratch.storePath, snapshotIntervalMs: 3_600_000 }, kafka: kafkaSection(topic) };
    const read = judged.tallies.length + first.length + 1;
    try {
      await produce(topic, [...judged.tallies, ...first, bad]);
      let collector = await startCollectorProcess(scratch.dir, configOf);
      await reportAfter(collector.url, read);
      expect(await recordsRead(collector.url)).toEqual({ counted: first.length, repeated: 0, tally: PARTITIONS, refused: 1 });
      expect(collector.output()).toMatch(/"field":"[^"]+".*verdicts record refused, not counted/);
      expect(await collector.stop('SIGTERM')).toBe(0);

      // Restored (and checkpointed at once), it counts the second verdicts and dies before another checkpoint.
      collector = await startCollectorProcess(scratch.dir, configOf);
      await produce(topic, second);
      await reportAfter(collector.url, second.length);
      expect(await recordsRead(collector.url)).toEqual({ counted: second.length, repeated: 0, tally: 0, refused: 0 });
      expect(await collector.stop('SIGKILL')).toBeNull();

      // Restored from the same checkpoint: the second verdicts are read again, nothing before them.
      collector = await startCollectorProcess(scratch.dir, configOf);
      try {
        await produce(topic, third);
        const got = await reportAfter(collector.url, second.length + third.length);
        expectSameReport(got, judged);
        expect(await recordsRead(collector.url)).toEqual({ counted: second.length + third.length, repeated: 0, tally: 0, refused: 0 });
      } finally {
        await collector.stop('SIGTERM');
      }
    } finally {
      await scratch.remove();
    }
  });

  it('runs ingest and report in one process: batches go to the legs topic, the report reads the verdicts', async () => {
    const topic = await newTopic();
    const judged = judge(4);
    await produce(topic, [...judged.tallies, ...judged.verdicts]);
    await withReport(
      topic,
      async (both) => {
        const answer = await fetch(`${both.url}/v1/batches`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch([...legs('fresh-1')])),
        });
        expect(answer.status).toBe(200);
        // Produced, not joined here: the report counts only the verdicts.
        expectSameReport(await reportAfter(both.url, judged.tallies.length + judged.verdicts.length), judged);
        expect(await (await fetch(`${both.url}/metrics`)).text()).toMatch(
          /^shadowdiff_collector_kafka_legs_total\{result="acknowledged"\} 2$/m,
        );
        expect((await fetch(`${both.url}/readyz`)).status).toBe(200);
      },
      ['ingest', 'report'],
    );
  });
});
