// Kafka mode's join role: a member of the consumer group `kafka.groupId` on the legs topic that
// joins the legs of the partitions the group gives it (PartitionJoin, one per partition) and
// produces their verdicts and tallies to the same partition number of the verdicts topic.
//
// Exactly one verdict per id, no leg lost:
// - One loop, one step at a time: fetch the owned partitions' legs, consume them, produce what
//   they settled (idempotent producer, acks=all: one send in flight, as the client requires),
//   and only once Kafka acknowledged all of it commit each partition's legs offset at its
//   committable offset (the first leg still pending). A crash anywhere loses nothing: the legs
//   after the committed offset are read again by whoever owns the partition next.
// - Whoever takes a partition (every assignment, since the classic protocol revokes everything
//   at a rebalance) rebuilds it from the log before it consumes: the committed offset, then the
//   verdicts partition from a point covering the remembered horizon (verdict records carry their
//   resolution time as their timestamp, so offsetsForTimes finds it), then the legs from the
//   committed offset through the rebuilt join (PartitionJoin says why nothing is judged twice).
// - When the group starts a rebalance, the worker stops producing at once (the client rejoins on
//   its own; nothing is produced until the new assignment is rebuilt), and a step whose
//   generation changed while it ran produces and commits nothing. A produce that fails drops
//   every partition's state: they are rebuilt from the log, so what did land is not produced
//   again and what did not is judged again.
//
// The consumer group is used for membership and commits only; legs are read with explicit fetches
// at the positions the joins expect, so no record buffered for an old assignment is consumed.

import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, ListOffsetTimestamps, type GroupAssignment, type Producer } from '@platformatic/kafka';
import { FieldRows } from '../compare/fieldRows.js';
import { PairComparer } from '../compare/pairComparer.js';
import type { ToleranceConfig } from '../compare/tolerance.js';
import type { KafkaConfig } from '../configSchema.js';
import type { CollectorConfig, IgnoreConfig } from '../types.js';
import { hasApiError, kafkaErrorMessage, needsRejoin } from './kafkaErrors.js';
import { idempotentProducer, inSends, SEND_RETRIES, SEND_RETRY_DELAY_MS } from './sends.js';
import { decodeLeg } from './legRecord.js';
import { PartitionJoin, partitionShare, type ConsumedLeg, type JoinOutput, type PartitionJoinSettings } from './partitionJoin.js';
import { ensureLegsTopic, ensureVerdictsTopic } from './topics.js';
import { decodeVerdictTopicRecord, encodeTally, encodeVerdict, type VerdictTopicRecord } from './verdictRecord.js';

/** While a partition is caught up, its clock follows the wall clock less this: legs still on their way from an ingest instance are not missed. */
export const IDLE_ALLOWANCE_MS = 2000;
/** A fetch waits this long for legs before answering empty (and the idle windows are closed). */
const FETCH_WAIT_MS = 250;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
/** After a failed step, the worker waits this long before the next (the brokers may be restarting). */
const RETRY_AFTER_MS = 500;
const READ_COMMITTED = 1;
/** Kafka's control batches (transaction markers) carry no records of ours. */
const IS_CONTROL_BATCH = 0x20;

/** A verdicts partition this worker owns was written by another producer: its partitions are rebuilt. */
class ForeignVerdictsError extends Error {
  override name = 'ForeignVerdictsError';
}

export interface JoinLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** What one step made durable, and rebuilds, for the metrics. */
export interface JoinListener {
  produced?(outputs: readonly JoinOutput[]): void;
  rebuilt?(partitions: number, seconds: number): void;
  verdictRecordSkipped?(): void;
  /** verdicts partitions found written by another producer (a worker that lost them), rebuilt before producing */
  foreignVerdicts?(partitions: number): void;
}

export interface JoinHealth {
  healthy: boolean;
  lastError: string;
}

interface Fetched {
  records: Array<{ offset: number; key: Buffer | undefined; value: Buffer | undefined; timestamp: number }>;
  highWatermark: number;
}

type Message = { topic: string; partition: number; key: Buffer; value: Buffer; timestamp: bigint };

