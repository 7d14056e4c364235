import { readFileSync } from 'node:fs';
import { LogLevel, ProxyWasmHost, type Plugin } from '../../emulator/index.js';
import { observeJsonResponse } from '../../devkit/observedResponse.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { decodeBatch, hashesBlanked } from '../../devkit/wireFormat.js';
import type { BenchContext } from '../benchContext.js';
import { parseCorpus, wholeCorpusDocuments, type Json } from '../corpusCuts.js';
import { comparedRow, type LineResult, type ResultRow } from '../results.js';

/** The filter's default batch size: the path table is shared by this many records. */
const BATCH_SIZE = 32;
/** Responses per workload: a few full batches. */
const RESPONSES = 4 * BATCH_SIZE;

/** A stream of JSON responses, as one route would return them. */
interface Workload {
  name: string;
  note: string;
  bodies: readonly Buffer[];
}

function cycle(items: readonly Json[], count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(JSON.stringify(items[i % items.length])));
}

function arrayAt(value: Json, key: string): Json[] {
  const item = value !== null && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  if (!Array.isArray(item)) throw new Error(`the corpus document has no array "${key}"`);
  return item;
}

/** The corpus as the responses of routes: whole documents repeated, and one item per response. */
function workloads(context: BenchContext): Workload[] {
  const repeated = [...context.documents, ...wholeCorpusDocuments()].map((document) => ({
    name: `${document.name} (${document.bytes.length} B), repeated`,
    note: 'the same document every time',
    bodies: Array.from({ length: RESPONSES }, () => document.bytes),
  }));
  return [
    ...repeated,
    {
      name: 'amazon products, one per response',
      note: 'every product of amazon_cellphones.ndjson in turn: one shape, other values',
      bodies: cycle(arrayAt(parseCorpus('amazon_cellphones.ndjson'), 'products'), RESPONSES),
    },
    {
      name: 'twitter statuses, one per response',
      note: 'every status of twitter.json in turn: optional members and arrays of other lengths',
      bodies: cycle(arrayAt(parseCorpus('twitter.json'), 'statuses'), RESPONSES),
    },
  ];
}

/** `maxSubtrees` absent: the filter's default digest (version 2 adds subtree digests past the leaf budget). */
async function startObserver(wireVersion: 1 | 2, maxSubtrees?: number): Promise<{ host: ProxyWasmHost; plugin: Plugin }> {
  const host = await ProxyWasmHost.load(readFileSync(await requireFilterWasm()), { logLevel: LogLevel.Warn });
  const plugin = host.startPlugin(
    JSON.stringify({
      role: 'primary',
      collector: { cluster: 'shadowdiff_collector', wireVersion },
      export: { batchSize: BATCH_SIZE, maxQueue: RESPONSES, flushIntervalMs: 60_000 },
      ...(maxSubtrees === undefined ? {} : { digest: { maxSubtrees } }),
    }),
  );
  if (!plugin.ok) throw new Error(`the observer plugin did not start: ${host.criticalLogs().join('; ')}`);
  return { host, plugin };
}

interface Exported {
  bytes: number;
  records: number;
  /** Every record as the collector decodes it, timing and hash values blanked, to check both versions carry the same. */
  decoded: string;
}

/** Sends every body of `workload` through the filter and sums the export bodies it made. */
function exportAll(host: ProxyWasmHost, plugin: Plugin, workload: Workload): Exported {
  workload.bodies.forEach((body, i) => {
    observeJsonResponse(plugin, { id: `id-${i}`, requestId: `r-${i}`, path: '/doc', authority: 'bench.local', body });
  });
  plugin.tick();
  const exported: Exported = { bytes: 0, records: 0, decoded: '' };
  const records: unknown[] = [];
  for (const call of host.pendingHttpCalls()) {
    const text = call.bodyText();
    exported.bytes += Buffer.byteLength(text);
    const batch = decodeBatch(JSON.parse(text));
    exported.records += batch.records.length;
    // Version 2 hashes with XXH64, version 1 with FNV-1a: compare the members, not the hash values.
    records.push(
      ...batch.records.map((record) => {
        // Subtree digests are version 2's alone: what both versions carry is compared.
        const { hash: _algorithm, subtrees: _subtrees, subtreesTruncated: _truncated, ...members } = hashesBlanked(record);
        return { ...members, startUnixMs: 0, firstByteUs: 0, lastByteUs: 0 };
      }),
    );
    host.respondHttpCall(call.token, { status: 200 });
  }
  if (host.trapped !== null) throw host.trapped;
  exported.decoded = JSON.stringify(records);
  return exported;
}

/**
 * Line 7: bytes per exported record in wire format 2 against 1, on the shared corpus. Bytes are
 * exact (the built filter in the emulator), so one run decides; `runs` does not apply.
 */
export async function measureWireBytes(context: BenchContext): Promise<LineResult> {
  const line = 7;
  const v1 = await startObserver(1);
  const v2 = await startObserver(2);
  const leavesOnly = await startObserver(2, 0);
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  let total1 = 0;
  let total2 = 0;
  let totalLeavesOnly = 0;
  let records = 0;
  for (const workload of workloads(context)) {
    const old = exportAll(v1.host, v1.plugin, workload);
    const now = exportAll(v2.host, v2.plugin, workload);
    const leaves = exportAll(leavesOnly.host, leavesOnly.plugin, workload);
    for (const [name, version2] of [
      ['version 2', now],
      ['version 2 without subtree digests', leaves],
    ] as const) {
      if (old.records !== workload.bodies.length || version2.records !== old.records) {
        throw new Error(
          `${workload.name}: exported ${old.records} records in version 1 and ${version2.records} in ${name} of ${workload.bodies.length}`,
        );
      }
      if (version2.decoded !== old.decoded) throw new Error(`${workload.name}: ${name} does not decode to the version 1 records`);
    }
    rows.push(
      comparedRow(
        line,
        `${workload.name}: bytes/record, v2 vs v1`,
        'B',
        null,
        [old.bytes / old.records],
        [now.bytes / now.records],
        workload.note,
      ),
    );
    details[workload.name] = { records: old.records, v1Bytes: old.bytes, v2Bytes: now.bytes, v2LeavesOnlyBytes: leaves.bytes };
    total1 += old.bytes;
    total2 += now.bytes;
    totalLeavesOnly += leaves.bytes;
    records += old.records;
  }
  rows.push(
    comparedRow(
      line,
      'all workloads: bytes/record, v2 vs v1',
      'B',
      { bound: 'atMost', limit: 0.35, on: 'ratio' },
      [total1 / records],
      [total2 / records],
      'version 2 as shipped: past the leaf budget it adds the subtree digest (digest.maxSubtrees 512)',
    ),
    comparedRow(
      line,
      'all workloads: bytes/record, v2 without subtree digests vs v1',
      'B',
      null,
      [total1 / records],
      [totalLeavesOnly / records],
      'digest.maxSubtrees 0: the same leaves as version 1, nothing more',
    ),
  );
  return {
    line,
    title: 'Wire format 2 against 1: bytes per exported record',
    method:
      `The built filter in the emulator, one primary-role observer per wire format (default digest: maxFields 256, ` +
      `and for version 2 also one with digest.maxSubtrees 0; ` +
      `batchSize ${BATCH_SIZE}), each fed the same ${RESPONSES} responses per workload; bytes per record = the export ` +
      "bodies' bytes / records exported. Every version 2 batch is decoded as the collector does and must give exactly " +
      'the version 1 records (subtree digests, which only version 2 has, aside). Exact counts, not timings: one run.',
    rows,
    details,
  };
}
