// One proxy-wasm VM as the host runs it: the instance and its memory, the
// contexts the host created, which context a host call acts on, the logs, the
// http calls in flight, and what happens when the module traps.
//
// Every call into the module goes through callIn, which (like Envoy's
// SaveRestoreContext) makes `context` the current context with no effective
// context for the duration, restores the previous pair afterwards (host calls
// may re-enter the module through malloc), and turns an exception from the
// module into a recorded trap: the VM is then dead, as Envoy fails it.

import { LogLevel, WasmResult } from '../abi/abiConstants.js';
import type { AbiContext } from '../contexts/abiContext.js';
import type { EmulatedProcess } from '../process/emulatedProcess.js';
import { ProxyWasmCrashedError, ProxyWasmLoadError, ProxyWasmTrapError, VmExitSignal } from './errors.js';
import { toBytes } from './bytes.js';
import { HeaderMap } from '../contexts/headerMap.js';
import { HttpCall, type HttpCallResponse } from '../contexts/httpCall.js';
import { RootContextState, type HttpCallResponseData } from '../contexts/rootContextState.js';
import type { SharedData } from '../process/sharedData.js';
import type { QueueReadyListener } from '../process/sharedQueues.js';
import { WasmMemory } from './wasmMemory.js';

/** An exported wasm function as JS sees it (i32 in, i32 out; void returns undefined). */
export type WasmFunction = (...args: number[]) => number;

const CALLBACK_NAMES = [
  'proxy_on_context_create',
  'proxy_on_vm_start',
  'proxy_on_configure',
  'proxy_on_tick',
  'proxy_on_queue_ready',
  'proxy_on_request_headers',
  'proxy_on_request_body',
  'proxy_on_request_trailers',
  'proxy_on_response_headers',
  'proxy_on_response_body',
  'proxy_on_response_trailers',
  'proxy_on_http_call_response',
  'proxy_on_done',
  'proxy_on_log',
  'proxy_on_delete',
] as const;

/** The proxy-wasm callbacks the module exports. Envoy skips the ones a module lacks. */
export type ModuleCallbacks = Partial<Record<(typeof CALLBACK_NAMES)[number], WasmFunction>>;

export interface LogEntry {
  readonly level: number;
  readonly message: string;
}

export interface VmRuntimeOptions {
  readonly vmId: string;
  readonly vmConfiguration: Uint8Array;
  /** null: every cluster exists. */
  readonly knownClusters: ReadonlySet<string> | null;
  /** Log messages below this level are dropped without being decoded. */
  readonly logLevel: number;
}

export function exportedFunction(instance: WebAssembly.Instance, name: string): WasmFunction | undefined {
  const value = instance.exports[name];
  // Exports were validated against the module's export list; a function export
  // of an AssemblyScript proxy-wasm module only takes and returns i32.
  return typeof value === 'function' ? (value as WasmFunction) : undefined;
}

/** Why the module stopped, for an error message. */
export function describeVmFailure(error: unknown): string {
  if (error instanceof VmExitSignal) {
    return error.description;
  }
  if (error instanceof WebAssembly.RuntimeError) {
    return `wasm trap: ${error.message}`;
  }
  if (error instanceof Error) {
    return `host error: ${error.message}`;
  }
  return String(error);
}

export class VmRuntime implements QueueReadyListener {
  readonly memory = new WasmMemory();
  readonly logs: LogEntry[] = [];
  readonly httpCalls: HttpCall[] = [];
  /** Properties every context sees unless it has its own. */
  readonly hostProperties = new Map<string, Uint8Array>();
  readonly sharedData: SharedData;
  callbacks: ModuleCallbacks = {};
  trap: ProxyWasmTrapError | null = null;
  /**
   * True while the module starts (instantiation and _start/_initialize): Envoy
   * then serves only logging, clock, random, args and environment.
   */
  restricted = true;
  readonly refusedDuringStart: string[] = [];
  private readonly contexts = new Map<number, AbiContext>();
  private readonly pendingHttpCalls = new Map<number, HttpCall>();
  private nextContextId = 1;
  private nextHttpCallToken = 1;
  private current: AbiContext | null = null;
  private effective: AbiContext | null = null;
  private depth = 0;
  private logsAtCallStart = 0;

