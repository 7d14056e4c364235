import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startKafkaBroker, type KafkaBroker } from '../../devkit/kafkaBroker.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import type { BenchContext } from '../benchContext.js';
import { startChildServer, type ChildServer } from '../childServer.js';
import { alternate } from '../alternation.js';
import { BatchSequence, ingestClosedLoop, type LoadWireVersion, type RequestSource } from '../collectorLoad.js';
import { runFixedRate } from '../fixedRateClient.js';
import { cpuSeconds } from '../procStats.js';
import { RawHttpConnection } from '../rawHttpConnection.js';
import { absoluteRow, comparedRow, runsOf, type LineResult } from '../results.js';
import { percentile, spread } from '../summary.js';
import { BATCHED, COLLECTOR_SERVER_ENTRY, CONNECTIONS } from './collectorIngest.js';

const run = promisify(execFile);
const ROLE_ENTRY = resolve(import.meta.dirname, '../kafkaRoleServer.ts');
/** The roles' load stays in wire format 1, as the line's runs so far measured it; the embedded collector beside gets both. */
const ROLES_WIRE_VERSION: LoadWireVersion = 1;
/** The embedded collector's loads, in the order the rows give them: version 2 is what the filter sends by default. */
const EMBEDDED_WIRE_VERSIONS = [2, 1] as const;
/** Legs (and so verdicts) partitions: enough that two workers get two each. */
const PARTITIONS = 4;
const WORKER_COUNTS = [1, 2] as const;
/** Share of the configuration's own end-to-end rate the lag is measured at. */
const LAG_LOAD = 0.5;
/** How often the harness reads the report's count of verdicts: the lag is known to within this. */
const POLL_MS = 100;
const COUNTED = /^shadowdiff_collector_kafka_verdict_records_total\{result="counted"\} (\d+)$/m;
const OWNED = /^shadowdiff_collector_kafka_join_partitions (\d+)$/m;
/** The roles whose CPU is counted, in the order the rows give them. */
const ROLES = ['ingest', 'join', 'report', 'broker'] as const;
type Role = (typeof ROLES)[number];

/** Counts the pairs whose both legs have been handed to the client, and when (BatchSequence alternates primary, shadow). */
class PairClock implements RequestSource {
  private calls = 0;
  /** After each shadow batch: when it was sent, and the pairs sent so far. */
  readonly completions: Array<{ atMs: number; pairs: number }> = [];

  constructor(private readonly sequence: BatchSequence) {}

  nextRequest(): Buffer {
    const request = this.sequence.nextRequest();
    this.calls += 1;
    if (this.calls % 2 === 0) this.completions.push({ atMs: Date.now(), pairs: (this.calls / 2) * BATCHED });
    return request;
  }

  get pairs(): number {
    return Math.floor(this.calls / 2) * BATCHED;
  }

  /** True while a primary batch has gone out without its shadow batch. */
  get halfPair(): boolean {
    return this.calls % 2 === 1;
  }
}

interface RoleProcesses {
  ingest: ChildServer;
  join: ChildServer[];
  report: ChildServer;
}

interface ThroughputSample {
  /** Legs from the ingest's first accepted batch to the report having counted every pair, per second. */
  digestsPerSecond: number;
  failures: number;
  /** CPU seconds per 1,000 digests, by role (join: all workers together). */
  cpuPer1000: Record<Role, number>;
}

