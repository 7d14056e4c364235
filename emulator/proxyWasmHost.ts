// The emulator's entry point: loads a compiled proxy-wasm module into a VM the
// way Envoy does (refusing what Envoy refuses), starts plugins on it, and gives
// the test what it needs to drive and observe the module: logs, metrics, http
// calls, shared data, the clock, memory size, and whether the VM trapped.

import { readFile } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { LogLevel } from './abi/abiConstants.js';
import { DEFAULT_START_NANOS, EmulatedProcess } from './process/emulatedProcess.js';
import { checkImports } from './abi/envoyImportSurface.js';
import { ProxyWasmLoadError } from './vm/errors.js';
import type { HttpCall, HttpCallResponse } from './contexts/httpCall.js';
import { createHostImports } from './abi/hostImports.js';
import type { MetricSnapshot } from './process/metricRegistry.js';
import { Plugin } from './contexts/plugin.js';
import { toBytes } from './vm/bytes.js';
import { propertyKey, type PropertyPath } from './contexts/propertyPath.js';
import { RootContextState } from './contexts/rootContextState.js';
import type { SharedData } from './process/sharedData.js';
import { VmRuntime, describeVmFailure, type LogEntry } from './vm/vmRuntime.js';
import { readWasmImports } from './vm/wasmModuleImports.js';

export interface ProxyWasmHostOptions {
  /** Root id of plugins started without one; served as the plugin_root_id property. Default 'shadowdiff'. */
  readonly rootId?: string;
  /** The VM configuration (vm_config.configuration), read with buffer type 6. Default empty. */
  readonly vmConfig?: string;
  /** The vm_id: scopes shared data and queues, served as plugin_vm_id. Default empty. */
  readonly vmId?: string;
  /** Start of the clock. Default 2023-11-14T22:13:20Z. Not with sameProcessAs (the clock is the process's). */
  readonly nowNanos?: bigint;
  /** Clusters proxy_http_call may target (others are BadArgument, as in Envoy). Default: any. */
  readonly knownClusters?: readonly string[];
  /** Log messages below this level are not captured (nor decoded). Default 0: everything. */
  readonly logLevel?: number;
  /** Seed of the bytes WASI random_get returns. Default 1. */
  readonly randomSeed?: number;
  /**
   * Load as another VM of that host's process (another Envoy worker): shared
   * data, shared queues, metrics and the clock are shared. Default: a new process.
   */
  readonly sameProcessAs?: ProxyWasmHost;
}

export interface StartPluginOptions {
  /** Default: the host's rootId. */
  readonly rootId?: string;
}

/** The body Envoy's async client answers a timed-out http call with (status 504). */
const TIMEOUT_BODY = 'upstream request timeout';

export class ProxyWasmHost {
  private constructor(
    private readonly vm: VmRuntime,
    private readonly defaultRootId: string,
  ) {}

