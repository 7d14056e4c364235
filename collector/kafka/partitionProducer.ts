// One legs partition's transactional producer, as Kafka Streams' first exactly-once design has one
// per input partition: the transactional id names the partition, so whoever takes the partition
// takes the id, and taking it (InitProducerId) fences the previous owner's producer by epoch and
// aborts the transaction it left open. Each join step of the partition is one transaction: its
// verdicts and tally, and the legs offset committed in the consumer group (TxnOffsetCommit), all
// visible to a read_committed reader at once, or none of it.

import type { Consumer, Message, Producer } from '@platformatic/kafka';
import type { KafkaConfig } from '../configSchema.js';
import { idempotentProducer, inSends } from './sends.js';

/**
 * `<kafka.groupId>:<legs topic>:<partition>`: the same in every worker of the group, so a
 * partition keeps its id whoever owns it (neither a group id nor a topic name can hold a `:`, so
 * no two partitions share one).
 */
export function transactionalIdOf(kafka: KafkaConfig, partition: number): string {
  return `${kafka.groupId}:${kafka.topics.legs}:${partition}`;
}

export type VerdictMessage = { topic: string; partition: number; key: Buffer; value: Buffer; timestamp: bigint };

/** The legs offset a transaction commits: the next leg to consume, in the group `consumer` is a member of. */
export interface ConsumedThrough {
  consumer: Consumer;
  topic: string;
  next: number;
}

/** Where a transaction's write stands when a `TransactionHold` is asked: its partition, the step next, and the producer's epoch. */
export interface TransactionWrite {
  partition: number;
  step: 'send' | 'commit';
  epoch: number;
}

/**
 * A test seam, unset in production: awaited before each send and before the commit of a
 * transaction, after the ownership check, where a worker that stalls (a pause, a GC, a network
 * cut) would be; the join suite holds a worker there while its partitions move, or throws there
 * as a broker gone before the commit would.
 */
export type TransactionHold = (write: TransactionWrite) => Promise<void>;

export class PartitionProducer {
  private constructor(
    readonly partition: number,
    private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>,
    private readonly hold: TransactionHold | undefined,
  ) {}

  /**
   * Takes the partition's transactional id: once this resolves, no earlier owner can add to the
   * partition's verdicts or move its offset, and every transaction it began is committed or
   * aborted (the coordinator answers only once its abort is written), so the log can be read back.
   */
  static async take(kafka: KafkaConfig, partition: number, hold?: TransactionHold): Promise<PartitionProducer> {
    const producer = idempotentProducer(kafka, transactionalIdOf(kafka, partition));
    try {
      // The client initialises the producer id when a transaction first begins (InitProducerId);
      // nothing is sent in this one, so no transaction is open on the broker: dropping it is enough.
      const transaction = await producer.beginTransaction();
      await transaction.cancel();
    } catch (error) {
      await closeProducer(producer);
      throw error;
    }
    return new PartitionProducer(partition, producer, hold);
  }

  /**
   * One transaction: the messages (in sends under MAX_SEND_BYTES), the legs offset when given,
   * then the commit. `stillOwned` is asked before each send and before the commit; when it says
   * no, the transaction is aborted and this resolves false. Any failure rejects (a fenced producer:
   * `isFenced`); the caller then closes this producer, never retrying its sends under another epoch.
   */
  async commit(messages: readonly VerdictMessage[], consumed: ConsumedThrough | null, stillOwned: () => boolean): Promise<boolean> {
    const transaction = await this.producer.beginTransaction();
    // Whether the broker holds the transaction yet (a partition or the group added to it): one it does not is only dropped here.
    let open = false;
    const abandon = async (): Promise<false> => {
      await (open ? transaction.abort() : transaction.cancel());
      return false;
    };
    for (const send of inSends(messages)) {
      if (!stillOwned()) return abandon();
      open = true;
      await this.held('send');
      await transaction.send({ messages: send.messages });
    }
    if (consumed !== null) {
      open = true;
      await transaction.addConsumer(consumed.consumer);
      await transaction.addOffset(consumedMessage(consumed, this.partition));
    }
    if (!stillOwned()) return abandon();
    await this.held('commit');
    await transaction.commit();
    return true;
  }

  close(): Promise<void> {
    return closeProducer(this.producer);
  }

  private async held(step: TransactionWrite['step']): Promise<void> {
    await this.hold?.({ partition: this.partition, step, epoch: this.producer.producerEpoch ?? -1 });
  }
}

/**
 * What Transaction.addOffset reads of a message (1.35.0): its topic and partition, `offset + 1`
 * as the offset to commit, and the group it was consumed in (`metadata.consumer`, as the
 * client's own consumer stamps its messages), sent as TxnOffsetCommit with the member's id and
 * generation, so the group coordinator refuses it from a member no longer in the generation.
 */
function consumedMessage({ consumer, topic, next }: ConsumedThrough, partition: number): Message {
  const consumed: Pick<Message, 'topic' | 'partition' | 'offset' | 'metadata'> = {
    topic,
    partition,
    offset: BigInt(next - 1),
    metadata: {
      consumer: {
        groupId: consumer.groupId,
        generationId: consumer.generationId,
        memberId: consumer.memberId,
        coordinatorId: consumer.coordinatorId,
      },
    },
  };
  return consumed as Message;
}

function closeProducer(producer: Producer<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
  return new Promise((resolve) => producer.close(true, () => resolve()));
}
