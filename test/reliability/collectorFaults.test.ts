// A collector that fails in each way a network service can, between Envoy and the real collector:
// clients see nothing of it, every record digested meanwhile is counted as lost by the filter,
// the queue cap keeps Envoy's memory flat, and export resumes once the collector is back.
import { afterEach, describe, expect, it } from 'vitest';
import { COLLECTOR_CLUSTER } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { headerValue } from '../support/headers.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { pathsOf, sendChecked, wideJsonService } from './checkedTraffic.js';
import { envoyMemory, inMiB, MiB } from './envoyMemory.js';
import { deepestQueuesDuring, lost, settledLedger } from './exportLedger.js';
import { startFaultyEndpoint, type Fault, type FaultyEndpoint } from './faultyEndpoint.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';

const MAX_QUEUE = 64;
/** Small batches and few call slots, so a failing collector backs the queue up quickly. */
const faultExport: JsonObject = { batchSize: 16, maxQueue: MAX_QUEUE, flushIntervalMs: 50, maxInflight: 2 };
const faultCollector: JsonObject = { cluster: COLLECTOR_CLUSTER, timeoutMs: 2000 };
const edgeConfig = { ...testEdgeConfig(cohortSampling({ always: 100 })), collector: faultCollector, export: faultExport };
const shadowConfig = { ...testShadowConfig(), collector: faultCollector, export: faultExport };

const WARM_UP = 300;
const DURING_FAULT = 2000;
const AFTER_RECOVERY = 40;
/**
 * Growth of Envoy's RSS allowed over the fault phase. Without the cap the queues would hold
 * 2 × DURING_FAULT records of ~14 KB each (about 55 MiB); with it, at most 2 × MAX_QUEUE (~1.8 MiB).
 */
const RSS_GROWTH_BOUND = 16 * MiB;

const faults: Array<{ name: string; fault: Fault }> = [
  { name: 'down (connection refused)', fault: { kind: 'down' } },
  { name: 'slow (answers after 4 s, past the 2 s export timeout)', fault: { kind: 'slow', delayMs: 4000, body: '{}' } },
  { name: 'answering 500', fault: { kind: 'status', status: 500 } },
  { name: 'closing each connection on accept', fault: { kind: 'close-on-accept' } },
  { name: 'resetting each connection mid-response', fault: { kind: 'reset-mid-response', body: '{"accepted":16,"duplicates":0}' } },
];