  static async load(wasm: string | URL | Uint8Array | ArrayBuffer, options: ProxyWasmHostOptions = {}): Promise<ProxyWasmHost> {
    if (options.sameProcessAs !== undefined && options.nowNanos !== undefined) {
      throw new Error('nowNanos cannot be combined with sameProcessAs: the clock belongs to the process');
    }
    const bytes = typeof wasm === 'string' || wasm instanceof URL ? new Uint8Array(await readFile(wasm)) : new Uint8Array(wasm);
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(bytes);
    } catch (error) {
      throw new ProxyWasmLoadError([`not a valid wasm module: ${describeVmFailure(error)}`], { cause: error });
    }
    const process = options.sameProcessAs?.vm.process ?? new EmulatedProcess(options.nowNanos ?? DEFAULT_START_NANOS);
    const vm = new VmRuntime(process, {
      vmId: options.vmId ?? '',
      vmConfiguration: toBytes(options.vmConfig ?? ''),
      knownClusters: options.knownClusters === undefined ? null : new Set(options.knownClusters),
      logLevel: options.logLevel ?? LogLevel.Trace,
    });
    const { importObject, implemented } = createHostImports(vm, options.randomSeed ?? 1);
    const imports = checkImports(readWasmImports(bytes), implemented);
    const problems = [...exportProblems(WebAssembly.Module.exports(module)), ...imports.problems];
    if (problems.length > 0) {
      throw new ProxyWasmLoadError(problems);
    }
    for (const warning of imports.warnings) {
      vm.log(LogLevel.Warn, `emulator: ${warning}`);
    }
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, importObject);
    } catch (error) {
      throw new ProxyWasmLoadError([`the module trapped while instantiating (its start function): ${vm.startFailure(error)}`], {
        cause: error,
      });
    }
    vm.attach(instance);
    vm.start(instance);
    return new ProxyWasmHost(vm, options.rootId ?? 'shadowdiff');
  }

  /** Starts a plugin (a root context) with this plugin configuration. May be called more than once. */
  startPlugin(configuration: string | Uint8Array = '', options: StartPluginOptions = {}): Plugin {
    const state = new RootContextState(
      this.vm.allocateContextId(),
      options.rootId ?? this.defaultRootId,
      toBytes(configuration),
      this.vm.options.vmConfiguration,
      this.vm.options.vmId,
      this.vm.hostProperties,
    );
    return Plugin.start(this.vm, state);
  }

  /** Everything the module logged (proxy_log, stdout/stderr), oldest first. */
  get logs(): readonly LogEntry[] {
    return this.vm.logs;
  }

  logsAt(minLevel: number): LogEntry[] {
    return this.vm.logs.filter((entry) => entry.level >= minLevel);
  }

  criticalLogs(): string[] {
    return this.vm.logs.filter((entry) => entry.level === LogLevel.Critical).map((entry) => entry.message);
  }

  clearLogs(): void {
    this.vm.logs.length = 0;
  }

  /** Why the VM died (trap, proc_exit, abort), or null while it is alive. */
  get trapped(): Error | null {
    return this.vm.trap;
  }

  metric(name: string): MetricSnapshot | undefined {
    return this.vm.process.metrics.snapshot(name);
  }

  metrics(): Map<string, MetricSnapshot> {
    return this.vm.process.metrics.snapshots();
  }

  /** Every http call the module dispatched, answered or not, in order. */
  get httpCalls(): readonly HttpCall[] {
    return this.vm.httpCalls;
  }

  pendingHttpCalls(): HttpCall[] {
    return this.vm.httpCalls.filter((call) => !call.done);
  }

  /** Delivers a response: proxy_on_http_call_response on the root context that made the call. */
  respondHttpCall(token: number, response: HttpCallResponse): void {
    this.vm.deliverHttpCallResponse(this.vm.pendingHttpCall(token), response);
  }

  /** Envoy's async client reports a timeout as a 504 response, not as a failure. */
  timeoutHttpCall(token: number): void {
    this.respondHttpCall(token, {
      status: 504,
      headers: [
        ['content-length', String(Buffer.byteLength(TIMEOUT_BODY))],
        ['content-type', 'text/plain'],
      ],
      body: TIMEOUT_BODY,
    });
  }

  /**
   * A reset or connection failure: no headers, no body, and proxy_get_status
   * reports BrokenConnection "reset" during the callback, as in Envoy.
   */
  failHttpCall(token: number): void {
    this.vm.deliverHttpCallResponse(this.vm.pendingHttpCall(token), null);
  }

  get nowNanos(): bigint {
    return this.vm.process.nowNanos;
  }

  setTimeNanos(nanos: bigint): void {
    this.vm.process.nowNanos = nanos;
  }

  advanceTimeMs(ms: number): void {
    this.vm.process.nowNanos += BigInt(Math.round(ms * 1_000_000));
  }

  /** This VM's shared data key space (its vm_id's). */
  get sharedData(): SharedData {
    return this.vm.sharedData;
  }

  /** A property every context of this VM sees unless it has its own. */
  setProperty(path: PropertyPath, value: string | Uint8Array): void {
    this.vm.hostProperties.set(propertyKey(path), toBytes(value));
  }

  /** The module's linear memory size, for leak checks. */
  memoryBytes(): number {
    return this.vm.memory.byteLength;
  }

  /**
   * The `env.proxy_*` calls the module made since the VM started (or the last
   * `clearHostCalls()`), by name, plus `malloc`: the host's allocations in the module, each a
   * call into the VM. What a filter costs per request in host round trips, for call budgets.
   */
  hostCalls(): ReadonlyMap<string, number> {
    return new Map(this.vm.hostCalls);
  }

  clearHostCalls(): void {
    this.vm.hostCalls.clear();
  }
}

const OTHER_ABI_VERSIONS = ['proxy_abi_version_0_1_0', 'proxy_abi_version_0_2_1'];

function exportProblems(exports: readonly WebAssembly.ModuleExportDescriptor[]): string[] {
  const functions = new Set(exports.filter((entry) => entry.kind === 'function').map((entry) => entry.name));
  const problems: string[] = [];
  if (!functions.has('proxy_abi_version_0_2_0')) {
    const other = OTHER_ABI_VERSIONS.find((name) => functions.has(name));
    problems.push(
      other === undefined
        ? 'exports no proxy_abi_version_0_2_0 (Envoy: "Missing or unknown Proxy-Wasm ABI version")'
        : `declares ${other} instead of proxy_abi_version_0_2_0; the emulator speaks ABI 0.2.0`,
    );
  }
  if (!exports.some((entry) => entry.kind === 'memory' && entry.name === 'memory')) {
    problems.push('exports no memory named "memory"');
  }
  if (!functions.has('malloc') && !functions.has('proxy_on_memory_allocate')) {
    problems.push('exports no malloc (Envoy: "Wasm module is missing malloc function.")');
  }
  return problems;
}
