// proxy-wasm shared queues (proxy-wasm-cpp-host shared_queue.cc), per process.
// A root context registers a queue by name under its vm_id and gets a token;
// anyone resolves (vm_id, name) to that token and enqueues; the registering
// VM dequeues. Envoy tells the registering root context with
// proxy_on_queue_ready, posted to its event loop; the emulator delivers it
// right after the host->VM call that enqueued returns (see VmRuntime).

import { WasmResult } from '../abi/abiConstants.js';

export interface QueueReadyListener {
  queueReady(rootContextId: number, token: number): void;
}

interface SharedQueue {
  readonly vmId: string;
  readonly items: Uint8Array[];
  listener: QueueReadyListener;
  rootContextId: number;
}

export type DequeueOutcome =
  | { readonly result: typeof WasmResult.Ok; readonly data: Uint8Array }
  | { readonly result: typeof WasmResult.NotFound | typeof WasmResult.Empty };

export class SharedQueues {
  private nextToken = 1;
  private readonly tokensByName = new Map<string, number>();
  private readonly queues = new Map<number, SharedQueue>();

  /** Registering an existing name keeps its data and token and moves the notifications. */
  register(vmId: string, name: string, listener: QueueReadyListener, rootContextId: number): number {
    const key = queueKey(vmId, name);
    const existing = this.tokensByName.get(key);
    if (existing !== undefined) {
      const queue = this.queues.get(existing);
      if (queue !== undefined) {
        queue.listener = listener;
        queue.rootContextId = rootContextId;
      }
      return existing;
    }
    const token = this.nextToken++;
    this.tokensByName.set(key, token);
    this.queues.set(token, { vmId, items: [], listener, rootContextId });
    return token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.tokensByName.get(queueKey(vmId, name));
  }

  enqueue(token: number, data: Uint8Array): WasmResult {
    const queue = this.queues.get(token);
    if (queue === undefined) {
      return WasmResult.NotFound;
    }
    queue.items.push(data);
    queue.listener.queueReady(queue.rootContextId, token);
    return WasmResult.Ok;
  }

  /** Only VMs with the queue's vm_id may dequeue, as in Envoy. */
  dequeue(token: number, vmId: string): DequeueOutcome {
    const queue = this.queues.get(token);
    if (queue === undefined || queue.vmId !== vmId) {
      return { result: WasmResult.NotFound };
    }
    const data = queue.items.shift();
    return data === undefined ? { result: WasmResult.Empty } : { result: WasmResult.Ok, data };
  }
}

function queueKey(vmId: string, name: string): string {
  return `${vmId}\u0000${name}`;
}