  constructor(
    readonly process: EmulatedProcess,
    readonly options: VmRuntimeOptions,
  ) {
    this.sharedData = process.sharedData(options.vmId);
  }

  /** Binds the instance once instantiation (and the module's start function) ran. */
  attach(instance: WebAssembly.Instance): void {
    const memory = instance.exports['memory'];
    const malloc = exportedFunction(instance, 'malloc') ?? exportedFunction(instance, 'proxy_on_memory_allocate');
    if (!(memory instanceof WebAssembly.Memory) || malloc === undefined) {
      throw new ProxyWasmLoadError(['the module does not export its memory and malloc']);
    }
    this.memory.attach(memory, malloc);
    const callbacks: ModuleCallbacks = {};
    for (const name of CALLBACK_NAMES) {
      const callback = exportedFunction(instance, name);
      if (callback !== undefined) callbacks[name] = callback;
    }
    this.callbacks = callbacks;
  }

  /**
   * Runs the WASI start functions Envoy calls (_initialize then main, or
   * _start), still restricted; then lifts the restriction.
   */
  start(instance: WebAssembly.Instance): void {
    const initialize = exportedFunction(instance, '_initialize');
    const main = exportedFunction(instance, 'main');
    const start = exportedFunction(instance, '_start');
    try {
      if (initialize !== undefined) {
        initialize();
        main?.(0, 0);
      } else {
        start?.();
      }
    } catch (error) {
      throw new ProxyWasmLoadError([`the module trapped in its start function: ${this.startFailure(error)}`], {
        cause: error,
      });
    }
    this.restricted = false;
  }

  /** A start-time failure, with the host calls Envoy would have refused then. */
  startFailure(error: unknown): string {
    const refused =
      this.refusedDuringStart.length === 0
        ? ''
        : `; host calls refused while starting (Envoy allows only logging, clock, random, args and environment then): ${this.refusedDuringStart.join(', ')}`;
    return describeVmFailure(error) + refused;
  }

  allocateContextId(): number {
    return this.nextContextId++;
  }

  addContext(context: AbiContext): void {
    this.contexts.set(context.id, context);
  }

  removeContext(id: number): void {
    this.contexts.delete(id);
  }

  /** The context a host call acts on, or null while the module starts. */
  context(): AbiContext | null {
    return this.effective ?? this.current;
  }

  setEffectiveContext(id: number): WasmResult {
    const context = this.contexts.get(id);
    if (context === undefined) {
      return WasmResult.BadArgument;
    }
    this.effective = context;
    return WasmResult.Ok;
  }

  log(level: number, message: string): void {
    this.logs.push({ level, message });
  }

  /** Envoy's stub for a host function called while the module starts. */
  refuseDuringStart(name: string): WasmResult {
    this.refusedDuringStart.push(name);
    this.log(LogLevel.Error, `Attempted call to restricted ABI function: ${name}`);
    return WasmResult.InternalFailure;
  }

  isKnownCluster(cluster: string): boolean {
    return this.options.knownClusters === null || this.options.knownClusters.has(cluster);
  }

  rootContext(id: number): RootContextState {
    const context = this.contexts.get(id);
    if (!(context instanceof RootContextState)) {
      throw new Error(`no root context ${id}`);
    }
    return context;
  }

  /** Fails fast, before any state changes, when the VM is already dead. */
  assertAlive(attempted: string): void {
    if (this.trap !== null) {
      throw new ProxyWasmCrashedError(attempted, this.trap);
    }
  }

