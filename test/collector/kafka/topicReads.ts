// What the Kafka suites read back from a topic to check the roles against a model: every record up
// to the topic's end (as a read_committed reader sees it, or every record in the log), the legs
// and verdicts topics decoded, and a wait until every id has a verdict.

import { Consumer, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import type { KafkaConfig } from '../../../collector/configSchema.js';
import { committedBatches, nextOffset } from '../../../collector/kafka/committedBatches.js';
import { decodeLeg } from '../../../collector/kafka/legRecord.js';
import {
  decodeVerdictTopicRecord,
  TALLY_RECORD_VERSION,
  type Orphaned,
  type Tally,
  type Verdict,
} from '../../../collector/kafka/verdictRecord.js';
import { waitUntil } from '../../../devkit/waitUntil.js';
import type { ArrivedLeg } from './joinModel.js';

export interface TopicRecord {
  key: Buffer;
  value: Buffer;
  partition: number;
  offset: number;
}

export interface TopicRead {
  verdicts: Array<Verdict & { partition: number }>;
  orphaned: Array<Orphaned & { partition: number }>;
  tallies: Array<Tally & { partition: number }>;
  legs: Array<ArrivedLeg & { partition: number; offset: number }>;
}

let readers = 0;
const IS_CONTROL = 0x20;

/**
 * Every record of `topic` up to its end, partition by partition, with explicit fetches: with
 * `committed` (the default) as a read_committed reader sees it (aborted transactions dropped, the
 * end the last stable offset), otherwise every data record in the log, aborted ones included.
 * Offsets are counted by batch, since a transaction's marker takes one too.
 */
export async function readTopic(bootstrap: string, topic: string, committed = true): Promise<TopicRecord[]> {
  readers += 1;
  const consumer = new Consumer({
    clientId: 'topic-reader',
    groupId: `reader-${topic}-${process.pid}-${readers}`,
    bootstrapBrokers: [bootstrap],
  });
  const isolationLevel = committed ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
  try {
    const [ends, metadata] = await Promise.all([
      consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.LATEST, isolationLevel }),
      consumer.metadata({ topics: [topic] }),
    ]);
    const described = metadata.topics.get(topic);
    if (described === undefined) throw new Error(`no metadata for ${topic}`);
    const records: TopicRecord[] = [];
    for (const [partition, end] of (ends.get(topic) ?? []).entries()) {
      let position = 0;
      while (position < Number(end)) {
        const response = await consumer.fetch({
          node: described.partitions[partition]!.leader,
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes: 8 * 1024 * 1024,
          isolationLevel,
          topics: [
            {
              topicId: described.id,
              partitions: [
                { partition, fetchOffset: BigInt(position), partitionMaxBytes: 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
              ],
            },
          ],
        });
        const answer = response.responses[0]!.partitions[0]!;
        const batches = answer.records ?? [];
        const next = nextOffset(batches);
        if (next === null) throw new Error(`${topic}[${partition}] answered nothing at ${position}, below its end ${end}`);
        const read = committed
          ? committedBatches(batches, answer.abortedTransactions)
          : batches.filter((b) => (b.attributes & IS_CONTROL) === 0);
        for (const batch of read) {
          for (const record of batch.records) {
            const offset = Number(batch.firstOffset) + record.offsetDelta;
            if (offset >= position && offset < Number(end) && record.key !== null && record.value !== null)
              records.push({ key: record.key, value: record.value, partition, offset });
          }
        }
        position = next;
      }
    }
    return records;
  } finally {
    await consumer.close(true);
  }
}

/** The verdicts topic's verdicts and tallies and the legs topic's legs, decoded. */
export async function readTopics(bootstrap: string, kafka: KafkaConfig): Promise<TopicRead> {
  const read: TopicRead = { verdicts: [], orphaned: [], tallies: [], legs: [] };
  for (const { key, value, partition } of await readTopic(bootstrap, kafka.topics.verdicts)) {
    const decoded = decodeVerdictTopicRecord(key, value);
    if (decoded.kind === 'verdict') read.verdicts.push({ ...decoded, partition });
    else if (decoded.kind === 'orphaned') read.orphaned.push({ ...decoded, partition });
    else if (decoded.v === TALLY_RECORD_VERSION) read.tallies.push({ ...decoded, partition });
    else
      throw new Error(
        `a tally of version ${decoded.v} on partition ${partition}: this release's join workers write ${TALLY_RECORD_VERSION}`,
      );
  }
  for (const { key, value, partition, offset } of await readTopic(bootstrap, kafka.topics.legs)) {
    const leg = decodeLeg(key, value);
    read.legs.push({ arrivedUnixMs: leg.arrivedUnixMs, record: leg.record, partition, offset });
  }
  return read;
}

/** Waits until every id of `ids` has a verdict (the lone legs' windows close by the idle clock). */
export async function untilJudged(bootstrap: string, kafka: KafkaConfig, ids: readonly string[], timeoutMs: number): Promise<void> {
  await waitUntil(
    `a verdict for each of ${ids.length} ids`,
    async () => {
      const judged = new Set((await readTopic(bootstrap, kafka.topics.verdicts)).map((r) => r.key.toString('utf8')));
      return ids.every((id) => judged.has(id)) ? true : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}
