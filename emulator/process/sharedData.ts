// proxy_get/set_shared_data with Envoy's semantics (proxy-wasm-cpp-host
// shared_data.cc). Envoy keeps one key space per vm_id, shared by every VM of
// the process (one per worker thread) that has that vm_id; in the emulator a
// process is a ProxyWasmHost and the hosts loaded with `sameProcessAs` it.
//
// Every successful set gives the key a fresh, non-zero CAS. A set with cas 0
// is unconditional; with a non-zero cas it fails with CasMismatch unless the
// key still has that CAS. As in Envoy, a non-zero cas on a key that does not
// exist yet does not fail.

import { WasmResult } from '../abi/abiConstants.js';
import { bytesToText, toBytes } from '../vm/bytes.js';

export interface SharedDataEntry {
  readonly value: Uint8Array;
  readonly cas: number;
}

/** Hands out CAS values; one per process, shared by all its key spaces. */
export class CasSequence {
  private next = 1;

  take(): number {
    const cas = this.next;
    this.next = this.next === 0xffffffff ? 1 : this.next + 1;
    return cas;
  }
}

/** One vm_id's key space. Map-like for assertions; `set` is what the module's set does. */
export class SharedData {
  private readonly entries = new Map<string, SharedDataEntry>();

  constructor(private readonly casSequence: CasSequence) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): SharedDataEntry | undefined {
    return this.entries.get(key);
  }

  /** The value decoded as UTF-8, or undefined. */
  text(key: string): string | undefined {
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : bytesToText(entry.value);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  [Symbol.iterator](): IterableIterator<[string, SharedDataEntry]> {
    return this.entries.entries();
  }

  set(key: string, value: Uint8Array | string, cas = 0): WasmResult {
    const existing = this.entries.get(key);
    if (existing !== undefined && cas !== 0 && cas !== existing.cas) {
      return WasmResult.CasMismatch;
    }
    this.entries.set(key, { value: toBytes(value), cas: this.casSequence.take() });
    return WasmResult.Ok;
  }
}
