// Reads every partition of the verdicts topic, each in its order, from the offsets the report
// role's state holds. A report instance sees every verdict: no consumer group shares the
// partitions out (each reader's group is its own, one member, and commits nothing: the position
// is the state's, checkpointed with it in the store). A failure (the topic not created yet by
// the join role, the brokers gone) closes the consumer and, after a pause, opens another from the
// positions the state has reached; a record read again then is the caller's to skip by offset.

import { randomUUID } from 'node:crypto';
import { Consumer, FetchIsolationLevels, type CallbackWithPromise, type FetchOptions, type MessagesStream } from '@platformatic/kafka';
import type { KafkaConfig } from '../configSchema.js';
import type { VerdictOffset } from '../pipeline.js';
import { withoutAborted } from './committedBatches.js';
import { kafkaErrorMessage } from './kafkaErrors.js';
import type { Health } from './legProducer.js';

/** One record of the verdicts topic, as read. */
export interface VerdictMessage {
  partition: number;
  offset: number;
  key: Buffer | undefined;
  value: Buffer | undefined;
}

export interface VerdictReaderOptions {
  config: KafkaConfig;
  /** where to start each partition: the state's next offsets (a partition not named starts at its earliest) */
  positions: () => VerdictOffset[];
  /** called for every record, in offset order per partition */
  onMessage: (message: VerdictMessage) => void;
  /** why the reader stopped; it opens again after REOPEN_DELAY_MS */
  onFailure: (reason: string) => void;
}

const REOPEN_DELAY_MS = 1000;
/** How long a fetch waits on the broker for records when there are none. */
const MAX_WAIT_MS = 250;

export class VerdictReader {
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null = null;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  private closed = false;
  private reopen: NodeJS.Timeout | undefined;
  private health: Health = { healthy: false, lastError: 'not reading the verdicts topic yet' };

  constructor(private readonly options: VerdictReaderOptions) {}

  get topic(): string {
    return this.options.config.topics.verdicts;
  }

  /** Starts reading; failures are retried, never thrown. */
  start(): void {
    void this.open();
  }

  /** Whether the reader is consuming, and why not. */
  status(): Health {
    return this.health;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopen);
    const { consumer, stream } = this;
    this.consumer = null;
    this.stream = null;
    if (stream !== null) await closeStream(stream);
    if (consumer !== null) await closeConsumer(consumer);
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    const { config } = this.options;
    const consumer = new CommittedConsumer({
      clientId: config.clientId,
      // Its own group: every report instance is assigned every partition.
      groupId: `${config.clientId}-report-${randomUUID()}`,
      bootstrapBrokers: config.brokers,
      timeout: config.produceTimeoutMs,
      autocreateTopics: false,
      // The join role writes verdicts in transactions: what a fenced or failed one wrote is aborted, never counted.
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    this.consumer = consumer;
    try {
      // The join role creates the topic; until it has, there is nothing to read (and the consumer would fail).
      await consumer.metadata({ topics: [this.topic], forceUpdate: true });
      const offsets = this.options.positions().map(([partition, next]) => ({ topic: this.topic, partition, offset: BigInt(next) }));
      const stream = await consumer.consume({
        topics: [this.topic],
        mode: 'manual',
        offsets,
        fallbackMode: 'earliest',
        autocommit: false,
        maxWaitTime: MAX_WAIT_MS,
      });
      if (this.consumer !== consumer) {
        await closeStream(stream);
        return;
      }
      this.stream = stream;
      this.health = { healthy: true, lastError: '' };
      stream.on('data', (message) => {
        if (this.stream !== stream) return;
        this.options.onMessage({ partition: message.partition, offset: Number(message.offset), key: message.key, value: message.value });
      });
      stream.on('error', (error: unknown) => this.failed(consumer, error));
    } catch (error) {
      this.failed(consumer, error);
    }
  }

  private failed(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, error: unknown): void {
    if (this.consumer !== consumer || this.closed) return;
    const reason = `cannot read the verdicts topic ${JSON.stringify(this.topic)}: ${kafkaErrorMessage(error)}`;
    this.health = { healthy: false, lastError: reason };
    this.options.onFailure(reason);
    const stream = this.stream;
    this.consumer = null;
    this.stream = null;
    if (stream !== null) void closeStream(stream);
    void closeConsumer(consumer);
    this.reopen = setTimeout(() => void this.open(), REOPEN_DELAY_MS);
  }
}

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/**
 * A consumer whose fetch answers hold no aborted transaction's records, by the Java consumer's
 * rule (committedBatches): the client's own read_committed filter (1.35.0) lets through all but
 * the last of one producer's aborted transactions in one answer, and one whose abort marker lies
 * past the answer. A join partition's producer keeps its producer id across owners and steps,
 * so both are ordinary on the verdicts topic. Its message stream fetches through `fetch`.
 */
class CommittedConsumer extends Consumer<Buffer, Buffer, Buffer, Buffer> {
  override fetch(options: FetchOptions<Buffer, Buffer, Buffer, Buffer>, callback: CallbackWithPromise<FetchResponse>): void;
  override fetch(options: FetchOptions<Buffer, Buffer, Buffer, Buffer>): Promise<FetchResponse>;
  override fetch(
    options: FetchOptions<Buffer, Buffer, Buffer, Buffer>,
    callback?: CallbackWithPromise<FetchResponse>,
  ): Promise<FetchResponse> | undefined {
    if (callback === undefined) return super.fetch(options).then(committedAnswer);
    super.fetch(options, (error, response) => callback(error, !error && response !== undefined ? committedAnswer(response) : response));
    return undefined;
  }
}

function committedAnswer(response: FetchResponse): FetchResponse {
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      if (partition.records !== undefined) partition.records = withoutAborted(partition.records, partition.abortedTransactions);
    }
  }
  return response;
}

// Both close whatever their state (forced, for the consumer): what failed is replaced, not repaired.
function closeConsumer(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
  return new Promise((resolve) => consumer.close(true, () => resolve()));
}

function closeStream(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
  return new Promise((resolve) => stream.close(() => resolve()));
}