export class JoinWorker {
  private readonly consumer: Consumer;
  private producer: Producer;
  private readonly comparer: PairComparer;
  private readonly share: PartitionJoinSettings;
  private readonly owned = new Map<number, PartitionJoin>();
  /** the generation the owned joins were rebuilt for; -1: none (rebuild what the group gives) */
  private ownedGeneration = -1;
  /** the group's latest assignment of the legs topic, as the client announced it */
  private assignment: { generation: number; partitions: number[] } = { generation: -1, partitions: [] };
  /** the assignment's generation when the group last started a rebalance: nothing is produced until a later one is rebuilt */
  private fencedAt = -2;
  /** what each owned partition last committed, so an idle step commits nothing */
  private readonly committed = new Map<number, number>();
  /** each owned verdicts partition's end offset as this worker left it: another end means another producer wrote there */
  private readonly verdictsEnd = new Map<number, number>();
  private readonly lag = new Map<number, number>();
  private health: JoinHealth = { healthy: true, lastError: '' };
  private readonly listeners: JoinListener[] = [];
  private closing = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private log: JoinLogger | null = null;

  private constructor(
    private readonly config: CollectorConfig,
    private readonly kafka: KafkaConfig,
    partitions: number,
  ) {
    this.comparer = new PairComparer(config, new FieldRows(config.compare));
    this.share = partitionShare(config, partitions);
    this.consumer = new Consumer({
      clientId: kafka.clientId,
      groupId: kafka.groupId,
      bootstrapBrokers: kafka.brokers,
      retries: SEND_RETRIES,
      retryDelay: SEND_RETRY_DELAY_MS,
      timeout: kafka.produceTimeoutMs,
      sessionTimeout: kafka.sessionTimeoutMs,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
    });
    this.producer = this.newProducer();
    this.consumer.topics.trackAll(kafka.topics.legs);
    this.consumer.on('consumer:group:join', ({ generationId, assignments }) => this.assigned(generationId ?? -1, assignments ?? []));
    this.consumer.on('consumer:group:rebalance', () => this.fence());
    this.consumer.on('consumer:group:leave', () => this.fence());
  }

  /**
   * Checks the legs topic (created when missing, refused when its retention cannot serve) and
   * creates the verdicts topic with its partition count (refused when an existing one differs).
   * Throws the client's error or TopicError; start() then joins the group.
   */
  static async open(config: CollectorConfig, kafka: KafkaConfig): Promise<JoinWorker> {
    await ensureLegsTopic(kafka, config.join.windowMs);
    const partitions = await ensureVerdictsTopic(kafka);
    return new JoinWorker(config, kafka, partitions);
  }

  /** Joins the consumer group and starts the loop; resolves once the worker is a member. */
  async start(log: JoinLogger): Promise<void> {
    this.log = log;
    await this.consumer.joinGroup({});
    this.loop = this.run();
  }

  onStep(listener: JoinListener): void {
    this.listeners.push(listener);
  }

  status(): JoinHealth {
    return this.health;
  }

  /** Partitions owned and rebuilt. */
  get partitions(): number[] {
    return [...this.owned.keys()];
  }

  get pendingLegs(): number {
    let pending = 0;
    for (const join of this.owned.values()) pending += join.pendingCount;
    return pending;
  }

  /** Legs on the owned partitions not consumed yet, as of the last fetch. */
  get lagRecords(): number {
    let lag = 0;
    for (const records of this.lag.values()) lag += records;
    return lag;
  }

  /** Ignore rules and tolerances apply to pairs compared from now on (SIGHUP). */
  setComparisonRules(ignore: IgnoreConfig, tolerances: readonly ToleranceConfig[]): void {
    this.comparer.setIgnoreRules(ignore);
    this.comparer.setTolerances(tolerances);
  }

