// The two topics of Kafka mode, created when missing and checked when they exist, so a role
// never runs on a topic that cannot serve it:
// - legs: the config's partitions, replication factor and retention; an existing one whose
//   retention.ms does not exceed the join window is refused (a join worker rebuilding its window
//   from the log would find legs deleted whose window is still open).
// - verdicts: as many partitions as the legs topic (a verdict for legs partition p goes to
//   verdicts partition p, so a partition's whole account is in one place); an existing one with
//   another count is refused.

import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import type { KafkaConfig } from '../configSchema.js';
import { hasApiError } from './kafkaErrors.js';

/** A topic exists but cannot serve the role; `setting` names what to change. */
export class TopicError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'TopicError';
  }
}

const ADMIN_RETRIES = 3;

/**
 * Creates the legs topic unless it exists. An existing topic keeps its own partitions and
 * settings, but one whose retention.ms does not exceed the join window is refused.
 */
export async function ensureLegsTopic(config: KafkaConfig, windowMs: number): Promise<void> {
  const topic = config.topics.legs;
  await withAdmin(config, async (admin) => {
    if (await created(admin, topic, config.partitions, config, [{ name: 'retention.ms', value: String(config.legsRetentionMs) }])) return;
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] }],
    });
    const retention = Number(described?.configs.find((entry) => entry.name === 'retention.ms')?.value ?? Number.NaN);
    // -1: kept forever.
    if (Number.isFinite(retention) && retention !== -1 && retention <= windowMs) {
      throw new TopicError(
        'kafka.topics.legs',
        `the existing topic ${JSON.stringify(topic)} keeps legs for ${retention} ms (its retention.ms), which does not exceed join.windowMs (${windowMs} ms): ` +
          'raise its retention.ms or name another topic',
      );
    }
  });
}

/** The legs topic's partition count, then the verdicts topic created with it, or checked to have it. Answers the count. */
export async function ensureVerdictsTopic(config: KafkaConfig): Promise<number> {
  return withAdmin(config, async (admin) => {
    const legs = await partitionCount(admin, config.topics.legs);
    const topic = config.topics.verdicts;
    if (await created(admin, topic, legs, config, [])) return legs;
    const verdicts = await partitionCount(admin, topic);
    if (verdicts !== legs) {
      throw new TopicError(
        'kafka.topics.verdicts',
        `the existing topic ${JSON.stringify(topic)} has ${verdicts} partitions and the legs topic ${JSON.stringify(config.topics.legs)} ${legs}: ` +
          'a verdict goes to the partition number of the legs it judges, so both need the same count; name another verdicts topic or repartition it',
      );
    }
    return legs;
  });
}

async function withAdmin<T>(config: KafkaConfig, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    retries: ADMIN_RETRIES,
    timeout: config.produceTimeoutMs,
  });
  try {
    return await work(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

/** Creates the topic; false when it existed already. */
async function created(
  admin: Admin,
  topic: string,
  partitions: number,
  config: KafkaConfig,
  configs: Array<{ name: string; value: string }>,
): Promise<boolean> {
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: config.replicationFactor, configs });
    return true;
  } catch (error) {
    if (!hasApiError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
    return false;
  }
}

async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const metadata = await admin.metadata({ topics: [topic] });
  const found = metadata.topics.get(topic);
  if (found === undefined) throw new TopicError('kafka.topics.legs', `the topic ${JSON.stringify(topic)} has no metadata`);
  return found.partitionsCount;
}
