// Real Envoy exporting to Kafka mode's ingest role on a real broker, and the broker going away
// while traffic flows: clients see nothing of it, every record digested meanwhile is counted as
// lost by the filter (the ingest role answers 503 KAFKA_UNAVAILABLE instead of acknowledging what
// Kafka did not), and export resumes once the broker is back. Every record the filter counts as
// exported is on the legs topic.
import { Consumer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../collector/config.js';
import { startServer, type RunningServer } from '../../collector/http/server.js';
import { decodeLeg } from '../../collector/kafka/legRecord.js';
import { COLLECTOR_CLUSTER } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';
import { startKafkaBroker, type KafkaBroker } from '../../devkit/kafkaBroker.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';
import { pathsOf, sendChecked, wideJsonService } from './checkedTraffic.js';
import { lost, settledLedger, type ExportLedger, type Role } from './exportLedger.js';

const faultExport: JsonObject = { batchSize: 16, maxQueue: 64, flushIntervalMs: 50, maxInflight: 2 };
const faultCollector: JsonObject = { cluster: COLLECTOR_CLUSTER, timeoutMs: 2000 };
const edgeConfig = { ...testEdgeConfig(cohortSampling({ always: 100 })), collector: faultCollector, export: faultExport };
const shadowConfig = { ...testShadowConfig(), collector: faultCollector, export: faultExport };
const ROLES: readonly Role[] = ['edge', 'shadow'];
const LEGS_TOPIC = 'shadowdiff.legs';

const WARM_UP = 100;
const DURING_OUTAGE = 200;
const AFTER_RECOVERY = 40;

let broker: KafkaBroker;
let ingest: RunningServer;
let stack: Stack;

beforeAll(async () => {
  broker = await startKafkaBroker();
  ingest = await startServer(
    parseConfig({
      listen: { port: 0 },
      logLevel: 'silent',
      // Answers before the filter's 2 s export timeout, so the filter sees the 503.
      kafka: { brokers: [broker.bootstrap], roles: ['ingest'], partitions: 4, replicationFactor: 1, produceTimeoutMs: 1000 },
    }),
  );
  stack = await startStack({
    edgeConfig,
    shadowConfig,
    collectorEndpoint: { address: '127.0.0.1', port: Number(new URL(ingest.url).port) },
    primaryHandler: wideJsonService,
    shadowHandler: wideJsonService,
  });
});

afterAll(async () => {
  await stack?.stop();
  await ingest?.close();
  await broker?.stop();
});

dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

async function ledgers(digested: number): Promise<Record<Role, ExportLedger>> {
  return { edge: await settledLedger(stack.envoy, 'edge', digested), shadow: await settledLedger(stack.envoy, 'shadow', digested) };
}

/** How many legs the topic holds, read from the start (at least `atLeast`, waiting for them). */
async function legsOnTopic(atLeast: number): Promise<number> {
  const consumer = new Consumer({ clientId: 'outage-test', groupId: `outage-test-${Date.now()}`, bootstrapBrokers: [broker.bootstrap] });
  try {
    const stream = await consumer.consume({ topics: [LEGS_TOPIC], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
    let count = 0;
    for await (const message of stream) {
      decodeLeg(message.key, message.value);
      count += 1;
      if (count >= atLeast) break;
    }
    await stream.close();
    return count;
  } finally {
    await consumer.close(true);
  }
}

describe('Kafka ingest role when the broker goes away under traffic', () => {
  it('the filter counts every record of the outage as lost, export resumes after it, and what it exported is on the topic', async () => {
    expect(await sendChecked(stack, pathsOf('/warm', WARM_UP))).toEqual([]);
    const baseline = await ledgers(WARM_UP);
    for (const role of ROLES) {
      expect(baseline[role].exported + lost(baseline[role]), role).toBe(WARM_UP);
      expect(baseline[role].exported, role).toBeGreaterThan(WARM_UP / 2);
    }

    await broker.halt();
    expect(await sendChecked(stack, pathsOf('/outage', DURING_OUTAGE))).toEqual([]);
    const during = await ledgers(WARM_UP + DURING_OUTAGE);
    for (const role of ROLES) {
      // Nothing acknowledged while Kafka was gone, and every record digested meanwhile is counted as lost.
      expect(during[role].exported, role).toBe(baseline[role].exported);
      expect(lost(during[role]) - lost(baseline[role]), role).toBe(DURING_OUTAGE);
      expect(during[role].exportFailures, role).toBeGreaterThan(baseline[role].exportFailures);
    }
    const rejects = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(rejects).toMatch(/shadowdiff_collector_rejects_total\{code="KAFKA_UNAVAILABLE"\} [1-9]/);

    await broker.resume();
    await waitUntil(
      'the ingest role to be ready again',
      async () => ((await fetch(`${ingest.url}/readyz`)).status === 200 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    expect(await sendChecked(stack, pathsOf('/recovered', AFTER_RECOVERY))).toEqual([]);
    const recovered = await ledgers(WARM_UP + DURING_OUTAGE + AFTER_RECOVERY);
    for (const role of ROLES) {
      expect(recovered[role].exported - during[role].exported + lost(recovered[role]) - lost(during[role]), role).toBe(AFTER_RECOVERY);
      expect(recovered[role].exported, role).toBeGreaterThan(during[role].exported);
    }

    // Every record the filter saw acknowledged is on the topic (a 503'd batch may have left some too).
    const exported = recovered.edge.exported + recovered.shadow.exported;
    expect(await legsOnTopic(exported)).toBeGreaterThanOrEqual(exported);
  });
});