  /** Finishes the step under way (what it produced is committed), leaves the group and closes the clients. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake?.();
    await this.loop;
    // Leaving lets the group give the partitions to the others at once rather than after the session timeout.
    await new Promise<void>((resolve) => this.consumer.leaveGroup(true, () => resolve()));
    await new Promise<void>((resolve) => this.consumer.close(true, () => resolve()));
    await new Promise<void>((resolve) => this.producer.close(true, () => resolve()));
  }

  private assigned(generation: number, assignments: readonly GroupAssignment[]): void {
    const partitions = assignments.find((assignment) => assignment.topic === this.kafka.topics.legs)?.partitions ?? [];
    this.assignment = { generation, partitions: [...partitions].sort((a, b) => a - b) };
    this.wake?.();
  }

  private fence(): void {
    this.fencedAt = this.assignment.generation;
    this.wake?.();
  }

  private get fenced(): boolean {
    return this.fencedAt >= this.assignment.generation;
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        if (this.ownedGeneration !== this.assignment.generation && !this.fenced) {
          await this.rebuild();
          continue;
        }
        if (this.owned.size === 0 || this.fenced) {
          await this.pause(FETCH_WAIT_MS);
          continue;
        }
        await this.step();
        this.health = { healthy: true, lastError: '' };
      } catch (error) {
        if (error instanceof ForeignVerdictsError) {
          this.log?.warn({ partitions: this.partitions }, error.message);
          continue;
        }
        const reason = kafkaErrorMessage(error);
        if (needsRejoin(error)) {
          // The group is rebalancing: nothing more is produced until the client has rejoined and the new assignment is rebuilt.
          this.fence();
          this.log?.info({ partitions: this.partitions }, `join step abandoned: the consumer group is rebalancing (${reason})`);
        } else {
          this.health = { healthy: false, lastError: `the join worker cannot reach Kafka: ${reason}` };
          this.log?.error({ err: error, partitions: this.partitions }, `join step failed (${reason}); retrying`);
        }
        await this.pause(RETRY_AFTER_MS);
      }
    }
  }

  /** Sleeps up to `ms`, or until an assignment, a rebalance or close() wakes it. */
  private async pause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.wake = () => controller.abort();
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => {});
    this.wake = null;
  }

  /** Drops every partition's state and rebuilds the partitions of the latest assignment from the log. */
  private async rebuild(): Promise<void> {
    const { generation, partitions } = this.assignment;
    this.owned.clear();
    this.lag.clear();
    this.committed.clear();
    this.verdictsEnd.clear();
    this.ownedGeneration = -1;
    const started = performance.now();
    const committed = await this.committedOffsets(partitions);
    const rebuilt = await Promise.all(partitions.map((partition) => this.rebuildPartition(partition, committed.get(partition) ?? 0)));
    // Another rebalance meanwhile: its assignment is rebuilt next.
    if (this.assignment.generation !== generation || this.fenced) return;
    for (const { join, verdictsEnd } of rebuilt) {
      this.owned.set(join.partition, join);
      this.committed.set(join.partition, join.committableOffset);
      this.verdictsEnd.set(join.partition, verdictsEnd);
    }
    this.ownedGeneration = generation;
    const seconds = (performance.now() - started) / 1000;
    for (const listener of this.listeners) listener.rebuilt?.(partitions.length, seconds);
    this.log?.info(
      { generation, partitions, pending_legs: this.pendingLegs, seconds },
      `join worker owns legs partitions [${partitions.join(', ')}] of ${this.kafka.topics.legs}, rebuilt from the log`,
    );
  }

  private async rebuildPartition(partition: number, committedOffset: number): Promise<{ join: PartitionJoin; verdictsEnd: number }> {
    const legs = this.kafka.topics.legs;
    // Where the remembered horizon starts: the first leg to replay's arrival, less the window and
    // the tombstones' lifetime (and the idle allowance a window may have closed early by).
    const [first] = (await this.fetchPartitions(legs, new Map([[partition, committedOffset]]), 0, 64 * 1024)).get(partition)?.records ?? [];
    let from = Date.now();
    if (first !== undefined) {
      try {
        from = decodeLeg(first.key, first.value).arrivedUnixMs;
      } catch {
        from = first.timestamp;
      }
    }
    const horizon = from - this.config.join.windowMs - this.config.join.rememberMs - IDLE_ALLOWANCE_MS;
    const { records, end } = await this.readVerdicts(partition, horizon);
    return { join: new PartitionJoin(partition, this.share, this.comparer, { committedOffset, records }), verdictsEnd: end };
  }

  /** The verdicts partition's records from the first one stamped at or after `horizon` to its end (which it answers too). */
  private async readVerdicts(partition: number, horizon: number): Promise<{ records: VerdictTopicRecord[]; end: number }> {
    const topic = this.kafka.topics.verdicts;
    const only = { [topic]: [partition] };
    const [start, end] = await Promise.all([
      this.consumer.listOffsets({
        topics: [topic],
        partitions: only,
        timestamp: BigInt(Math.max(0, horizon)),
        isolationLevel: READ_COMMITTED,
      }),
      this.consumer.listOffsets({
        topics: [topic],
        partitions: only,
        timestamp: ListOffsetTimestamps.LATEST,
        isolationLevel: READ_COMMITTED,
      }),
    ]);
    const endOffset = Number(end.get(topic)?.[partition] ?? 0n);
    const found = Number(start.get(topic)?.[partition] ?? -1n);
    let position = found < 0 ? endOffset : found;
    const records: VerdictTopicRecord[] = [];
    while (position < endOffset) {
      const fetched = (await this.fetchPartitions(topic, new Map([[partition, position]]), 0, FETCH_MAX_BYTES)).get(partition);
      if (fetched === undefined || fetched.records.length === 0) break;
      for (const record of fetched.records) {
        position = record.offset + 1;
        if (record.offset >= endOffset) break;
        try {
          records.push(decodeVerdictTopicRecord(record.key, record.value));
        } catch (error) {
          for (const listener of this.listeners) listener.verdictRecordSkipped?.();
          this.log?.warn(
            { topic, partition, offset: record.offset, reason: (error as Error).message },
            'verdict record skipped in a rebuild',
          );
        }
      }
    }
    return { records, end: endOffset };
  }

  /** One step: fetch, consume, produce, commit. */
  private async step(): Promise<void> {
    const generation = this.ownedGeneration;
    const positions = new Map([...this.owned].map(([partition, join]) => [partition, join.position]));
    const fetched = await this.fetchPartitions(this.kafka.topics.legs, positions, FETCH_WAIT_MS, PARTITION_MAX_BYTES);
    if (!this.current(generation)) return;
    const outputs: JoinOutput[] = [];
    for (const [partition, join] of this.owned) {
      const got = fetched.get(partition);
      const legs: ConsumedLeg[] = (got?.records ?? []).map((record) => ({ offset: record.offset, leg: this.decode(partition, record) }));
      outputs.push(join.consume(legs));
      if (got !== undefined) this.lag.set(partition, Math.max(0, got.highWatermark - join.position));
      // Caught up: nothing more is known to have arrived, so the wall clock closes windows.
      if (got !== undefined && join.position >= got.highWatermark) outputs.push(join.closeIdle(Date.now() - IDLE_ALLOWANCE_MS));
    }
    try {
      await this.produce(outputs, generation);
    } catch (error) {
      // The joins have consumed legs whose verdicts may not be durable (even the check before the
      // send can fail, the broker gone): they are rebuilt from the log, never stepped on past them.
      this.ownedGeneration = -1;
      throw error;
    }
    if (!this.current(generation)) return;
    const moved = [...this.owned].filter(([partition, join]) => this.committed.get(partition) !== join.committableOffset);
    if (moved.length === 0) return;
    const offsets = moved.map(([partition, join]) => ({
      topic: this.kafka.topics.legs,
      partition,
      offset: BigInt(join.committableOffset),
      leaderEpoch: -1,
    }));
    await this.consumer.commit({ offsets });
    for (const { partition, offset } of offsets) this.committed.set(partition, Number(offset));
  }

  /** Whether a step begun for `generation` may still produce and commit: no rebalance started, and the client is in that generation. */
  private current(generation: number): boolean {
    return !this.fenced && generation === this.ownedGeneration && this.consumer.generationId === generation;
  }

  private decode(partition: number, record: Fetched['records'][number]): ConsumedLeg['leg'] {
    try {
      return decodeLeg(record.key, record.value);
    } catch (error) {
      this.log?.warn(
        { topic: this.kafka.topics.legs, partition, offset: record.offset, reason: (error as Error).message },
        'leg record skipped',
      );
      return null;
    }
  }

  /** Verdicts then the tally, per partition, in sends under MAX_SEND_BYTES, one at a time; a failure drops every partition's state. */
  private async produce(outputs: readonly JoinOutput[], generation: number): Promise<void> {
    const topic = this.kafka.topics.verdicts;
    const messages: Message[] = [];
    for (const output of outputs) {
      for (const verdict of output.verdicts) {
        const timestamp = BigInt(verdict.pair.resolvedAtUnixMs ?? Date.now());
        messages.push({ topic, partition: verdict.legs.partition, timestamp, ...encodeVerdict(verdict.pair, verdict.legs) });
      }
      if (output.tally !== null) {
        const join = this.owned.get(output.tally.legs.partition);
        messages.push({
          topic,
          partition: output.tally.legs.partition,
          timestamp: BigInt(join?.eventTime ?? Date.now()),
          ...encodeTally(output.tally),
        });
      }
    }
    if (messages.length > 0) {
      await this.checkVerdictsEnds(messages);
      try {
        for (const send of inSends(messages)) {
          if (!this.current(generation)) throw new Error('the partitions were revoked while their verdicts were being produced');
          await this.producer.send({ messages: send.messages });
          for (const message of send.messages) this.verdictsEnd.set(message.partition, (this.verdictsEnd.get(message.partition) ?? 0) + 1);
        }
      } catch (error) {
        // What landed is in the log, what did not is judged again: both by a rebuild.
        this.ownedGeneration = -1;
        this.replaceProducer();
        throw error;
      }
    }
    for (const listener of this.listeners) listener.produced?.(outputs);
  }

  /**
   * Before producing to a verdicts partition, checks that it ends where this worker left it. A
   * worker that owned the partition before the rebalance may have had a send in flight when it
   * stopped; if that landed after this one read the partition back, the ids it judged would be
   * judged here too, so the partitions are rebuilt first (this throws; the step's output is
   * dropped and its legs judged again by the rebuild, with the other worker's verdicts known).
   */
  private async checkVerdictsEnds(messages: readonly Message[]): Promise<void> {
    const topic = this.kafka.topics.verdicts;
    const partitions = [...new Set(messages.map((message) => message.partition))];
    const ends = await this.consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: partitions },
      timestamp: ListOffsetTimestamps.LATEST,
    });
    const moved = partitions.filter((partition) => Number(ends.get(topic)?.[partition] ?? -1n) !== this.verdictsEnd.get(partition));
    if (moved.length === 0) return;
    this.ownedGeneration = -1;
    for (const listener of this.listeners) listener.foreignVerdicts?.(moved.length);
    throw new ForeignVerdictsError(
      `verdicts partitions [${moved.join(', ')}] were written by another producer since this worker read them back; rebuilding`,
    );
  }

  private async committedOffsets(partitions: readonly number[]): Promise<Map<number, number>> {
    const offsets = new Map<number, number>();
    if (partitions.length === 0) return offsets;
    const topic = this.kafka.topics.legs;
    const [committed, earliest] = await Promise.all([
      this.consumer.listCommittedOffsets({ topics: [{ topic, partitions: [...partitions] }] }),
      this.consumer.listOffsets({ topics: [topic], partitions: { [topic]: [...partitions] }, timestamp: ListOffsetTimestamps.EARLIEST }),
    ]);
    for (const partition of partitions) {
      const start = Number(earliest.get(topic)?.[partition] ?? 0n);
      const at = Number(committed.get(topic)?.[partition] ?? -1n);
      if (at >= 0 && at < start) {
        this.log?.error(
          { topic, partition, committed: at, logStart: start },
          'legs after the committed offset were deleted by retention before they were joined (their ids are lost)',
        );
      }
      offsets.set(partition, Math.max(at, start));
    }
    return offsets;
  }

  /** Reads `topic` at the given positions with one fetch per partition leader. */
  private async fetchPartitions(
    topic: string,
    positions: ReadonlyMap<number, number>,
    maxWaitTime: number,
    partitionMaxBytes: number,
  ): Promise<Map<number, Fetched>> {
    const metadata = await this.consumer.metadata({ topics: [topic] });
    const described = metadata.topics.get(topic);
    if (described === undefined) throw new Error(`the topic ${topic} has no metadata`);
    const byLeader = new Map<number, number[]>();
    for (const partition of positions.keys()) {
      const leader = described.partitions[partition]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    const fetched = new Map<number, Fetched>();
    await Promise.all(
      [...byLeader].map(async ([node, partitions]) => {
        let response: Awaited<ReturnType<Consumer['fetch']>>;
        try {
          response = await this.consumer.fetch({
            node,
            maxWaitTime,
            minBytes: 1,
            maxBytes: FETCH_MAX_BYTES,
            isolationLevel: READ_COMMITTED,
            topics: [
              {
                topicId: described.id,
                partitions: partitions.map((partition) => ({
                  partition,
                  fetchOffset: BigInt(positions.get(partition) ?? 0),
                  partitionMaxBytes,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                })),
              },
            ],
          });
        } catch (error) {
          if (hasApiError(error, 'NOT_LEADER_OR_FOLLOWER') || hasApiError(error, 'UNKNOWN_TOPIC_OR_PARTITION'))
            this.consumer.clearMetadata();
          throw error;
        }
        for (const answer of response.responses) {
          for (const part of answer.partitions) {
            const from = positions.get(part.partitionIndex) ?? 0;
            const records: Fetched['records'] = [];
            for (const batch of part.records ?? []) {
              if ((batch.attributes & IS_CONTROL_BATCH) !== 0) continue;
              for (const record of batch.records) {
                const offset = Number(batch.firstOffset) + record.offsetDelta;
                if (offset < from) continue;
                records.push({
                  offset,
                  key: record.key ?? undefined,
                  value: record.value ?? undefined,
                  timestamp: Number(batch.firstTimestamp + record.timestampDelta),
                });
              }
            }
            fetched.set(part.partitionIndex, { records, highWatermark: Number(part.highWatermark) });
          }
        }
      }),
    );
    return fetched;
  }

  private replaceProducer(): void {
    const failed = this.producer;
    this.producer = this.newProducer();
    failed.close(true, () => {});
  }

  private newProducer(): Producer {
    return idempotentProducer(this.kafka);
  }
}
