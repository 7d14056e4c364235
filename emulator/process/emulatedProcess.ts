// What an Envoy process shares between its Wasm VMs (one per worker thread):
// shared data and shared queues (per vm_id), stats, and the clock. Each
// ProxyWasmHost.load creates a process unless told to join another host's
// with `sameProcessAs`, which models a second worker of the same Envoy.

import { CasSequence, SharedData } from './sharedData.js';
import { SharedQueues } from './sharedQueues.js';
import { MetricRegistry } from './metricRegistry.js';

/** 2023-11-14T22:13:20Z: a fixed start, so time-dependent output is reproducible. */
export const DEFAULT_START_NANOS = 1_700_000_000_000_000_000n;

export class EmulatedProcess {
  nowNanos: bigint;
  readonly queues = new SharedQueues();
  readonly metrics = new MetricRegistry();
  private readonly casSequence = new CasSequence();
  private readonly sharedDataByVmId = new Map<string, SharedData>();
  private readonly posted: Array<() => void> = [];

  constructor(startNanos: bigint) {
    this.nowNanos = startNanos;
  }

  /**
   * Envoy posts some work to a worker's event loop (e.g. proxy_on_queue_ready)
   * instead of calling the VM re-entrantly. The emulator runs posted work as
   * soon as the host->VM call in progress returns.
   */
  post(task: () => void): void {
    this.posted.push(task);
  }

  runPosted(): void {
    for (let task = this.posted.shift(); task !== undefined; task = this.posted.shift()) {
      task();
    }
  }

  sharedData(vmId: string): SharedData {
    let space = this.sharedDataByVmId.get(vmId);
    if (space === undefined) {
      space = new SharedData(this.casSequence);
      this.sharedDataByVmId.set(vmId, space);
    }
    return space;
  }
}
