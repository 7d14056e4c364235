// Kafka mode's join role: a member of the consumer group `kafka.groupId` on the legs topic that
// joins the legs of the partitions the group gives it (PartitionJoin, one per partition) and
// produces their verdicts and tallies to the same partition number of the verdicts topic.
//
// Exactly one verdict per id, no leg lost:
// - One loop, one step at a time: fetch the owned partitions' legs, consume them, and for each
//   partition one Kafka transaction (PartitionProducer: a transactional id per legs partition)
//   holding what its legs settled (verdicts and tally, acks=all) and its legs offset, committed
//   in the consumer group at the committable offset (the first leg still pending). A crash
//   anywhere loses nothing: the legs after the committed offset are read again by whoever owns
//   the partition next, and what an unfinished transaction wrote is aborted.
// - Whoever takes a partition (every assignment, since the classic protocol revokes everything
//   at a rebalance) first takes its transactional id, which fences the previous owner (its late
//   sends and commits are refused, its open transaction aborted), then rebuilds it from the log,
//   read_committed: the committed offset, then the verdicts partition from a point covering the
//   remembered horizon (verdict records carry their resolution time as their timestamp, so
//   offsetsForTimes finds it), then the legs from the committed offset through the rebuilt join
//   (PartitionJoin says why nothing is judged twice). No other producer can have written to the
//   partition's verdicts since that read: the log this worker rebuilt from is the whole story.
// - When the group starts a rebalance, the worker stops producing at once (the client rejoins on
//   its own; nothing is produced until the new assignment is rebuilt), and a step whose
//   generation changed while it ran aborts its transactions. A transaction that fails drops every
//   partition's state: they are taken and rebuilt from the log again, so what committed is not
//   produced again and what did not is judged again. A fenced one means another worker took the
//   partition: its sends are never retried, and the worker waits a few heartbeats before it takes
//   any partition again, so that if it is the one the group dropped it learns so first.
//
// The consumer group is used for membership only (the offsets are committed by the
// transactions); legs are read with explicit fetches at the positions the joins expect, so no
// record buffered for an old assignment is consumed.

import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, ListOffsetTimestamps, type GroupAssignment } from '@platformatic/kafka';
import { FieldRows } from '../compare/fieldRows.js';
import { PairComparer } from '../compare/pairComparer.js';
import type { ToleranceConfig } from '../compare/tolerance.js';
import type { KafkaConfig } from '../configSchema.js';
import type { CollectorConfig, IgnoreConfig } from '../types.js';
import { committedBatches, nextOffset } from './committedBatches.js';
import { hasApiError, isFenced, kafkaErrorMessage, needsRejoin } from './kafkaErrors.js';
import { decodeLeg } from './legRecord.js';
import { PartitionProducer, type TransactionHold, type VerdictMessage } from './partitionProducer.js';
import { PartitionJoin, partitionShare, type ConsumedLeg, type JoinOutput, type PartitionJoinSettings } from './partitionJoin.js';
import { SEND_RETRIES, SEND_RETRY_DELAY_MS } from './sends.js';
import { joinStallMs, REBALANCE_TIMEOUT_MS, StepAge } from './stepAge.js';
import { ensureLegsTopic, ensureVerdictsTopic } from './topics.js';
import { decodeVerdictTopicRecord, encodeOrphaned, encodeTally, encodeVerdict, type VerdictTopicRecord } from './verdictRecord.js';

/** While a partition is caught up, its clock follows the wall clock less this: legs still on their way from an ingest instance are not missed. */
export const IDLE_ALLOWANCE_MS = 2000;
/** A fetch waits this long for legs before answering empty (and the idle windows are closed). */
const FETCH_WAIT_MS = 250;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
/** After a failed step, the worker waits this long before the next (the brokers may be restarting). */
const RETRY_AFTER_MS = 500;
const HEARTBEAT_INTERVAL_MS = 1000;
/**
 * After a fenced transaction, the worker waits this long before it takes partitions again: if the
 * group dropped it (a stall longer than the session timeout), its next heartbeat says so and it
 * rejoins instead of taking back, and fencing, what the group gave another worker.
 */
