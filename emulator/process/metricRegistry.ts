// proxy_define/increment/record/get_metric with Envoy's semantics
// (envoy source/extensions/common/wasm/context.cc). Envoy's stats are process
// wide, so the registry belongs to the process, shared by its VMs; the same
// name always yields the same metric id.
//
//              increment(offset)                 record(value)   get
//   counter    offset > 0 adds, else BadArgument  adds            value
//   gauge      adds (negative subtracts)          sets            value
//   histogram  BadArgument                        records sample  BadArgument
//
// Values are u64 and wrap like Envoy's (a gauge decremented below zero reads
// 2^64 - 1). Redefining a name with another type is refused with BadArgument.

import { MetricType, WasmResult } from '../abi/abiConstants.js';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export type MetricSnapshot =
  | { readonly type: 'counter' | 'gauge'; readonly value: bigint }
  /** For a histogram, `value` is the sum of the samples. */
  | { readonly type: 'histogram'; readonly value: bigint; readonly samples: readonly bigint[] };

interface Metric {
  readonly name: string;
  readonly type: MetricKind;
  value: bigint;
  readonly samples: bigint[];
}

const KINDS: Readonly<Record<number, MetricKind>> = {
  [MetricType.Counter]: 'counter',
  [MetricType.Gauge]: 'gauge',
  [MetricType.Histogram]: 'histogram',
};

/** `value` is meaningful only when `result` is Ok. */
export interface MetricRead {
  readonly result: WasmResult;
  readonly value: bigint;
}

export class MetricRegistry {
  private readonly metrics: Metric[] = [];
  private readonly idsByName = new Map<string, number>();

  /** The id of `name`, created on its first definition. */
  define(type: number, name: string): { readonly result: WasmResult; readonly id: number } {
    const kind = KINDS[type];
    if (kind === undefined) {
      return { result: WasmResult.BadArgument, id: 0 };
    }
    const existing = this.idsByName.get(name);
    if (existing !== undefined) {
      const sameKind = this.metrics[existing]?.type === kind;
      return { result: sameKind ? WasmResult.Ok : WasmResult.BadArgument, id: existing };
    }
    const id = this.metrics.length;
    this.metrics.push({ name, type: kind, value: 0n, samples: [] });
    this.idsByName.set(name, id);
    return { result: WasmResult.Ok, id };
  }

  increment(id: number, offset: bigint): WasmResult {
    const metric = this.metrics[id];
    if (metric === undefined) {
      return WasmResult.NotFound;
    }
    if (metric.type === 'histogram' || (metric.type === 'counter' && offset <= 0n)) {
      return WasmResult.BadArgument;
    }
    metric.value = BigInt.asUintN(64, metric.value + offset);
    return WasmResult.Ok;
  }

  record(id: number, value: bigint): WasmResult {
    const metric = this.metrics[id];
    if (metric === undefined) {
      return WasmResult.NotFound;
    }
    const unsigned = BigInt.asUintN(64, value);
    if (metric.type === 'counter') {
      metric.value = BigInt.asUintN(64, metric.value + unsigned);
    } else if (metric.type === 'gauge') {
      metric.value = unsigned;
    } else {
      metric.value = BigInt.asUintN(64, metric.value + unsigned);
      metric.samples.push(unsigned);
    }
    return WasmResult.Ok;
  }

  read(id: number): MetricRead {
    const metric = this.metrics[id];
    if (metric === undefined) {
      return { result: WasmResult.NotFound, value: 0n };
    }
    if (metric.type === 'histogram') {
      return { result: WasmResult.BadArgument, value: 0n };
    }
    return { result: WasmResult.Ok, value: metric.value };
  }

  snapshot(name: string): MetricSnapshot | undefined {
    const id = this.idsByName.get(name);
    const metric = id === undefined ? undefined : this.metrics[id];
    if (metric === undefined) {
      return undefined;
    }
    return metric.type === 'histogram'
      ? { type: metric.type, value: metric.value, samples: [...metric.samples] }
      : { type: metric.type, value: metric.value };
  }

  snapshots(): Map<string, MetricSnapshot> {
    const all = new Map<string, MetricSnapshot>();
    for (const name of this.idsByName.keys()) {
      const snapshot = this.snapshot(name);
      if (snapshot !== undefined) {
        all.set(name, snapshot);
      }
    }
    return all;
  }
}
