// What the Kafka suites read back from a topic to check the roles against a model: every record up
// to the topic's end (a consumer group of its own, committing nothing), the legs and verdicts
// topics decoded, and a wait until every id has a verdict.

import { Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import type { KafkaConfig } from '../../../collector/configSchema.js';
import { decodeLeg } from '../../../collector/kafka/legRecord.js';
import { decodeVerdictTopicRecord, TALLY_RECORD_VERSION, type Tally, type Verdict } from '../../../collector/kafka/verdictRecord.js';
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
  tallies: Array<Tally & { partition: number }>;
  legs: Array<ArrivedLeg & { partition: number; offset: number }>;
}

let readers = 0;

/** Every record of `topic` up to its end, read by a group of its own. */
export async function readTopic(bootstrap: string, topic: string): Promise<TopicRecord[]> {
  readers += 1;
  const consumer = new Consumer({
    clientId: 'topic-reader',
    groupId: `reader-${topic}-${process.pid}-${readers}`,
    bootstrapBrokers: [bootstrap],
  });
  try {
    const ends = await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.LATEST });
    const total = (ends.get(topic) ?? []).reduce((sum, end) => sum + Number(end), 0);
    const records: TopicRecord[] = [];
    if (total === 0) return records;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
    for await (const message of stream) {
      records.push({ key: message.key, value: message.value, partition: message.partition, offset: Number(message.offset) });
      if (records.length === total) break;
    }
    await stream.close();
    return records;
  } finally {
    await consumer.close(true);
  }
}

/** The verdicts topic's verdicts and tallies and the legs topic's legs, decoded. */
export async function readTopics(bootstrap: string, kafka: KafkaConfig): Promise<TopicRead> {
  const read: TopicRead = { verdicts: [], tallies: [], legs: [] };
  for (const { key, value, partition } of await readTopic(bootstrap, kafka.topics.verdicts)) {
    const decoded = decodeVerdictTopicRecord(key, value);
    if (decoded.kind === 'verdict') read.verdicts.push({ ...decoded, partition });
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