async function metricsOf(server: ChildServer): Promise<string> {
  return (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
}

async function counted(report: ChildServer): Promise<number> {
  return Number(COUNTED.exec(await metricsOf(report))?.[1] ?? 0);
}

/** Every core: the Kafka line runs its roles and the broker unpinned, as a deployment shares a node's cores. */
function allCores(): string {
  return `0-${availableParallelism() - 1}`;
}

async function startRoles(context: BenchContext, broker: KafkaBroker, workers: number, storeDir: string): Promise<RoleProcesses> {
  const tag = `bench-${process.pid}-${Date.now()}-${workers}`;
  const settings = (role: string): string =>
    JSON.stringify({
      store: { path: role === 'report' ? join(storeDir, `${tag}.sqlite`) : '' },
      kafka: {
        brokers: [broker.bootstrap],
        roles: [role],
        topics: { legs: `legs-${tag}`, verdicts: `verdicts-${tag}` },
        groupId: `join-${tag}`,
        partitions: PARTITIONS,
        replicationFactor: 1,
      },
    });
  const start = (role: string): Promise<ChildServer> => startChildServer(context.layout, allCores(), ROLE_ENTRY, [settings(role)]);
  const workerServers: ChildServer[] = [];
  const started: ChildServer[] = [];
  try {
    // The join role creates both topics; ingest and report then find them.
    for (let i = 0; i < workers; i++) workerServers.push(await start('join'));
    started.push(...workerServers);
    const ingest = await start('ingest');
    started.push(ingest);
    const report = await start('report');
    started.push(report);
    await waitUntil(
      `the ${workers} join workers to own the ${PARTITIONS} partitions and the report to read`,
      async () => {
        const owned = (await Promise.all(workerServers.map(metricsOf))).reduce((sum, text) => sum + Number(OWNED.exec(text)?.[1] ?? 0), 0);
        const ready = (await fetch(`http://127.0.0.1:${report.port}/readyz`)).status === 200;
        return owned === PARTITIONS && ready ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    return { ingest, join: workerServers, report };
  } catch (error) {
    await Promise.all(started.map((server) => server.process.stop()));
    throw error;
  }
}

async function stopRoles(roles: RoleProcesses): Promise<void> {
  await Promise.all([roles.ingest, roles.report, ...roles.join].map((server) => server.process.stop()));
}

/** Sends the shadow batch of a pair whose primary went out last, so that every pair sent can be judged at once. */
async function completePair(port: number, clock: PairClock): Promise<void> {
  if (!clock.halfPair) return;
  const connection = await RawHttpConnection.open(port);
  try {
    await connection.send(clock.nextRequest());
  } finally {
    connection.close();
  }
}

/** Waits until the report counted `pairs` verdicts; returns when (ms since the epoch). */
async function untilCounted(report: ChildServer, pairs: number): Promise<number> {
  await waitUntil(`the report to count ${pairs} verdicts`, async () => ((await counted(report)) >= pairs ? true : undefined), {
    timeoutMs: 180_000,
    intervalMs: POLL_MS,
  });
  return Date.now();
}

async function roleCpu(roles: RoleProcesses, broker: KafkaBroker): Promise<Record<Role, number>> {
  const brokerPid = broker.pid();
  if (brokerPid === undefined) throw new Error('the Kafka broker is not running');
  const join = await Promise.all(roles.join.map((server) => cpuSeconds(server.process.pid)));
  return {
    ingest: await cpuSeconds(roles.ingest.process.pid),
    join: join.reduce((sum, seconds) => sum + seconds, 0),
    report: await cpuSeconds(roles.report.process.pid),
    broker: await cpuSeconds(brokerPid),
  };
}

/**
 * One closed-loop run through ingest, join and report: the batches ingested for `seconds`, then
 * the time until the report counted every pair of them.
 */
async function throughputRun(roles: RoleProcesses, broker: KafkaBroker, seconds: number): Promise<ThroughputSample> {
  const before = await counted(roles.report);
  const clock = new PairClock(new BatchSequence(BATCHED, roles.ingest.port, ROLES_WIRE_VERSION));
  const cpuBefore = await roleCpu(roles, broker);
  const started = Date.now();
  const { failures } = await ingestClosedLoop(roles.ingest.port, clock, BATCHED, seconds, CONNECTIONS);
  await completePair(roles.ingest.port, clock);
  // A failed batch's pairs are never judged whole: wait for what was accepted (the row's failures say how many).
  const done = await untilCounted(roles.report, before + clock.pairs - failures * BATCHED);
  const cpuAfter = await roleCpu(roles, broker);
  const digests = 2 * clock.pairs - failures * BATCHED;
  const cpuPer1000 = Object.fromEntries(ROLES.map((role) => [role, ((cpuAfter[role] - cpuBefore[role]) / digests) * 1000])) as Record<
    Role,
    number
  >;
  return { digestsPerSecond: digests / ((done - started) / 1000), failures, cpuPer1000 };
}

/**
 * Fixed rate for `seconds`; for each shadow batch, from when it was sent to the first poll at
 * which the report had counted as many verdicts as pairs had been sent up to it.
 */
async function lagRun(
  roles: RoleProcesses,
  digestsPerSecond: number,
  seconds: number,
): Promise<{ lagMs: number[]; errors: number; notSentInTime: number }> {
  const before = await counted(roles.report);
  const clock = new PairClock(new BatchSequence(BATCHED, roles.ingest.port, ROLES_WIRE_VERSION));
  const polls: Array<{ atMs: number; counted: number }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      polls.push({ atMs: Date.now(), counted: (await counted(roles.report)) - before });
      await sleep(POLL_MS);
    }
  })();
  let result: Awaited<ReturnType<typeof runFixedRate>>;
  try {
    result = await runFixedRate({
      port: roles.ingest.port,
      nextRequest: () => clock.nextRequest(),
      ratePerSecond: digestsPerSecond / BATCHED,
      seconds,
      connections: CONNECTIONS,
    });
    await completePair(roles.ingest.port, clock);
    await untilCounted(roles.report, before + clock.pairs - result.errors * BATCHED);
  } finally {
    polling = false;
    await poller;
  }
  polls.push({ atMs: Date.now(), counted: (await counted(roles.report)) - before });
  const lagMs: number[] = [];
  let poll = 0;
  for (const completion of clock.completions) {
    while (poll < polls.length && (polls[poll]!.counted < completion.pairs || polls[poll]!.atMs < completion.atMs)) poll++;
    const seen = polls[poll];
    if (seen !== undefined) lagMs.push(seen.atMs - completion.atMs);
  }
  return { lagMs: lagMs.sort((a, b) => a - b), errors: result.errors, notSentInTime: result.notSentInTime };
}

