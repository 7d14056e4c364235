/**
 * Finds the Apache Kafka broker the tests run (KRaft, single node): its jars from Maven Central,
 * resolved by `mvn dependency:build-classpath` over devkit/kafka/pom.xml, and the `java` that runs
 * them. The resolved classpath is cached in .kafka/ (ignored by git), keyed by the pom's content,
 * so only the first run (or a changed pom) asks Maven; a cache whose jars have gone (a wiped
 * ~/.m2) is resolved again. With `install`, a missing classpath is resolved; without, its absence
 * is an error naming the provisioning command. There is no Docker here, and Maven Central ships
 * the broker.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './paths.js';

const run = promisify(execFile);

export const KAFKA_VERSION = '4.1.1';
/** Kafka 4's broker needs Java 17 or later. */
const MIN_JAVA_MAJOR = 17;
export const KAFKA_POM = join(PROJECT_ROOT, 'devkit', 'kafka', 'pom.xml');
export const KAFKA_LOG_CONFIG = join(PROJECT_ROOT, 'devkit', 'kafka', 'log4j2.yaml');
const CACHE_DIR = join(PROJECT_ROOT, '.kafka');
const CACHE_FILE = join(CACHE_DIR, `classpath-${KAFKA_VERSION}.json`);
const PROVISION_COMMAND = 'npx tsx scripts/provisionTestTools.ts';

export interface KafkaInstallation {
  /** The java binary that runs the broker. */
  java: string;
  /** The broker's jars, in Maven's order. */
  classpath: string[];
}

export interface FindKafkaOptions {
  /** Resolve the broker's jars with Maven when no cached classpath is valid. */
  install: boolean;
  /** Told what a slow step (the resolution) is doing; the default says nothing. */
  onProgress?: (line: string) => void;
}

interface CachedClasspath {
  version: string;
  pomSha256: string;
  classpath: string[];
}

export async function findKafka({ install, onProgress = () => {} }: FindKafkaOptions): Promise<KafkaInstallation> {
  const java = await findJava();
  const pomSha256 = createHash('sha256')
    .update(await readFile(KAFKA_POM))
    .digest('hex');
  const cached = await readCache(pomSha256);
  if (cached !== undefined) return { java, classpath: cached };
  if (!install) {
    throw new Error(`Apache Kafka ${KAFKA_VERSION} is not provisioned (no valid ${CACHE_FILE}): run \`${PROVISION_COMMAND}\``);
  }
  onProgress(`resolving Apache Kafka ${KAFKA_VERSION} from Maven Central (${KAFKA_POM})`);
  const classpath = await resolveClasspath();
  await mkdir(CACHE_DIR, { recursive: true });
  const entry: CachedClasspath = { version: KAFKA_VERSION, pomSha256, classpath };
  // Written whole or not at all: a run interrupted mid-write must not leave a cache that parses.
  await writeFile(`${CACHE_FILE}.tmp`, `${JSON.stringify(entry, null, 2)}\n`);
  await rename(`${CACHE_FILE}.tmp`, CACHE_FILE);
  return { java, classpath };
}

const memoized = new Map<boolean, Promise<KafkaInstallation>>();

/** findKafka, once per process and install mode. */
export function kafkaInstallation(install: boolean): Promise<KafkaInstallation> {
  let found = memoized.get(install);
  if (found === undefined) {
    found = findKafka({ install });
    memoized.set(install, found);
  }
  return found;
}

async function findJava(): Promise<string> {
  const home = process.env['JAVA_HOME'];
  const java = home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
  let output: string;
  try {
    // `java -version` prints to stderr.
    const { stdout, stderr } = await run(java, ['-version']);
    output = `${stdout}${stderr}`;
  } catch (error) {
    throw new Error(
      `Apache Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA_MAJOR}+, and ${java} does not run (${describe(error)}): ` +
        'install a JRE (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME',
    );
  }
  const major = Number(/version "(\d+)/.exec(output)?.[1] ?? Number.NaN);
  if (!(major >= MIN_JAVA_MAJOR)) {
    throw new Error(`Apache Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA_MAJOR}+, but ${java} is: ${output.split('\n')[0]?.trim()}`);
  }
  return java;
}

async function readCache(pomSha256: string): Promise<string[] | undefined> {
  let entry: CachedClasspath;
  try {
    entry = JSON.parse(await readFile(CACHE_FILE, 'utf8')) as CachedClasspath;
  } catch {
    return undefined; // none yet, or unreadable: resolve again
  }
  if (entry.version !== KAFKA_VERSION || entry.pomSha256 !== pomSha256 || !Array.isArray(entry.classpath)) return undefined;
  if (entry.classpath.length === 0) return undefined;
  for (const jar of entry.classpath) {
    try {
      await access(jar);
    } catch {
      return undefined;
    }
  }
  return entry.classpath;
}

async function resolveClasspath(): Promise<string[]> {
  const output = join(CACHE_DIR, `classpath-${process.pid}.txt`);
  await mkdir(CACHE_DIR, { recursive: true });
  try {
    await run('mvn', ['-q', '-B', '-f', KAFKA_POM, 'dependency:build-classpath', `-Dmdep.outputFile=${output}`], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(
      `could not resolve Apache Kafka ${KAFKA_VERSION} with Maven (needs mvn on PATH and access to Maven Central; ` +
        `apt-get install -y maven): ${describe(error)}`,
    );
  }
  const text = await readFile(output, 'utf8');
  await rm(output, { force: true });
  const classpath = text
    .trim()
    .split(delimiter)
    .filter((jar) => jar !== '');
  if (!classpath.some((jar) => jar.includes(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new Error(`Maven resolved ${classpath.length} jars for ${KAFKA_POM} but not kafka_2.13-${KAFKA_VERSION}.jar`);
  }
  return classpath;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const { stdout, stderr } = error as Error & { stdout?: unknown; stderr?: unknown };
    // Maven reports resolution failures on stdout, even with -q.
    const said = [stderr, stdout].find((text): text is string => typeof text === 'string' && text.trim() !== '');
    return said === undefined ? error.message : `${error.message.split('\n')[0]}: ${said.trim().split('\n').slice(-5).join(' ')}`;
  }
  return String(error);
}
