// How Kafka mode's two producers (ingest's legs, the join's verdicts) send: an idempotent
// producer acknowledged by every in-sync replica, the client's own retries inside a send, and
// sends cut under the brokers' message size, so both write the same way.

import { Producer, ProduceAcks } from '@platformatic/kafka';
import type { KafkaConfig } from '../configSchema.js';

/** At most this many key and value bytes in one send: under the brokers' default message.max.bytes (1 MiB) for any partition's share. */
export const MAX_SEND_BYTES = 768 * 1024;
/** The client's own retries inside one send (idempotent: the same sequence numbers each time). */
export const SEND_RETRIES = 3;
export const SEND_RETRY_DELAY_MS = 100;

/** A producer whose sends Kafka acknowledges once every in-sync replica has them, written once per sequence number. */
export function idempotentProducer(kafka: KafkaConfig): Producer<Buffer, Buffer, Buffer, Buffer> {
  return new Producer({
    clientId: kafka.clientId,
    bootstrapBrokers: kafka.brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    retries: SEND_RETRIES,
    retryDelay: SEND_RETRY_DELAY_MS,
    timeout: kafka.produceTimeoutMs,
    autocreateTopics: false,
  });
}

/** Consecutive messages in sends of at most MAX_SEND_BYTES of keys and values (one message over it is a send of its own). */
export function* inSends<M extends { key: Buffer; value: Buffer }>(messages: Iterable<M>): Generator<{ messages: M[]; bytes: number }> {
  let send: { messages: M[]; bytes: number } = { messages: [], bytes: 0 };
  for (const message of messages) {
    const size = message.key.length + message.value.length;
    if (send.messages.length > 0 && send.bytes + size > MAX_SEND_BYTES) {
      yield send;
      send = { messages: [], bytes: 0 };
    }
    send.messages.push(message);
    send.bytes += size;
  }
  if (send.messages.length > 0) yield send;
}
