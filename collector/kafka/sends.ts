// How Kafka mode's producers (ingest's legs, the join's verdicts) send: an idempotent producer
// acknowledged by every in-sync replica (transactional for the join), the client's own retries
// inside a send, and sends cut under the brokers' message size, so both write the same way.

import { Producer, ProduceAcks } from '@platformatic/kafka';
import type { KafkaConfig } from '../configSchema.js';

/** At most this many key and value bytes in one send: under the brokers' default message.max.bytes (1 MiB) for any partition's share. */
export const MAX_SEND_BYTES = 768 * 1024;
/** The client's own retries inside one send (idempotent: the same sequence numbers each time). */
export const SEND_RETRIES = 3;
export const SEND_RETRY_DELAY_MS = 100;

/**
 * A transaction begun right after the previous one's commit finds the coordinator still writing
 * its markers (CONCURRENT_TRANSACTIONS, retriable): retried sooner and more often than a send, as
 * the Java client does, in about the same time overall.
 */
const TRANSACTION_RETRIES = 15;
const TRANSACTION_RETRY_DELAY_MS = 20;

/**
 * A producer whose sends Kafka acknowledges once every in-sync replica has them, written once per
 * sequence number; with a transactional id, its sends go in transactions under that id (the
 * client takes `timeout` as the transaction timeout too).
 */
export function idempotentProducer(kafka: KafkaConfig, transactionalId?: string): Producer<Buffer, Buffer, Buffer, Buffer> {
  const common = {
    clientId: kafka.clientId,
    bootstrapBrokers: kafka.brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    timeout: kafka.produceTimeoutMs,
    autocreateTopics: false,
  };
  if (transactionalId === undefined) return new Producer({ ...common, retries: SEND_RETRIES, retryDelay: SEND_RETRY_DELAY_MS });
  return new Producer({
    ...common,
    transactionalId,
    retries: TRANSACTION_RETRIES,
    retryDelay: TRANSACTION_RETRY_DELAY_MS,
    // InitProducerId's "no producer id yet". The client (1.35.0) sends producer id 0, epoch 0 by
    // default, which the coordinator takes as a claim to be producer 0: for an id held by any other
    // producer id it answers PRODUCER_FENCED to the new owner instead of fencing the old one.
    producerId: -1n,
    producerEpoch: -1,
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