type EmbeddedSample = { digestsPerSecond: number; perCore: number };

/** The embedded collector on one pinned core, ingest and join in one process, as line 6 runs it: wire versions 2 and 1 alternated. */
async function embeddedRuns(context: BenchContext): Promise<Map<`v${LoadWireVersion}`, EmbeddedSample[]>> {
  const collector = await startChildServer(context.layout, context.layout.systemCore, COLLECTOR_SERVER_ENTRY, []);
  try {
    const sequences = new Map(EMBEDDED_WIRE_VERSIONS.map((version) => [version, new BatchSequence(BATCHED, collector.port, version)]));
    const once = async (version: LoadWireVersion, seconds: number): Promise<EmbeddedSample> => {
      const cpuBefore = await cpuSeconds(collector.process.pid);
      const started = Date.now();
      const { recordsPerSecond } = await ingestClosedLoop(collector.port, sequences.get(version)!, BATCHED, seconds, CONNECTIONS);
      const coreUse = ((await cpuSeconds(collector.process.pid)) - cpuBefore) / ((Date.now() - started) / 1000);
      return { digestsPerSecond: recordsPerSecond, perCore: recordsPerSecond / coreUse };
    };
    if (context.plan.warmupSeconds > 0) for (const version of EMBEDDED_WIRE_VERSIONS) await once(version, context.plan.warmupSeconds);
    const labels = EMBEDDED_WIRE_VERSIONS.map((version) => `v${version}` as const);
    return await alternate(labels, context.plan.kafkaRuns, (label) => once(label === 'v1' ? 1 : 2, context.plan.collectorSeconds));
  } finally {
    await collector.process.stop();
  }
}

interface Configuration {
  throughput: ThroughputSample[];
  lag: Awaited<ReturnType<typeof lagRun>>;
  lagRateTarget: number;
}

/**
 * Line 10: Kafka mode end to end on a real single-node broker: ingest, 1 or 2 join workers and a
 * report, each its own Node process, loaded by export batches of 64 like line 6 (in wire format 1); the embedded
 * single process beside it in the same run.
 */
