// The devkit's Kafka broker is what the Kafka-mode suites stand on: it must serve a real client,
// keep its data across halt() and resume() (a broker restart), refuse connections while halted,
// and leave nothing running or on disk after stop().

import { connect } from 'node:net';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClusterId, startKafkaBroker, type KafkaBroker } from '../../devkit/kafkaBroker.js';

let broker: KafkaBroker;

beforeAll(async () => {
  broker = await startKafkaBroker();
});

afterAll(async () => {
  await broker?.stop();
});

function refusesConnections(bootstrap: string): Promise<boolean> {
  const [host = '', port = ''] = bootstrap.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function readAll(topic: string, expected: number): Promise<string[]> {
  const consumer = new Consumer({
    clientId: 'devkit-test',
    groupId: `devkit-test-${Date.now()}-${Math.random()}`,
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
    const values: string[] = [];
    for await (const message of stream) {
      values.push(`${message.key}=${message.value}`);
      if (values.length === expected) break;
    }
    await stream.close();
    return values;
  } finally {
    await consumer.close(true);
  }
}

describe('devkit Kafka broker', () => {
  it('serves an idempotent producer and a consumer group, and keeps the data across halt() and resume()', async () => {
    const admin = new Admin({ clientId: 'devkit-test', bootstrapBrokers: [broker.bootstrap] });
    await admin.createTopics({ topics: ['devkit'], partitions: 2, replicas: 1 });
    await admin.close();
    const producer = new Producer({
      clientId: 'devkit-test',
      bootstrapBrokers: [broker.bootstrap],
      idempotent: true,
      serializers: stringSerializers,
    });
    await producer.send({
      messages: [
        { topic: 'devkit', key: 'a', value: 'one' },
        { topic: 'devkit', key: 'b', value: 'two' },
      ],
    });
    await producer.close();
    expect((await readAll('devkit', 2)).sort()).toEqual(['a=one', 'b=two']);

    const pid = broker.pid();
    await broker.halt();
    expect(broker.pid()).toBeUndefined();
    expect(await refusesConnections(broker.bootstrap)).toBe(true);
    await broker.resume();
    expect(broker.pid()).not.toBe(pid);
    expect((await readAll('devkit', 2)).sort()).toEqual(['a=one', 'b=two']);
  });
});

describe('kafkaClusterId', () => {
  it('never starts with "-", which StorageTool would take for an option (1 draw in 64 did)', () => {
    const ids = Array.from({ length: 20_000 }, kafkaClusterId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids.slice(0, 100)) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });
});
