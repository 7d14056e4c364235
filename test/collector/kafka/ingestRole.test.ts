// Kafka mode's ingest role against a real broker (devkit/kafkaBroker.ts): every accepted leg is
// on the legs topic keyed by correlation id, decodable and valid as a future join worker reads
// it, both legs of a request in one partition; the answer is 200 only once Kafka acknowledged
// the batch, 503 KAFKA_UNAVAILABLE (which the filter counts as a failed export) while the broker
// is gone, and /readyz says so. Validation, authentication and errors are the embedded
// collector's own route.

import { readFileSync } from 'node:fs';
import { Consumer } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../devkit/freePort.js';
import { waitUntil } from '../../../devkit/waitUntil.js';
import { suiteKafkaBroker } from './suiteBroker.js';
import { parseConfig } from '../../../collector/config.js';
import { startServer, type RunningServer } from '../../../collector/http/server.js';
import { WireValidator } from '../../../collector/ingest/wireValidator.js';
import { decodeLeg, type LegRecord } from '../../../collector/kafka/legRecord.js';
import { MAX_SEND_BYTES } from '../../../collector/kafka/sends.js';
import type { DigestRecord } from '../../../collector/types.js';
import { StartupError } from '../../../collector/http/startupError.js';
import { batch, legs } from '../fixtures.js';

const broker = suiteKafkaBroker();
let topicCount = 0;

