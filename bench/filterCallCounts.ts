import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import binaryen from 'binaryen';
import { ProxyWasmHost } from '../emulator/index.js';
import { COLLECTOR_CLUSTER } from '../envoy/bootstrap.js';
import { FILTER_WASM } from '../devkit/paths.js';
import { cutDocuments, type CutName } from './corpusCuts.js';

/**
 * What the filter does per request, counted rather than timed (counts do not depend on how busy the
 * machine is): the proxy_* host calls it makes, and the AssemblyScript runtime calls behind its
 * allocations. The built module runs in emulator/; the runtime functions are instrumented in a
 * copy of it with binaryen (the pinned asc's own). The module has no name section, so functions are
 * found by their position in the .wat that asc writes beside it.
 */

/** The runtime functions counted: `__release` is inlined into its callers, which call `decrement` for heap objects. */
const RUNTIME_FUNCTIONS = {
  new: '~lib/rt/pure/__new',
  allocateBlock: '~lib/rt/tlsf/allocateBlock',
  retain: '~lib/rt/pure/__retain',
  release: '~lib/rt/pure/decrement',
} as const;
type RuntimeCounter = keyof typeof RUNTIME_FUNCTIONS;

/** `gzip`: the upstream answers the document gzip-encoded (level 6), which the filter decodes to digest it. */
export const CALL_COUNT_VARIANTS = {
  unsampled: { sampledPercent: 0, json: true, gzip: false },
  'sampled-hash': { sampledPercent: 100, json: false, gzip: false },
  'sampled-digest': { sampledPercent: 100, json: true, gzip: false },
  'sampled-digest-gzip': { sampledPercent: 100, json: true, gzip: true },
} as const;
export type CallCountVariant = keyof typeof CALL_COUNT_VARIANTS;

/** `streamStart`: the stream context's creation (proxy_on_context_create); `streamEnd`: on_log and on_delete. */
export const PHASES = ['streamStart', 'requestHeaders', 'responseHeaders', 'responseBody', 'streamEnd'] as const;
export type Phase = (typeof PHASES)[number];

/** Calls per request, averaged over the counted requests: host imports by name, runtime functions as `rt.<counter>`. */
export type CallCounts = Record<string, number>;

export interface FilterCallCounts {
  variant: CallCountVariant;
  document: CutName;
  requests: number;
  byPhase: Record<Phase, CallCounts>;
  perRequest: CallCounts;
}

/** The bench's request (Envoy adds x-forwarded-proto and x-request-id) and nginx's response headers. */
function requestHeaders(index: number): Array<[string, string]> {
  return [
    [':authority', 'bench.local'],
    [':path', '/1k.json'],
    [':method', 'GET'],
    [':scheme', 'http'],
    ['x-user-id', 'bench-user'],
    ['x-forwarded-proto', 'http'],
    ['x-request-id', `6f1c0d2e-8a41-4c3b-9d1e-${String(index).padStart(12, '0')}`],
  ];
}

function responseHeaders(bodyBytes: number, gzip: boolean): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    [':status', '200'],
    ['server', 'nginx'],
    ['date', 'Tue, 01 Dec 2026 19:00:00 GMT'],
    ['content-type', 'application/json'],
    ['content-length', String(bodyBytes)],
    ['last-modified', 'Tue, 01 Dec 2026 18:00:00 GMT'],
    ['connection', 'keep-alive'],
    ['etag', '"6565d0e0-400"'],
    ['accept-ranges', 'bytes'],
    ['x-envoy-upstream-service-time', '1'],
  ];
  if (gzip) headers.push(['content-encoding', 'gzip']);
  return headers;
}

