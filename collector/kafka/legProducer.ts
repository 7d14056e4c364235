// Produces accepted legs to the legs topic, keyed by correlation id, with an idempotent producer
// and acks=all, and says when Kafka has acknowledged them. The ingest role answers a batch 200
// only once `produce()` resolved for it.
//
// One send in flight per producer: the client numbers an idempotent producer's records when it
// encodes a send and counts them when the broker answers, so two concurrent sends would reuse
// sequence numbers (refused as out of order, or dropped as duplicates while both succeed). The
// batches that arrive while a send runs go out together in the next one (a group commit), which
// is also what makes sends large under load, up to MAX_SEND_BYTES: Kafka refuses a partition's
// record batch over the broker's message.max.bytes (1 MiB by default), so a send never carries
// more than that in all (a large HTTP batch goes out in several sends, and is answered once all
// of them are acknowledged). A send that fails or outlives `produceTimeoutMs`
// fails every batch in it, and the producer is replaced: its successor has a new producer id, so
// no sequence number of the failed send can clash with what comes after. A batch still waiting
// when its time is up is answered without being sent.

import type { Producer } from '@platformatic/kafka';
import type { KafkaConfig } from '../configSchema.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import { kafkaErrorMessage } from './kafkaErrors.js';
import { encodeLeg } from './legRecord.js';
import { idempotentProducer, inSends, MAX_SEND_BYTES } from './sends.js';
import { ensureLegsTopic } from './topics.js';

/** Kafka did not acknowledge every record of a batch: the ingest answer is 503 KAFKA_UNAVAILABLE. */
export class KafkaUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KafkaUnavailableError';
  }
}

/** How often the connection is checked between sends, for readiness. */
const HEALTH_PROBE_INTERVAL_MS = 1000;

type Message = { topic: string; key: Buffer; value: Buffer };

interface Waiting {
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (error: KafkaUnavailableError) => void;
  /** set when its deadline passed before it was sent */
  expired: boolean;
  timer: NodeJS.Timeout;
}

/** One send, for the metrics. */
export interface SendOutcome {
  result: 'acknowledged' | 'failed';
  legs: number;
  seconds: number;
}

export interface Health {
  healthy: boolean;
  /** why not, while unhealthy */
  lastError: string;
}

export class LegProducer {
  private producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private queue: Waiting[] = [];
  private sending = false;
  private closed = false;
  private probing = false;
  private readonly probeTimer: NodeJS.Timeout;
  private health: Health = { healthy: true, lastError: '' };
  private sendListeners: Array<(outcome: SendOutcome) => void> = [];

  private constructor(private readonly config: KafkaConfig) {
    this.producer = this.newProducer();
    this.probeTimer = setInterval(() => void this.probe(), HEALTH_PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  /**
   * Creates the legs topic when it is missing (config's partitions, replication factor and
   * retention), or checks that an existing one keeps legs longer than `windowMs`, and connects
   * the producer. Throws the client's error when Kafka refuses, TopicError for a topic that
   * cannot serve.
   */
  static async open(config: KafkaConfig, windowMs: number): Promise<LegProducer> {
    await ensureLegsTopic(config, windowMs);
    const producer = new LegProducer(config);
    await producer.probe();
    return producer;
  }

  get topic(): string {
    return this.config.topics.legs;
  }

  /** Tells `listener` about every send once it is acknowledged or failed. */
  onSend(listener: (outcome: SendOutcome) => void): void {
    this.sendListeners.push(listener);
  }

  /** Whether the last send or connection check succeeded, and why not. */
  status(): Health {
    return this.health;
  }

  /** Resolves once Kafka acknowledged every record; rejects with KafkaUnavailableError otherwise. */
  produce(records: readonly IngestedRecord[], arrivedUnixMs: number): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new KafkaUnavailableError('the Kafka producer is closing'));
    const topic = this.topic;
    const chunks = [...inSends(records.map((record) => ({ topic, ...encodeLeg(record, arrivedUnixMs) })))];
    return Promise.all(chunks.map((part) => this.enqueue(part.messages, part.bytes))).then(() => {});
  }

