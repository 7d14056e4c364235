/**
 * A single-node Apache Kafka broker (KRaft: one process is broker and controller) on free loopback
 * ports in a temp dir, for the suites that need a real Kafka. Its storage is formatted once, it is
 * ready when it logs that it started, and `stop()` kills it and removes its dir. `halt()` and
 * `resume()` stop it and start it again on the same dir and ports, so a test can take the broker
 * away from a client and give it back. Memory stays modest (a 256 MiB heap, 1 MiB segments, one
 * network thread) because the machine is shared.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaInstallation, KAFKA_LOG_CONFIG } from './findKafka.js';
import { freePort } from './freePort.js';
import { startProcess, type ManagedProcess } from './managedProcess.js';
import { waitUntil } from './waitUntil.js';

export interface KafkaBroker {
  /** `127.0.0.1:<port>`, for a client's bootstrap brokers. */
  readonly bootstrap: string;
  /** The broker process while it runs. */
  pid(): number | undefined;
  /** What the broker printed (its warnings, errors and the started line), for a failed test. */
  output(): string;
  /** Stops the broker (SIGTERM, then SIGKILL) and keeps its data for `resume()`. */
  halt(): Promise<void>;
  /** Starts the halted broker again on the same data and ports; resolves once it is ready. */
  resume(): Promise<void>;
  /** Stops the broker and removes its data; idempotent. */
  stop(): Promise<void>;
}

export interface KafkaBrokerOptions {
  /** How long the start may take; a loaded two-core machine needs far more than an idle one. */
  readyTimeoutMs?: number;
}

/** What the broker logs once it serves (kafka.server.KafkaRaftServer, kept at INFO by devkit/kafka/log4j2.yaml). */
const STARTED_LINE = 'Kafka Server started';
const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx256m',
  // One collector thread and C1 only: the broker starts sooner and takes less of the shared cores.
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${KAFKA_LOG_CONFIG}`,
];

export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const { java, classpath } = await kafkaInstallation(false);
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(dir, 'server.properties');
  await writeFile(properties, serverProperties({ port, controllerPort, logDir: join(dir, 'data') }));
  const javaArgs = (main: string, ...args: string[]): string[] => [...JVM_OPTIONS, '-cp', classpath.join(':'), main, ...args];
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;

  let broker: ManagedProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = startProcess('kafka', java, javaArgs('kafka.Kafka', properties), { cwd: dir, outputTailBytes: 64 * 1024 });
    broker = started;
    await waitUntil(
      `the Kafka broker on 127.0.0.1:${port} to start`,
      () => {
        if (started.output().includes(STARTED_LINE)) return true;
        if (!started.alive())
          throw new Error(`the Kafka broker exited (code ${started.exitCode()}) before it started:\n${started.output()}`);
        return undefined;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 100 },
    );
  };

  let removed = false;
  const stop = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const format = startProcess(
      'kafka-storage',
      java,
      javaArgs('kafka.tools.StorageTool', 'format', '-t', kafkaClusterId(), '-c', properties),
      {
        cwd: dir,
      },
    );
    await waitUntil('the Kafka storage format', () => (format.alive() ? undefined : true), { timeoutMs: readyTimeoutMs, intervalMs: 100 });
    if (format.exitCode() !== 0) throw new Error(`formatting the Kafka storage failed (code ${format.exitCode()}):\n${format.output()}`);
    await launch();
  } catch (error) {
    const output = broker?.output() ?? '';
    await stop();
    throw output === '' || (error as Error).message.includes(output) ? error : new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    bootstrap: `127.0.0.1:${port}`,
    pid: () => (broker?.alive() === true ? broker.pid : undefined),
    output: () => broker?.output() ?? '',
    halt: async () => {
      await broker?.stop();
    },
    resume: async () => {
      if (removed) throw new Error('the Kafka broker was stopped for good');
      if (broker?.alive() === true) return;
      await launch();
    },
    stop,
  };
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid`
 * prints). Never one that starts with `-`: the tool's argument parser would take it for an option
 * (1 start in 64 failed so), which is why Kafka's own `Uuid.randomUuid()` draws again too.
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties({ port, controllerPort, logDir }: { port: number; controllerPort: number; logDir: string }): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    // Topics are created by whoever uses them, with the partitions they ask for.
    'auto.create.topics.enable': 'false',
    'num.partitions': 1,
    // One node: every internal topic has one replica.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Consumer groups of a test start at once instead of after 3 s.
    'group.initial.rebalance.delay.ms': 0,
    // Small and few: a test writes little, and the machine is shared.
    'log.segment.bytes': 1048576,
    'num.network.threads': 1,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 2097152,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}