/** `module` with a mutable exported i32 global `count_<counter>` bumped on entry to each runtime function. */
function instrumentRuntime(wasm: Uint8Array, wat: string): Uint8Array {
  const defined = [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((match) => match[1] ?? '');
  const module = binaryen.readBinary(wasm);
  try {
    const own: string[] = [];
    for (let i = 0; i < module.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      if (info.module === '') own.push(info.name);
    }
    if (own.length !== defined.length)
      throw new Error(`the .wat lists ${defined.length} functions, the module has ${own.length}: rebuild both (npm run build:filter)`);
    module.setFeatures(module.getFeatures() | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory);
    for (const [counter, name] of Object.entries(RUNTIME_FUNCTIONS)) {
      const index = defined.indexOf(name);
      if (index === -1) throw new Error(`the filter's .wat has no function ${name}`);
      const internal = own[index] ?? '';
      const global = `count_${counter}`;
      module.addGlobal(global, binaryen.i32, true, module.i32.const(0));
      module.addGlobalExport(global, global);
      const info = binaryen.getFunctionInfo(module.getFunction(internal));
      const bump = module.global.set(global, module.i32.add(module.global.get(global, binaryen.i32), module.i32.const(1)));
      const body = module.block('', [bump, info.body], info.results);
      module.removeFunction(internal);
      module.addFunction(internal, info.params, info.results, info.vars, body);
    }
    if (!module.validate()) throw new Error('the instrumented filter module does not validate');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/**
 * Loads `wasm` into the emulator with every host import wrapped by a counter. The emulator builds
 * its import object itself, so WebAssembly.instantiate is wrapped for the duration of the load only.
 */
async function loadCounted(
  wasm: Uint8Array,
): Promise<{ host: ProxyWasmHost; hostCalls: Map<string, number>; exports: () => WebAssembly.Exports }> {
  const hostCalls = new Map<string, number>();
  let instanceExports: WebAssembly.Exports | undefined;
  const instantiate = WebAssembly.instantiate;
  const counted = async (module: WebAssembly.Module, imports: WebAssembly.Imports): Promise<WebAssembly.Instance> => {
    const wrapped: WebAssembly.Imports = {};
    for (const [space, members] of Object.entries(imports)) {
      const out: WebAssembly.ModuleImports = {};
      for (const [name, value] of Object.entries(members)) {
        out[name] =
          typeof value === 'function'
            ? (...args: unknown[]) => {
                hostCalls.set(name, (hostCalls.get(name) ?? 0) + 1);
                return (value as (...a: unknown[]) => unknown)(...args);
              }
            : value;
      }
      wrapped[space] = out;
    }
    const instance = await (instantiate as (m: WebAssembly.Module, i: WebAssembly.Imports) => Promise<WebAssembly.Instance>)(
      module,
      wrapped,
    );
    instanceExports = instance.exports;
    return instance;
  };
  (WebAssembly as { instantiate: unknown }).instantiate = counted;
  try {
    const host = await ProxyWasmHost.load(wasm, { knownClusters: [COLLECTOR_CLUSTER] });
    return {
      host,
      hostCalls,
      exports: () => {
        if (instanceExports === undefined) throw new Error('the emulator did not instantiate the module through WebAssembly.instantiate');
        return instanceExports;
      },
    };
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = instantiate;
  }
}

function difference(before: CallCounts, after: CallCounts): CallCounts {
  const out: CallCounts = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const delta = (after[key] ?? 0) - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

function addInto(total: CallCounts, counts: CallCounts, weight: number): void {
  for (const [key, value] of Object.entries(counts)) total[key] = (total[key] ?? 0) + value * weight;
}

/** Counts one edge-role request of `variant` on `document`, averaged over `requests` after `warmup` (the pools fill first). */
export async function countFilterCalls(
  variant: CallCountVariant,
  document: CutName,
  options: { requests?: number; warmup?: number } = {},
): Promise<FilterCallCounts> {
  const { requests = 10, warmup = 2 } = options;
  const content = cutDocuments().find((cut) => cut.name === document)?.bytes;
  if (content === undefined) throw new Error(`no corpus cut ${document}`);
  const { sampledPercent, json, gzip } = CALL_COUNT_VARIANTS[variant];
  const body = gzip ? gzipSync(content) : content;
  const wasm = instrumentRuntime(
    new Uint8Array(await readFile(FILTER_WASM)),
    await readFile(FILTER_WASM.replace(/\.wasm$/, '.wat'), 'utf8'),
  );
  const { host, hostCalls, exports } = await loadCounted(wasm);
  const plugin = host.startPlugin(
    JSON.stringify({
      role: 'edge',
      source: 'bench-edge',
      collector: { cluster: COLLECTOR_CLUSTER },
      sampling: { defaultPercent: sampledPercent },
      digest: { json },
    }),
  );
  if (!plugin.ok) throw new Error(`the filter refused the ${variant} configuration`);
  const snapshot = (): CallCounts => {
    const counts: CallCounts = Object.fromEntries(hostCalls);
    for (const counter of Object.keys(RUNTIME_FUNCTIONS) as RuntimeCounter[])
      counts[`rt.${counter}`] = (exports()[`count_${counter}`] as WebAssembly.Global).value as number;
    return counts;
  };
  const byPhase = Object.fromEntries(PHASES.map((phase) => [phase, {}])) as Record<Phase, CallCounts>;
  let stream: ReturnType<typeof plugin.newHttpStream> | undefined;
  const current = (): NonNullable<typeof stream> => {
    if (stream === undefined) throw new Error('no stream context yet');
    return stream;
  };
  const steps: Record<Phase, (index: number) => void> = {
    streamStart: () => {
      stream = plugin.newHttpStream();
    },
    requestHeaders: (index) => current().sendRequestHeaders(requestHeaders(index), true),
    responseHeaders: () => current().sendResponseHeaders(responseHeaders(body.length, gzip), false),
    responseBody: () => current().sendResponseBody(body, true),
    streamEnd: () => current().complete(),
  };
  for (let i = 0; i < warmup + requests; i++) {
    for (const phase of PHASES) {
      const before = snapshot();
      steps[phase](i);
      if (i >= warmup) addInto(byPhase[phase], difference(before, snapshot()), 1 / requests);
    }
  }
  if (host.trapped !== null) throw new Error(`the filter trapped: ${host.trapped.message}`);
  const perRequest: CallCounts = {};
  for (const phase of PHASES) addInto(perRequest, byPhase[phase], 1);
  return { variant, document, requests, byPhase, perRequest };
}