const FENCED_PAUSE_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** Every read of the worker sees committed transactions only: an aborted one (a fenced owner's) never happened. */
const READ_COMMITTED = FetchIsolationLevels.READ_COMMITTED;

export interface JoinLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** What one step made durable, and rebuilds, for the metrics. */
export interface JoinListener {
  /** what one partition's committed transaction held */
  produced?(outputs: readonly JoinOutput[]): void;
  rebuilt?(partitions: number, seconds: number): void;
  verdictRecordSkipped?(): void;
  /** transactions refused because another producer took the partition's transactional id (its new owner) */
  fenced?(transactions: number): void;
}

export interface JoinHealth {
  healthy: boolean;
  lastError: string;
}

interface Fetched {
  /** the committed (or non-transactional) records from the fetch offset on */
  records: Array<{ offset: number; key: Buffer | undefined; value: Buffer | undefined; timestamp: number }>;
  /** where the next fetch starts: after the answer's last batch, transaction markers and aborted batches included (null: an empty answer) */
  next: number | null;
  highWatermark: number;
}

export class JoinWorker {
  private readonly consumer: Consumer;
  /** the transactional producer of each partition taken for the latest rebuild */
  private readonly producers = new Map<number, PartitionProducer>();
  private readonly comparer: PairComparer;
  private readonly share: PartitionJoinSettings;
  private readonly owned = new Map<number, PartitionJoin>();
  /** the generation the owned joins were rebuilt for; -1: none (rebuild what the group gives) */
  private ownedGeneration = -1;
  /** the group's latest assignment of the legs topic, as the client announced it */
  private assignment: { generation: number; partitions: number[] } = { generation: -1, partitions: [] };
  /** the assignment's generation when the group last started a rebalance: nothing is produced until a later one is rebuilt */
  private fencedAt = -2;
  /** when the worker was last fenced: a join that has not come a session timeout later is not coming */
  private fencedSinceMs = 0;
  /** what each owned partition last committed, so an idle step commits nothing */
  private readonly committed = new Map<number, number>();
  private readonly lag = new Map<number, number>();
  private health: JoinHealth = { healthy: true, lastError: '' };
  private readonly stepAge: StepAge;
  private readonly listeners: JoinListener[] = [];
  private closing = false;
  /** set when the client's membership is lost or its heartbeat stopped: the loop joins the group again before anything else */
  private rejoin = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private log: JoinLogger | null = null;

  private constructor(
    private readonly config: CollectorConfig,
    private readonly kafka: KafkaConfig,
    partitions: number,
    private readonly hold: TransactionHold | undefined,
  ) {
    this.comparer = new PairComparer(config, new FieldRows(config.compare));
    this.share = partitionShare(config, partitions);
    this.stepAge = new StepAge(() => performance.now(), joinStallMs(kafka));
    this.consumer = new Consumer({
      clientId: kafka.clientId,
      groupId: kafka.groupId,
      bootstrapBrokers: kafka.brokers,
      retries: SEND_RETRIES,
      retryDelay: SEND_RETRY_DELAY_MS,
      timeout: kafka.produceTimeoutMs,
      sessionTimeout: kafka.sessionTimeoutMs,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
    });
    this.consumer.topics.trackAll(kafka.topics.legs);
    this.consumer.on('consumer:group:join', ({ generationId, assignments }) => this.assigned(generationId ?? -1, assignments ?? []));
    this.consumer.on('consumer:group:rebalance', () => this.fence());
    this.consumer.on('consumer:group:leave', () => this.fence());
    // The client (1.35.0) stops heartbeating after a heartbeat fails other than with a group error
    // (the broker unreachable, restarting): it cancels its timer and never sets it again, so the
    // coordinator drops the member after sessionTimeoutMs and the client never rejoins. The worker
    // joins again itself; until then it produces nothing.
    this.consumer.on('consumer:heartbeat:error', () => {
      this.rejoin = true;
      this.wake?.();
    });
    // After a heartbeat's group error the client rejoins on its own; when that fails (its retries
    // spent, the broker away) it emits 'error' and, again, never heartbeats. Unheard, the event
    // would be thrown (an EventEmitter's 'error'), out of a socket callback: the process would
    // crash. The worker joins again itself, as after a failed heartbeat.
    this.consumer.on('error', (error: unknown) => {
      this.log?.warn({ err: error }, `the consumer group client could not join again (${kafkaErrorMessage(error)}); joining again`);
      this.rejoin = true;
      this.wake?.();
    });
  }

  /**
   * Checks the legs topic (created when missing, refused when its retention cannot serve) and
   * creates the verdicts topic with its partition count (refused when an existing one differs).
   * Throws the client's error or TopicError; start() then joins the group. `hold` is a test seam
   * (PartitionProducer's `TransactionHold`), unset in production.
   */
  static async open(config: CollectorConfig, kafka: KafkaConfig, hold?: TransactionHold): Promise<JoinWorker> {
    await ensureLegsTopic(kafka, config.join.windowMs);
    const partitions = await ensureVerdictsTopic(kafka);
    return new JoinWorker(config, kafka, partitions, hold);
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

  /** Seconds since the worker last stepped on its partitions, or last had none assigned. */
  get lastStepAgeSeconds(): number {
    return this.stepAge.seconds;
  }

  /** Why the worker counts as stalled (partitions assigned, no step for longer than `kafka.joinStallMs`), or null. */
  stall(): string | null {
    return this.stepAge.stall(this.assignment.partitions);
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

  /** Finishes the step under way (its transactions committed or aborted), leaves the group and closes the clients. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake?.();
    await this.loop;
    // Leaving lets the group give the partitions to the others at once rather than after the session timeout.
    await new Promise<void>((resolve) => this.consumer.leaveGroup(true, () => resolve()));
    await new Promise<void>((resolve) => this.consumer.close(true, () => resolve()));
    await this.closeProducers();
  }

  private assigned(generation: number, assignments: readonly GroupAssignment[]): void {
    const partitions = assignments.find((assignment) => assignment.topic === this.kafka.topics.legs)?.partitions ?? [];
    this.assignment = { generation, partitions: [...partitions].sort((a, b) => a - b) };
    this.wake?.();
  }

  private fence(): void {
    this.fencedAt = this.assignment.generation;
    this.fencedSinceMs = performance.now();
    this.wake?.();
  }

  private get fenced(): boolean {
    return this.fencedAt >= this.assignment.generation;
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        if (this.rejoin) {
          await this.joinAgain();
          continue;
        }
        if (this.ownedGeneration !== this.assignment.generation && !this.fenced) {
          await this.rebuild();
          continue;
        }
        if (this.owned.size === 0 || this.fenced) {
          if (this.assignment.partitions.length === 0) this.stepAge.stepped();
          // The client rejoins on its own after a rebalance or a group error of its heartbeat (and
          // says so, 'error', when that join fails); a join that has still not come a session
          // timeout later is not coming, whatever the reason: the bound on waiting for one.
          if (this.fenced && performance.now() - this.fencedSinceMs > this.kafka.sessionTimeoutMs) this.rejoin = true;
          await this.pause(FETCH_WAIT_MS);
          continue;
        }
        await this.step();
        this.health = { healthy: true, lastError: '' };
      } catch (error) {
        const reason = kafkaErrorMessage(error);
        if (isFenced(error)) {
          this.log?.warn(
            { partitions: this.partitions },
            `join step abandoned: another worker took a partition's transactional id (${reason}); its sends are not retried, the partitions are taken again from the log if the group still assigns them`,
          );
          await this.pause(FENCED_PAUSE_MS);
          continue;
        }
        if (needsRejoin(error)) {
          // The group coordinator no longer counts this member in its generation (UNKNOWN_MEMBER_ID,
          // ILLEGAL_GENERATION, a rebalance): nothing more is produced until the worker has joined
          // again and rebuilt the new assignment.
          this.rejoin = true;
          this.log?.info({ partitions: this.partitions }, `join step abandoned: the consumer group must be joined again (${reason})`);
          continue;
        }
        this.health = { healthy: false, lastError: `the join worker cannot reach Kafka: ${reason}` };
        this.log?.error({ err: error, partitions: this.partitions }, `join step failed (${reason}); retrying`);
        await this.pause(RETRY_AFTER_MS);
      }
    }
  }

  /**
   * Joins the group again (a new generation: the client announces its assignment, which is then
   * taken and rebuilt). Fenced meanwhile: the partitions may already be another member's.
   */
  private async joinAgain(): Promise<void> {
    this.fence();
    this.ownedGeneration = -1;
    await this.consumer.joinGroup({});
    this.rejoin = false;
    // The client announced the assignment before resolving; a member rejoining a stable group may
    // get the same generation back, which must not stay fenced.
    this.fencedAt = Math.min(this.fencedAt, this.assignment.generation - 1);
    this.log?.info({ generation: this.consumer.generationId }, 'join worker joined the consumer group again');
  }

  /** Sleeps up to `ms`, or until an assignment, a rebalance or close() wakes it. */
  private async pause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.wake = () => controller.abort();
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => {});
    this.wake = null;
  }

  /**
   * Drops every partition's state and producer, takes the partitions of the latest assignment
   * (each one's transactional id, afresh even when this worker owned it before: another may have
   * since), then rebuilds them from the log.
   */
  private async rebuild(): Promise<void> {
    const { generation, partitions } = this.assignment;
    this.owned.clear();
    this.lag.clear();
    this.committed.clear();
    this.ownedGeneration = -1;
    await this.closeProducers();
    const started = performance.now();
    const taken = await Promise.allSettled(partitions.map((partition) => PartitionProducer.take(this.kafka, partition, this.hold)));
    for (const result of taken) if (result.status === 'fulfilled') this.producers.set(result.value.partition, result.value);
    const refused = taken.find((result) => result.status === 'rejected');
    if (refused !== undefined) throw refused.reason;
    const committed = await this.committedOffsets(partitions);
    const rebuilt = await Promise.all(partitions.map((partition) => this.rebuildPartition(partition, committed.get(partition) ?? 0)));
    // Another rebalance meanwhile: its assignment is rebuilt next.
    if (this.assignment.generation !== generation || this.fenced) return;
    for (const join of rebuilt) {
      this.owned.set(join.partition, join);
      this.committed.set(join.partition, join.committableOffset);
    }
    this.ownedGeneration = generation;
    const seconds = (performance.now() - started) / 1000;
    for (const listener of this.listeners) listener.rebuilt?.(partitions.length, seconds);
    this.log?.info(
      { generation, partitions, pending_legs: this.pendingLegs, seconds },
      `join worker owns legs partitions [${partitions.join(', ')}] of ${this.kafka.topics.legs}, rebuilt from the log`,
    );
  }

  private async rebuildPartition(partition: number, committedOffset: number): Promise<PartitionJoin> {
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
    const records = await this.readVerdicts(partition, horizon);
    return new PartitionJoin(partition, this.share, this.comparer, { committedOffset, records });
  }

  /** The verdicts partition's committed records from the first one stamped at or after `horizon` to its last stable offset. */
  private async readVerdicts(partition: number, horizon: number): Promise<VerdictTopicRecord[]> {
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
      if (fetched === undefined || fetched.next === null) break;
      position = fetched.next;
      for (const record of fetched.records) {
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
    return records;
  }

  /** One step: fetch, consume, then one transaction per partition with something to produce or commit. */
  private async step(): Promise<void> {
    const generation = this.ownedGeneration;
    const positions = new Map([...this.owned].map(([partition, join]) => [partition, join.position]));
    const fetched = await this.fetchPartitions(this.kafka.topics.legs, positions, FETCH_WAIT_MS, PARTITION_MAX_BYTES);
    if (!this.current(generation)) return;
    const steps: Array<Promise<void>> = [];
    for (const [partition, join] of this.owned) {
      const got = fetched.get(partition);
      const legs: ConsumedLeg[] = (got?.records ?? []).map((record) => ({ offset: record.offset, leg: this.decode(partition, record) }));
      const outputs = [join.consume(legs)];
      if (got !== undefined) this.lag.set(partition, Math.max(0, got.highWatermark - join.position));
      // Caught up: nothing more is known to have arrived, so the wall clock closes windows.
      if (got !== undefined && join.position >= got.highWatermark) outputs.push(join.closeIdle(Date.now() - IDLE_ALLOWANCE_MS));
      steps.push(this.commitPartition(join, outputs, generation));
    }
    const failed = (await Promise.allSettled(steps)).flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failed.length === 0) {
      // A partition revoked meanwhile is rebuilt before the worker counts as having stepped.
      if (this.ownedGeneration === generation) this.stepAge.stepped();
      return;
    }
    // The joins have consumed legs whose transaction did not commit: every partition is taken and
    // rebuilt from the log again, never stepped on past them.
    this.ownedGeneration = -1;
    const fenced = failed.filter(isFenced);
    if (fenced.length > 0) for (const listener of this.listeners) listener.fenced?.(fenced.length);
    throw fenced[0] ?? failed[0];
  }

  /** The partition's transaction: its verdicts, orphaned secondaries, then its tally, and its committable offset when it moved. */
  private async commitPartition(join: PartitionJoin, outputs: readonly JoinOutput[], generation: number): Promise<void> {
    const { partition } = join;
    const topic = this.kafka.topics.verdicts;
    const messages: VerdictMessage[] = [];
    for (const output of outputs) {
      for (const verdict of output.verdicts) {
        const timestamp = BigInt(verdict.pair.resolvedAtUnixMs ?? Date.now());
        messages.push({ topic, partition, timestamp, ...encodeVerdict(verdict.pair, verdict.legs) });
      }
      for (const orphaned of output.orphaned)
        messages.push({ topic, partition, timestamp: BigInt(orphaned.resolvedAtUnixMs), ...encodeOrphaned(orphaned) });
      if (output.tally !== null) messages.push({ topic, partition, timestamp: BigInt(join.eventTime), ...encodeTally(output.tally) });
    }
    const next = join.committableOffset;
    const moved = this.committed.get(partition) !== next;
    if (messages.length === 0 && !moved) return;
    const producer = this.producers.get(partition);
    if (producer === undefined) throw new Error(`legs partition ${partition} is owned without its transactional producer`);
    const consumed = moved ? { consumer: this.consumer, topic: this.kafka.topics.legs, next } : null;
    if (!(await producer.commit(messages, consumed, () => this.current(generation)))) {
      // Revoked meanwhile, the transaction aborted: the partition is rebuilt for the new assignment.
      this.ownedGeneration = -1;
      return;
    }
    this.committed.set(partition, next);
    for (const listener of this.listeners) listener.produced?.(outputs);
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
            const batches = part.records ?? [];
            const records: Fetched['records'] = [];
            for (const batch of committedBatches(batches, part.abortedTransactions)) {
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
            fetched.set(part.partitionIndex, { records, next: nextOffset(batches), highWatermark: Number(part.highWatermark) });
          }
        }
      }),
    );
    return fetched;
  }

  /** Closes every partition's producer without ending its transaction: whoever takes the partition next aborts it. */
  private async closeProducers(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((producer) => producer.close()));
  }
}