describe('a collector that fails while traffic flows', () => {
  let collector: JoiningCollector | undefined;
  let front: FaultyEndpoint | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  afterEach(async () => {
    await stack?.stop();
    await front?.close();
    await collector?.close();
    stack = front = collector = undefined;
  });

  async function paired(id: string): Promise<boolean> {
    return (await collector!.pair(id))?.state === 'paired';
  }

  it.each(faults)(
    'when $name: clients see only primary bytes, the filter counts every lost record, memory stays bounded, export resumes',
    async ({ name, fault }) => {
      collector = await startJoiningCollector({ windowMs: 5000 });
      front = await startFaultyEndpoint({ kind: 'forward', to: collector.endpoint });
      const healthy = front.fault;
      stack = await startStack({
        edgeConfig,
        shadowConfig,
        collectorEndpoint: front.endpoint,
        primaryHandler: wideJsonService,
        shadowHandler: wideJsonService,
      });

      // Warm up with a working collector: records exported, the VM and Envoy at their working size.
      // (Under CPU contention an export call can still time out here; the ledger counts it, and
      // the fault phase is measured from this baseline.)
      expect(await sendChecked(stack, pathsOf('/warm', WARM_UP))).toEqual([]);
      const baseline = {
        edge: await settledLedger(stack.envoy, 'edge', WARM_UP),
        shadow: await settledLedger(stack.envoy, 'shadow', WARM_UP),
      };
      for (const role of ['edge', 'shadow'] as const) {
        expect(baseline[role].exported + lost(baseline[role]), role).toBe(WARM_UP);
        expect(baseline[role].exported, role).toBeGreaterThan(WARM_UP / 2);
      }
      const before = await envoyMemory(stack.envoy);

      await front.setFault(fault);
      const { result: problems, deepest } = await deepestQueuesDuring(stack.envoy, sendChecked(stack, pathsOf('/fault', DURING_FAULT)));
      expect(problems).toEqual([]);
      const during = {
        edge: await settledLedger(stack.envoy, 'edge', WARM_UP + DURING_FAULT),
        shadow: await settledLedger(stack.envoy, 'shadow', WARM_UP + DURING_FAULT),
      };
      const after = await envoyMemory(stack.envoy);
      const lostInFault = { edge: lost(during.edge) - lost(baseline.edge), shadow: lost(during.shadow) - lost(baseline.shadow) };
      for (const role of ['edge', 'shadow'] as const) {
        // Nothing was accepted during the fault, and every record digested meanwhile is counted as lost.
        expect(during[role].exported, role).toBe(baseline[role].exported);
        expect(lostInFault[role], role).toBe(DURING_FAULT);
        expect(during[role].exportFailures, role).toBeGreaterThan(baseline[role].exportFailures);
      }
      // The queue cap held (one worker: one queue per role). A collector that fails fast never fills
      // the queue; one that hangs does, and the cap refuses what does not fit.
      expect(Math.max(deepest.edge, deepest.shadow)).toBeLessThanOrEqual(MAX_QUEUE);
      if (fault.kind === 'slow') expect(Math.min(during.edge.droppedQueueFull, during.shadow.droppedQueueFull)).toBeGreaterThan(0);
      expect(after.rssBytes - before.rssBytes).toBeLessThan(RSS_GROWTH_BOUND);
      if (fault.kind !== 'down') expect(front.connections).toBeGreaterThan(0);

      // The collector comes back: records of new requests reach it from both legs, and join.
      await front.setFault(healthy);
      const recoveryPaths = pathsOf('/recovered', AFTER_RECOVERY);
      expect(await sendChecked(stack, recoveryPaths)).toEqual([]);
      const ids = stack.primary.requests
        .filter((request) => request.path.startsWith('/recovered/'))
        .map((request) => headerValue(request.headers, 'x-shadowdiff-id'));
      expect(ids).toHaveLength(AFTER_RECOVERY);
      // Every record after recovery is exported or, should a call still time out on a busy machine,
      // counted as lost; each request whose two records were exported is paired at the collector.
      const recovered = {
        edge: await settledLedger(stack.envoy, 'edge', WARM_UP + DURING_FAULT + AFTER_RECOVERY),
        shadow: await settledLedger(stack.envoy, 'shadow', WARM_UP + DURING_FAULT + AFTER_RECOVERY),
      };
      const lostAfterRecovery = lost(recovered.edge) - lost(during.edge) + lost(recovered.shadow) - lost(during.shadow);
      for (const role of ['edge', 'shadow'] as const) {
        expect(recovered[role].exported - during[role].exported + lost(recovered[role]) - lost(during[role]), role).toBe(AFTER_RECOVERY);
      }
      expect(lostAfterRecovery).toBeLessThan(AFTER_RECOVERY / 4);
      await waitUntil(
        'the requests after recovery to be paired at the collector',
        async () =>
          (await Promise.all(ids.map((id) => paired(id!)))).filter(Boolean).length >= AFTER_RECOVERY - lostAfterRecovery ? true : undefined,
        { timeoutMs: 20_000 },
      );
      const recordBytes = JSON.stringify((await collector.pair(ids[0]!))?.primary).length;

      console.info(
        `collector ${name}: warm-up lost ${lost(baseline.edge)}+${lost(baseline.shadow)}; edge lost ${lostInFault.edge} (queue full ${during.edge.droppedQueueFull}, failed calls ${during.edge.droppedExportFailed} in ${during.edge.exportFailures} calls); ` +
          `shadow lost ${lostInFault.shadow} (queue full ${during.shadow.droppedQueueFull}); deepest queue ${Math.max(deepest.edge, deepest.shadow)}/${MAX_QUEUE}; record ~${recordBytes} B; lost after recovery ${lostAfterRecovery}; ` +
          `Envoy RSS ${inMiB(before.rssBytes)} -> ${inMiB(after.rssBytes)}, allocated ${inMiB(before.allocatedBytes)} -> ${inMiB(after.allocatedBytes)}`,
      );
    },
    180_000,
  );
});