  callIn<T>(context: AbiContext, callback: string, invoke: () => T): T {
    this.assertAlive(callback);
    const savedCurrent = this.current;
    const savedEffective = this.effective;
    if (this.depth === 0) {
      this.logsAtCallStart = this.logs.length;
    }
    this.current = context;
    this.effective = null;
    this.depth++;
    let result: T;
    try {
      result = invoke();
    } catch (error) {
      throw this.recordTrap(`${callback} (context ${context.id})`, error);
    } finally {
      this.current = savedCurrent;
      this.effective = savedEffective;
      this.depth--;
    }
    if (this.depth === 0) {
      this.process.runPosted();
    }
    return result;
  }

  private recordTrap(callback: string, error: unknown): ProxyWasmTrapError {
    let reason = describeVmFailure(error);
    const critical = this.logs
      .slice(Math.min(this.logsAtCallStart, this.logs.length))
      .filter((entry) => entry.level === LogLevel.Critical)
      .at(-1);
    if (critical !== undefined) {
      reason += ` (last critical log: ${critical.message})`;
    }
    this.trap = new ProxyWasmTrapError(callback, reason, { cause: error });
    return this.trap;
  }

  queueReady(rootContextId: number, token: number): void {
    this.process.post(() => {
      const root = this.contexts.get(rootContextId);
      const onQueueReady = this.callbacks.proxy_on_queue_ready;
      if (root !== undefined && onQueueReady !== undefined && this.trap === null) {
        this.callIn(root, 'proxy_on_queue_ready', () => onQueueReady(rootContextId, token));
      }
    });
  }

  dispatchHttpCall(
    root: RootContextState,
    cluster: string,
    headers: HeaderMap,
    body: Uint8Array,
    trailers: HeaderMap,
    timeoutMs: number,
  ): number {
    const token = this.nextHttpCallToken++;
    const call = new HttpCall(token, root.id, cluster, headers, body, trailers, timeoutMs);
    this.httpCalls.push(call);
    this.pendingHttpCalls.set(token, call);
    return token;
  }

  pendingHttpCall(token: number): HttpCall {
    const call = this.pendingHttpCalls.get(token);
    if (call === undefined) {
      const known = this.httpCalls.some((candidate) => candidate.token === token);
      throw new Error(known ? `http call ${token} was already answered` : `no http call with token ${token}`);
    }
    return call;
  }

  /** Answers a call; null is a failure (reset), which Envoy reports with no headers and no body. */
  deliverHttpCallResponse(call: HttpCall, response: HttpCallResponse | null): void {
    const root = this.rootContext(call.rootContextId);
    this.assertAlive('proxy_on_http_call_response');
    this.pendingHttpCalls.delete(call.token);
    call.done = true;
    const data = response === null ? null : httpCallResponseData(response);
    if (data === null) {
      root.status.code = WasmResult.BrokenConnection;
      root.status.message = 'reset';
    }
    root.httpCallResponse = data;
    const onResponse = this.callbacks.proxy_on_http_call_response;
    try {
      if (onResponse !== undefined) {
        this.callIn(root, 'proxy_on_http_call_response', () =>
          data === null
            ? onResponse(root.id, call.token, 0, 0, 0)
            : onResponse(root.id, call.token, data.headers.size, data.body.byteLength, data.trailers.size),
        );
      }
    } finally {
      // Envoy clears the response (and the failure message, not its code) after the callback.
      root.httpCallResponse = null;
      root.status.message = '';
    }
  }
}

function httpCallResponseData(response: HttpCallResponse): HttpCallResponseData {
  const headers = new HeaderMap();
  headers.add(':status', String(response.status));
  for (const [key, value] of HeaderMap.from(response.headers ?? []).pairs()) {
    if (key !== ':status') {
      headers.add(key, value);
    }
  }
  const body = toBytes(response.body ?? '');
  return { headers, body, trailers: HeaderMap.from(response.trailers ?? []) };
}