interface Started {
  server: RunningServer;
  topic: string;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** An ingest-role collector on a fresh legs topic of 4 partitions, on the real server path. */
async function startIngest(overrides: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<Started> {
  topicCount += 1;
  const topic = `legs-${process.pid}-${topicCount}`;
  const config = parseConfig({
    listen: { port: 0 },
    logLevel: 'silent',
    ...top,
    kafka: { brokers: [broker.bootstrap], roles: ['ingest'], topics: { legs: topic }, partitions: 4, replicationFactor: 1, ...overrides },
  });
  const server = await startServer(config);
  return {
    server,
    topic,
    post: async (body, headers = {}) => {
      const response = await fetch(`${server.url}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

interface Consumed {
  key: string;
  partition: number;
  leg: LegRecord;
}

/** Every record of the topic, read from the start by a consumer group of its own, decoded as a join worker would. */
async function readTopic(topic: string, expected: number): Promise<Consumed[]> {
  const consumer = new Consumer({
    clientId: 'ingest-test',
    groupId: `ingest-test-${topic}-${Date.now()}`,
    bootstrapBrokers: [broker.bootstrap],
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
    const consumed: Consumed[] = [];
    for await (const message of stream) {
      consumed.push({ key: String(message.key), partition: message.partition, leg: decodeLeg(message.key, message.value) });
      if (consumed.length === expected) break;
    }
    await stream.close();
    return consumed;
  } finally {
    await consumer.close(true);
  }
}

const readExample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../collector/examples/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('Kafka ingest role', () => {
  it('produces every accepted leg of wire v1 and v2 batches keyed by correlation id, as the wire validator decodes them', async () => {
    const ingest = await startIngest();
    try {
      const v1 = readExample('batch.json');
      const v2 = readExample('batch-v2.json');
      const validator = new WireValidator();
      const verdicts = [validator.check(v1), validator.check(v2)];
      const expected = verdicts.flatMap((verdict) => verdict.records);
      const answers = [await ingest.post(v1), await ingest.post(v2)];
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      const accepted = answers.reduce((sum, answer) => sum + Number(answer.body['accepted']), 0);
      const rejected = answers.reduce((sum, answer) => sum + Number(answer.body['rejectedRecords']), 0);
      expect(accepted).toBe(expected.length);
      const consumed = await readTopic(ingest.topic, expected.length);
      for (const { key, leg } of consumed) {
        expect(key).toBe(leg.record.id);
        expect(leg.v).toBe(1);
        expect(leg.arrivedUnixMs).toBeGreaterThan(0);
      }
      const byLeg = (records: Array<{ id: string; leg: string }>): string[] => records.map((r) => `${r.id}/${r.leg}`).sort();
      expect(byLeg(consumed.map((c) => c.leg.record))).toEqual(byLeg(expected));
      // The record on the topic is the decoded one: a v2 leg reads as its v1 spelling would.
      const key = (r: { id: string; leg: string }): string => `${r.id}/${r.leg}`;
      const onTopic = new Map(consumed.map((c) => [key(c.leg.record), c.leg.record]));
      for (const record of validator.check(v2).records) expect(onTopic.get(key(record))).toEqual(record);
      expect(rejected).toBe(verdicts.reduce((sum, verdict) => sum + verdict.rejectedRecords, 0));
      const metrics = await (await fetch(`${ingest.server.url}/metrics`)).text();
      expect(metrics).toMatch(/shadowdiff_collector_records_received_total\{leg="primary"\} [1-9]/);
      expect(metrics).toContain('shadowdiff_collector_kafka_healthy 1');
      expect(metrics).toContain(`shadowdiff_collector_kafka_legs_total{result="acknowledged"} ${expected.length}`);
      expect(metrics).toMatch(/shadowdiff_collector_kafka_send_seconds_count\{result="acknowledged"\} [1-9]/);
    } finally {
      await ingest.server.close();
    }
  });

  it('puts both legs of a request in one partition, whichever batch each came in', async () => {
    const ingest = await startIngest();
    try {
      const pairs = Array.from({ length: 40 }, (_, i) => legs(`pair-${i}-${'x'.repeat(i % 7)}`));
      // Primaries in one batch, shadows in others, as two filters' batches would arrive.
      expect((await ingest.post(batch(pairs.map(([primary]) => primary as DigestRecord)))).status).toBe(200);
      for (let i = 0; i < pairs.length; i += 10) {
        expect((await ingest.post(batch(pairs.slice(i, i + 10).map(([, shadow]) => shadow as DigestRecord)))).status).toBe(200);
      }
      const consumed = await readTopic(ingest.topic, 80);
      const partitionsOf = new Map<string, Set<number>>();
      for (const { key, partition } of consumed) partitionsOf.set(key, (partitionsOf.get(key) ?? new Set()).add(partition));
      expect(partitionsOf.size).toBe(40);
      for (const [id, partitions] of partitionsOf) expect([id, partitions.size]).toEqual([id, 1]);
      // Not vacuous: the ids spread over the topic's partitions.
      expect(new Set(consumed.map((c) => c.partition)).size).toBeGreaterThan(1);
    } finally {
      await ingest.server.close();
    }
  });

  it('acknowledges concurrent batches only with every record on the topic once (one send in flight, gathered)', async () => {
    const ingest = await startIngest();
    try {
      // Concurrent sends on one idempotent producer of this client reuse sequence numbers, and the
      // broker drops or refuses records; gathered into one send at a time, every record lands once.
      const batches = Array.from({ length: 20 }, (_, b) =>
        batch(Array.from({ length: 25 }, (_, i) => legs(`concurrent-${b}-${i}`)).flat() as DigestRecord[]),
      );
      const answers = await Promise.all(batches.map((body) => ingest.post(body)));
      expect(answers.map((answer) => answer.status)).toEqual(batches.map(() => 200));
      expect(answers.reduce((sum, answer) => sum + Number(answer.body['accepted']), 0)).toBe(1000);
      const consumed = await readTopic(ingest.topic, 1000);
      expect(new Set(consumed.map((c) => `${c.leg.record.id}/${c.leg.record.leg}`)).size).toBe(1000);
    } finally {
      await ingest.server.close();
    }
  });

  it('acknowledges a batch larger than one send may carry, every record on the topic (a one-partition topic: over the broker’s 1 MiB record batch limit)', async () => {
    const ingest = await startIngest({ partitions: 1 });
    try {
      const fields = Object.fromEntries(
        Array.from({ length: 400 }, (_, i) => [`$.items[${i}].price`, (i * 2654435761).toString(16).padStart(8, '0').slice(-8)]),
      );
      const records = Array.from({ length: 120 }, (_, i) => legs(`large-${i}`, {}, { fields })).flat() as DigestRecord[];
      const body = batch(records);
      expect(JSON.stringify(body).length).toBeGreaterThan(2 * MAX_SEND_BYTES);
      const answer = await ingest.post(body);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ accepted: 240, rejectedRecords: 0 });
      const consumed = await readTopic(ingest.topic, 240);
      expect(new Set(consumed.map((c) => `${c.leg.record.id}/${c.leg.record.leg}`)).size).toBe(240);
      expect(consumed[0]?.leg.record.fields).toEqual(fields);
    } finally {
      await ingest.server.close();
    }
  });

  it('validates and authenticates with the embedded route: bad records are reported and not produced, a bad batch produces nothing', async () => {
    const ingest = await startIngest({}, { token: 'ingest-secret' });
    const auth = { authorization: 'Bearer ingest-secret' };
    try {
      const [primary, shadow] = legs('valid-1');
      expect((await ingest.post(batch([primary as DigestRecord]))).body).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      const partial = await ingest.post(batch([primary as DigestRecord, { ...(shadow as DigestRecord), status: 5000 }]), auth);
      expect(partial.status).toBe(200);
      expect(partial.body).toMatchObject({ accepted: 1, rejectedRecords: 1, rejected: [{ index: 1, id: 'valid-1', field: 'status' }] });
      const invalid = await ingest.post({ v: 1, source: 'edge', sentUnixMs: 1, records: [{ id: 'bad' }] }, auth);
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({ error: { code: 'BATCH_INVALID' } });
      expect((await ingest.post(batch([shadow as DigestRecord]), auth)).status).toBe(200);
      const consumed = await readTopic(ingest.topic, 2);
      expect(consumed.map((c) => `${c.leg.record.id}/${c.leg.record.leg}`).sort()).toEqual(['valid-1/primary', 'valid-1/shadow']);
      expect(consumed.find((c) => c.leg.record.leg === 'primary')?.leg.record).toEqual(primary);
    } finally {
      await ingest.server.close();
    }
  });

  it('answers 503 KAFKA_UNAVAILABLE while the broker is gone and /readyz says so; serves again once it is back', async () => {
    const ingest = await startIngest({ produceTimeoutMs: 1000 });
    try {
      const ready = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
        const response = await fetch(`${ingest.server.url}/readyz`);
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      expect((await ready()).status).toBe(200);
      expect((await ingest.post(batch(legs('before-1') as DigestRecord[]))).status).toBe(200);

      await broker.halt();
      const lost = await ingest.post(batch(legs('during-1') as DigestRecord[]));
      expect(lost.status).toBe(503);
      expect(lost.body).toMatchObject({ error: { code: 'KAFKA_UNAVAILABLE' } });
      expect(String((lost.body['error'] as Record<string, unknown>)['message'])).toMatch(
        /^Kafka did not acknowledge every record of the batch/,
      );
      const unready = await waitUntil('/readyz to turn 503', async () => {
        const answer = await ready();
        return answer.status === 503 ? answer : undefined;
      });
      expect(unready.body).toMatchObject({ error: { code: 'KAFKA_UNAVAILABLE' } });
      const metrics = await (await fetch(`${ingest.server.url}/metrics`)).text();
      expect(metrics).toMatch(/shadowdiff_collector_rejects_total\{code="KAFKA_UNAVAILABLE"\} [1-9]/);
      expect(metrics).toContain('shadowdiff_collector_kafka_healthy 0');
      expect(metrics).toMatch(/shadowdiff_collector_kafka_legs_total\{result="failed"\} [1-9]/);

      await broker.resume();
      await waitUntil('/readyz to turn 200 again', async () => ((await ready()).status === 200 ? true : undefined), { timeoutMs: 60_000 });
      const after = await waitUntil(
        'a batch to be acknowledged again',
        async () => {
          const answer = await ingest.post(batch(legs('after-1') as DigestRecord[]));
          return answer.status === 200 ? answer : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(after.body).toMatchObject({ accepted: 2 });
      const ids = new Set((await readTopic(ingest.topic, 4)).map((c) => c.leg.record.id));
      expect(ids.has('before-1')).toBe(true);
      expect(ids.has('after-1')).toBe(true);
    } finally {
      await ingest.server.close();
    }
  });

  it('refuses to start, naming the setting, when Kafka cannot create the legs topic, its retention is shorter than the window, or it cannot be reached', async () => {
    const refused = await startIngest({ replicationFactor: 3 }).then(
      async (started) => {
        await started.server.close();
        return null;
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(StartupError);
    expect((refused as StartupError).setting).toBe('kafka.replicationFactor');
    expect((refused as StartupError).message).toMatch(/^kafka\.replicationFactor: Kafka cannot create legs-\d+-\d+ with 3 replicas: /);

    // An existing legs topic that would delete legs before their window closes.
    const short = await startIngest({ legsRetentionMs: 40_000 }, { join: { windowMs: 30_000 } });
    await short.server.close();
    const tooShort = await startServer(
      parseConfig({
        listen: { port: 0 },
        logLevel: 'silent',
        join: { windowMs: 60_000 },
        kafka: { brokers: [broker.bootstrap], roles: ['ingest'], topics: { legs: short.topic }, replicationFactor: 1 },
      }),
    ).then(
      async (server) => {
        await server.close();
        return null;
      },
      (error: unknown) => error,
    );
    expect(tooShort).toBeInstanceOf(StartupError);
    expect((tooShort as StartupError).message).toBe(
      `kafka.topics.legs: the existing topic "${short.topic}" keeps legs for 40000 ms (its retention.ms), which does not exceed join.windowMs (60000 ms): raise its retention.ms or name another topic`,
    );

    const nowhere = `127.0.0.1:${await freePort()}`;
    const unreachable = await startServer(
      parseConfig({ listen: { port: 0 }, logLevel: 'silent', kafka: { brokers: [nowhere], roles: ['ingest'], produceTimeoutMs: 200 } }),
    ).then(
      async (server) => {
        await server.close();
        return null;
      },
      (error: unknown) => error,
    );
    expect(unreachable).toBeInstanceOf(StartupError);
    expect((unreachable as StartupError).message).toContain(`kafka.brokers: cannot create or find the legs topic on ${nowhere}: `);
  });
});
