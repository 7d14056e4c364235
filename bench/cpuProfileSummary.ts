import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) the summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  /** Of the busy time (everything but idle). */
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** Self time by where the code lives: a project file, an npm package, Node's internals, the filter's wasm, GC. */
  selfByArea: ProfileEntry[];
  selfByFunction: ProfileEntry[];
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusiveByFunction: ProfileEntry[];
}

const REPO = resolve(import.meta.dirname, '..');
const IDLE = '(idle)';

/**
 * Function names by wasm function index, from the `.wat` that asc writes beside the module (the
 * module itself carries no name section): imported functions first, then the module's own.
 */
export async function wasmFunctionNames(watPath: string): Promise<string[]> {
  const wat = await readFile(watPath, 'utf8');
  const imported = [...wat.matchAll(/^\s*\(import "[^"]*" "[^"]*" \(func (\$\S+)/gm)].map((match) => match[1] ?? '');
  const own = [...wat.matchAll(/^\s*\(func (\$\S+)/gm)].map((match) => match[1] ?? '');
  if (imported.length + own.length === 0) throw new Error(`${watPath} declares no functions: is it asc's .wat output?`);
  return [...imported, ...own].map((name) => name.slice(1));
}

const WASM_FUNCTION = /^wasm-function\[(\d+)\]$/;

function area(functionName: string, url: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(V8 builtins and native)';
  if (url.startsWith('wasm://')) return 'filter wasm';
  if (url.startsWith('node:')) return 'node: internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') === true ? `npm ${first}/${second ?? ''}` : `npm ${first ?? path}`;
  }
  return path.startsWith(REPO) ? relative(REPO, path) : path;
}

function functionKey(functionName: string, url: string, lineNumber: number): string {
  if (url === '') return functionName === '' ? '(anonymous)' : functionName;
  // V8 reports no line for wasm functions.
  if (url.startsWith('wasm://')) return `${functionName} — ${area(functionName, url)}`;
  const where = url.startsWith('node:') ? url : area(functionName, url);
  return `${functionName === '' ? '(anonymous)' : functionName} — ${where}:${lineNumber + 1}`;
}

function ranked(totals: Map<string, number>, busyMs: number, limit: number): ProfileEntry[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, share: ms / busyMs }));
}

/** Where a profile's time went: self time by area and by function, and inclusive time by function. */
export async function summarizeCpuProfile(
  path: string,
  options: { limit?: number; wasmNames?: readonly string[] } = {},
): Promise<ProfileSummary> {
  const limit = options.limit ?? 25;
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) {
    throw new Error(`${path} is not a V8 .cpuprofile (nodes, samples and timeDeltas expected)`);
  }
  const wasmNames = options.wasmNames;
  if (wasmNames !== undefined) {
    for (const node of profile.nodes) {
      const index = WASM_FUNCTION.exec(node.callFrame.functionName)?.[1];
      const name = index === undefined ? undefined : wasmNames[Number(index)];
      if (name !== undefined) node.callFrame.functionName = name;
    }
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByArea = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  const add = (totals: Map<string, number>, key: string, ms: number): void => {
    totals.set(key, (totals.get(key) ?? 0) + ms);
  };
  let idleMs = 0;
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    // A sample lasts until the next one (the DevTools convention); the last gets none.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === IDLE) {
      idleMs += ms;
      return;
    }
    busyMs += ms;
    add(selfByArea, area(functionName, url), ms);
    add(selfByFunction, functionKey(functionName, url, lineNumber), ms);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame !== undefined && frame.functionName !== '(root)') onStack.add(functionKey(frame.functionName, frame.url, frame.lineNumber));
    }
    for (const key of onStack) add(inclusiveByFunction, key, ms);
  });
  return {
    busyMs,
    idleMs,
    selfByArea: ranked(selfByArea, busyMs, limit),
    selfByFunction: ranked(selfByFunction, busyMs, limit),
    inclusiveByFunction: ranked(inclusiveByFunction, busyMs, limit),
  };
}

function table(title: string, entries: readonly ProfileEntry[]): string {
  const rows = entries.map(
    (entry) => `| ${entry.name.replaceAll('|', '\\|')} | ${Math.round(entry.ms)} | ${(entry.share * 100).toFixed(1)}% |`,
  );
  return [`| ${title} | ms | of busy |`, '| --- | --- | --- |', ...rows].join('\n');
}

export function profileSummaryMarkdown(summary: ProfileSummary): string {
  return [
    `Busy ${Math.round(summary.busyMs)} ms, idle ${Math.round(summary.idleMs)} ms.`,
    '',
    table('self time by area', summary.selfByArea),
    '',
    table('self time by function', summary.selfByFunction),
    '',
    table('inclusive time by function', summary.inclusiveByFunction),
  ].join('\n');
}
