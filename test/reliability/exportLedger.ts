// The filter's export counters for one role, read from Envoy's /stats: where every digested
// record went. Once nothing is in flight, digested = exported + dropped + still queued.
import type { EnvoyInstance } from '../../devkit/envoyProcess.js';
import { waitUntil } from '../../devkit/waitUntil.js';

export type Role = 'edge' | 'shadow';

export interface ExportLedger {
  digested: number;
  exported: number;
  droppedQueueFull: number;
  droppedExportFailed: number;
  exportFailures: number;
  queueDepth: number;
  inflight: number;
}

export async function exportLedger(envoy: EnvoyInstance, role: Role): Promise<ExportLedger> {
  const stats = await envoy.stats();
  const read = (name: string): number => stats.get(`wasmcustom.shadowdiff.${role}.${name}`) ?? 0;
  return {
    digested: read('digested'),
    exported: read('exported_records'),
    droppedQueueFull: read('dropped_queue_full'),
    droppedExportFailed: read('dropped_export_failed'),
    exportFailures: read('export_failures'),
    queueDepth: read('queue_depth'),
    inflight: read('inflight'),
  };
}

/** Records lost to a full queue or a failed export call. */
export function lost(ledger: ExportLedger): number {
  return ledger.droppedQueueFull + ledger.droppedExportFailed;
}

/**
 * Waits until `role` has digested at least `digested` records and has neither a call in flight
 * nor a record queued, so every record is either exported or counted as lost.
 */
export function settledLedger(envoy: EnvoyInstance, role: Role, digested: number, timeoutMs = 30_000): Promise<ExportLedger> {
  return waitUntil(
    `the ${role} filter to settle after ${digested} digests`,
    async () => {
      const ledger = await exportLedger(envoy, role);
      return ledger.digested >= digested && ledger.inflight === 0 && ledger.queueDepth === 0 ? ledger : undefined;
    },
    { timeoutMs },
  );
}

/** The deepest queue of each role seen by polling /stats until `work` settles, and the work's result. */
export async function deepestQueuesDuring<T>(
  envoy: EnvoyInstance,
  work: Promise<T>,
): Promise<{ result: T; deepest: Record<Role, number> }> {
  const deepest: Record<Role, number> = { edge: 0, shadow: 0 };
  let done = false;
  const poll = async (): Promise<void> => {
    while (!done) {
      for (const role of ['edge', 'shadow'] as const) deepest[role] = Math.max(deepest[role], (await exportLedger(envoy, role)).queueDepth);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const polling = poll();
  try {
    return { result: await work, deepest };
  } finally {
    done = true;
    await polling;
  }
}
