// The report role's reader of the verdicts topic against a real broker (devkit/kafkaBroker.ts):
// it sees what the join role's transactions committed and nothing of what they aborted, also
// when one partition producer aborted several times in what one fetch answers (a worker fenced,
// then a failed step), which the Kafka client's own read_committed filter lets through.

import { Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../collector/config.js';
import type { KafkaConfig } from '../../../collector/configSchema.js';
import { idempotentProducer } from '../../../collector/kafka/sends.js';
import { VerdictReader, type VerdictMessage } from '../../../collector/kafka/verdictReader.js';
import { waitUntil } from '../../../devkit/waitUntil.js';
import { suiteKafkaBroker } from './suiteBroker.js';

const broker = suiteKafkaBroker();

function kafkaConfig(topic: string): KafkaConfig {
  const config = parseConfig({
    listen: { port: 0 },
    logLevel: 'silent',
    kafka: {
      brokers: [broker.bootstrap],
      roles: ['report'],
      topics: { legs: `legs-${topic}`, verdicts: topic },
      partitions: 1,
      replicationFactor: 1,
    },
  });
  if (config.kafka === undefined) throw new Error('no kafka section parsed');
  return config.kafka;
}

describe('VerdictReader', () => {
  it('reads what transactions committed, never what one producer aborted, several aborts in one answer included', async () => {
    const topic = `verdicts-reader-${process.pid}`;
    const kafka = kafkaConfig(topic);
    const admin = new Admin({ clientId: 'verdict-reader-test', bootstrapBrokers: [broker.bootstrap] });
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    await admin.close();
    const producer = idempotentProducer(kafka, `${kafka.groupId}:${kafka.topics.legs}:0`);
    const committed: string[] = [];
    const transaction = async (keys: string[], commit: boolean): Promise<void> => {
      const open = await producer.beginTransaction();
      await open.send({ messages: keys.map((key) => ({ topic, partition: 0, key: Buffer.from(key), value: Buffer.from('v') })) });
      if (commit) {
        await open.commit();
        committed.push(...keys);
      } else await open.abort();
    };
    const read: VerdictMessage[] = [];
    const reader = new VerdictReader({
      config: kafka,
      positions: () => [],
      onMessage: (message) => read.push(message),
      onFailure: () => {},
    });
    try {
      // One producer id throughout, as a partition's transactional id keeps across owners.
      await transaction(['aborted-1', 'aborted-2'], false);
      await transaction(['committed-1'], true);
      await transaction(['aborted-3'], false);
      await transaction(['committed-2', 'committed-3'], true);
      await transaction(['aborted-4'], false);
      await transaction(['last'], true);
      reader.start();
      await waitUntil(
        'the reader to reach the last committed record',
        () => (read.some((m) => m.key?.toString() === 'last') ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      expect(read.map((message) => message.key?.toString())).toEqual(committed);
      // Offsets rise, markers and aborted records between them skipped.
      expect(read.map((message) => message.offset)).toEqual([...read.map((message) => message.offset)].sort((a, b) => a - b));
    } finally {
      await reader.close();
      await new Promise<void>((resolve) => producer.close(true, () => resolve()));
    }
  }, 60_000);
});