  private enqueue(messages: Message[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = {
        messages,
        bytes,
        resolve,
        reject,
        expired: false,
        timer: setTimeout(() => {
          waiting.expired = true;
          reject(
            new KafkaUnavailableError(
              `Kafka did not acknowledge the batch within kafka.produceTimeoutMs (${this.config.produceTimeoutMs} ms)`,
            ),
          );
        }, this.config.produceTimeoutMs),
      };
      this.queue.push(waiting);
      this.sendQueued();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.probeTimer);
    for (const waiting of this.queue.splice(0)) this.fail(waiting, new KafkaUnavailableError('the Kafka producer is closing'));
    // Forced: sends still in flight fail (their batches were answered already).
    await new Promise<void>((resolve) => this.producer.close(true, () => resolve()));
  }

  private sendQueued(): void {
    if (this.sending || this.closed) return;
    this.queue = this.queue.filter((waiting) => !waiting.expired);
    const group: Waiting[] = [];
    let bytes = 0;
    for (const waiting of this.queue) {
      if (group.length > 0 && bytes + waiting.bytes > MAX_SEND_BYTES) break;
      group.push(waiting);
      bytes += waiting.bytes;
    }
    this.queue.splice(0, group.length);
    if (group.length === 0) return;
    this.sending = true;
    const producer = this.producer;
    const messages = group.flatMap((waiting) => waiting.messages);
    const started = performance.now();
    let settled = false;
    const done = (error: KafkaUnavailableError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const outcome: SendOutcome = {
        result: error === null ? 'acknowledged' : 'failed',
        legs: messages.length,
        seconds: (performance.now() - started) / 1000,
      };
      for (const listener of this.sendListeners) listener(outcome);
      if (error === null) {
        this.health = { healthy: true, lastError: '' };
        for (const waiting of group) {
          clearTimeout(waiting.timer);
          waiting.resolve();
        }
      } else {
        this.health = { healthy: false, lastError: error.message };
        for (const waiting of group) this.fail(waiting, error);
        this.replaceProducer(producer);
      }
      this.sending = false;
      this.sendQueued();
    };
    // The batches' own timers answer them; this one frees the next group from a send that hangs.
    const deadline = setTimeout(
      () =>
        done(
          new KafkaUnavailableError(
            `Kafka did not acknowledge the send within kafka.produceTimeoutMs (${this.config.produceTimeoutMs} ms)`,
          ),
        ),
      this.config.produceTimeoutMs,
    );
    producer.send({ messages }).then(
      () => done(null),
      (error: unknown) =>
        done(new KafkaUnavailableError(`Kafka did not acknowledge the batch: ${kafkaErrorMessage(error)}`, { cause: error })),
    );
  }

  private fail(waiting: Waiting, error: KafkaUnavailableError): void {
    clearTimeout(waiting.timer);
    if (!waiting.expired) waiting.reject(error);
  }

  /** A failed send's producer is dropped: its successor's new producer id starts the sequences afresh. */
  private replaceProducer(failed: Producer<Buffer, Buffer, Buffer, Buffer>): void {
    if (this.producer !== failed || this.closed) return;
    this.producer = this.newProducer();
    failed.close(true, () => {});
  }

  private newProducer(): Producer<Buffer, Buffer, Buffer, Buffer> {
    return idempotentProducer(this.config);
  }

  /** Asks the brokers for the legs topic's metadata; its answer is the readiness between sends. */
  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.producer.metadata({ topics: [this.topic], forceUpdate: true }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.config.produceTimeoutMs} ms`)), this.config.produceTimeoutMs);
        }),
      ]);
      if (!this.sending) this.health = { healthy: true, lastError: '' };
    } catch (error) {
      this.health = { healthy: false, lastError: `the Kafka brokers cannot be reached: ${kafkaErrorMessage(error)}` };
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }
}