export async function measureKafkaMode(context: BenchContext): Promise<LineResult> {
  const { plan } = context;
  const line = 10;
  const broker = await startKafkaBroker();
  const storeDir = await mkdtemp(join(tmpdir(), 'shadowdiff-bench-kafka-'));
  const configurations = new Map<number, Configuration>();
  try {
    const brokerPid = broker.pid();
    // Started from the harness, the broker inherited the load core: give it every core, as the roles have.
    if (context.layout.pinned && brokerPid !== undefined) await run('taskset', ['-a', '-p', '-c', allCores(), String(brokerPid)]);
    for (const workers of WORKER_COUNTS) {
      context.log(`line ${line}: ${workers} join worker(s)`);
      const roles = await startRoles(context, broker, workers, storeDir);
      try {
        if (plan.warmupSeconds > 0) await throughputRun(roles, broker, plan.warmupSeconds);
        const throughput: ThroughputSample[] = [];
        for (let i = 0; i < plan.kafkaRuns; i++) throughput.push(await throughputRun(roles, broker, plan.collectorSeconds));
        const lagRateTarget = LAG_LOAD * spread(throughput.map((sample) => sample.digestsPerSecond)).median;
        const lag = await lagRun(roles, lagRateTarget, plan.kafkaLagSeconds);
        configurations.set(workers, { throughput, lag, lagRateTarget });
      } finally {
        await stopRoles(roles);
      }
    }
  } finally {
    await broker.stop();
    await rm(storeDir, { recursive: true, force: true });
  }
  context.log(`line ${line}: the embedded collector beside it`);
  const embedded = await embeddedRuns(context);

  const samples = new Map([...configurations].map(([workers, configuration]) => [String(workers), configuration.throughput]));
  const rate = (workers: number): number[] => runsOf(samples, String(workers), (sample) => sample.digestsPerSecond);
  const cpu = (workers: number, role: Role): number[] => runsOf(samples, String(workers), (sample) => sample.cpuPer1000[role]);
  const lagP99 = (workers: number): number => {
    const lag = configurations.get(workers)?.lag.lagMs ?? [];
    return lag.length === 0 ? Number.NaN : percentile(lag, 99);
  };
  const ingestJoinPerCore = (workers: number): number[] =>
    cpu(workers, 'ingest').map((ingest, i) => 1000 / (ingest + (cpu(workers, 'join')[i] ?? Number.NaN)));
  return {
    line,
    title: 'Kafka mode: ingest → join workers → report on a real broker, against the embedded single process',
    method:
      `A single-node Apache Kafka 4.1 broker (devkit/kafkaBroker.ts: 256 MiB heap, C1 only), topics of ${PARTITIONS} partitions; ` +
      'one ingest, 1 or 2 join workers and one report (durable store), each its own Node process (startServer, as the CLI runs it), ' +
      `the roles and the broker unpinned on every core, the load from the harness on core ${context.layout.loadCore || 'any'}. ` +
      `Throughput: ${CONNECTIONS} keep-alive POSTs of ${BATCHED} legs in flight against the ingest for ${plan.collectorSeconds} s ` +
      '(both legs of every request, a tenth diverging), digests over the time from the first POST until the report counted every ' +
      'pair; CPU seconds per 1,000 digests per role from /proc over that time (join: all workers together). ' +
      `Lag: a fixed rate at ${LAG_LOAD * 100}% of that rate for ${plan.kafkaLagSeconds} s; per batch of shadow legs, from its POST ` +
      `(≈ the ingest's arrivedUnixMs) to the first poll of the report's /metrics (every ${POLL_MS} ms) at which it had counted as many ` +
      'verdicts as pairs sent up to that batch. The 1- and 2-worker configurations run one after the other, not alternated. ' +
      `Embedded: line 6's collector on the system core, ${plan.collectorSeconds} s closed loops, digests/s over its CPU use, ` +
      'in wire format 2 as the filter sends it and in wire format 1, alternated. The roles get wire format 1 batches.',
    rows: [
      absoluteRow(line, 'digests/s ingest → join → report, 1 join worker', 'digests/s', null, rate(1)),
      comparedRow(line, 'digests/s ingest → join → report, 2 join workers vs 1', 'digests/s', null, rate(1), rate(2)),
      absoluteRow(line, 'end-to-end lag p99 at half rate, 1 join worker', 'ms', null, [lagP99(1)]),
      absoluteRow(line, 'end-to-end lag p99 at half rate, 2 join workers', 'ms', null, [lagP99(2)]),
      ...ROLES.map((role) =>
        absoluteRow(line, `CPU s per 1,000 digests, ${role}${role === 'join' ? ' (1 worker)' : ''}`, 's', null, cpu(1, role)),
      ),
      absoluteRow(line, 'CPU s per 1,000 digests, join (2 workers together)', 's', null, cpu(2, 'join')),
      absoluteRow(line, 'Kafka-mode ingest + join digests/s per core (1 worker)', 'digests/s', null, ingestJoinPerCore(1)),
      absoluteRow(
        line,
        'embedded ingest + join digests/s per core, batch 64',
        'digests/s',
        { bound: 'atLeast', limit: 200_000, on: 'measured' },
        runsOf(embedded, 'v2', (sample) => sample.perCore),
      ),
      absoluteRow(
        line,
        'embedded ingest + join digests/s per core, batch 64, wire v1',
        'digests/s',
        null,
        runsOf(embedded, 'v1', (sample) => sample.perCore),
      ),
    ],
    details: {
      configurations: Object.fromEntries(
        [...configurations].map(([workers, { throughput, lag, lagRateTarget }]) => [
          `${workers} join worker(s)`,
          {
            throughput,
            lag: {
              digestsPerSecondTarget: lagRateTarget,
              batches: lag.lagMs.length,
              p50Ms: lag.lagMs.length === 0 ? null : percentile(lag.lagMs, 50),
              p99Ms: lag.lagMs.length === 0 ? null : percentile(lag.lagMs, 99),
              errors: lag.errors,
              notSentInTime: lag.notSentInTime,
            },
          },
        ]),
      ),
      embedded: Object.fromEntries(embedded),
    },
  };
}
