import { gzipSync } from 'node:zlib';
import type { BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { comparedRow, runsOf, type LineResult, type ResultRow } from '../results.js';
import { assertDigested, filterEngine, startObserver, throughput, type Engine } from './digestEngine.js';

const DEFAULT = 'default digest (subtrees past the leaf budget)';
const LEAVES_ONLY = 'digest.maxSubtrees 0';
const CAPTURE = 'digest.capture of every leaf';
const GZIP = 'gzip body, default digest';

/**
 * Line 9: what the digest's optional work costs per sampled response in the VM: subtree digests
 * past the leaf budget, value capture, and decoding a gzip body. Same harness as line 5 (the built
 * filter through emulator/, full request streams, 16 KiB body slices, record encoding included),
 * the variants alternated run by run; the cost is the ratio of CPU time per response.
 */
export async function measureDigestFeatures(context: BenchContext): Promise<LineResult> {
  const line = 9;
  const observers = {
    [DEFAULT]: await startObserver({}),
    [LEAVES_ONLY]: await startObserver({ maxSubtrees: 0 }),
    [CAPTURE]: await startObserver({ capture: { paths: ['$.**'] } }),
    [GZIP]: await startObserver({}),
  };
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  for (const document of context.documents) {
    const gzipped = gzipSync(document.bytes, { level: 6 });
    const engines: Record<string, Engine> = {};
    const records: Record<string, unknown> = {};
    for (const [label, { host, plugin }] of Object.entries(observers)) {
      const engine =
        label === GZIP ? filterEngine(host, plugin, gzipped, [['content-encoding', 'gzip']]) : filterEngine(host, plugin, document.bytes);
      const record = assertDigested(host, plugin, engine, document, label === GZIP ? gzipped.length : document.bytes.length);
      records[label] = {
        fields: Object.keys(record.fields).length,
        subtrees: record.subtrees?.length ?? 0,
        values: Object.keys(record.values ?? {}).length,
        decoding: record.decoding ?? null,
      };
      engines[label] = engine;
    }
    const seconds = context.plan.digestEngineSeconds;
    for (const engine of Object.values(engines)) throughput(engine, document.bytes.length, seconds / 2);
    const runs = await alternate(Object.keys(engines), context.plan.runs, async (label) =>
      throughput(engines[label]!, document.bytes.length, seconds),
    );
    // MB/s of the document's bytes, as µs per response.
    const micros = (label: string): number[] => runsOf(runs, label, (mbps) => document.bytes.length / mbps);
    const name = `${document.name} (${document.bytes.length} B)`;
    rows.push(
      comparedRow(line, `${name}: subtree digests vs maxSubtrees 0, µs/response`, 'µs', null, micros(LEAVES_ONLY), micros(DEFAULT)),
      comparedRow(line, `${name}: capture of every leaf vs capture off, µs/response`, 'µs', null, micros(DEFAULT), micros(CAPTURE)),
      comparedRow(line, `${name}: gzip body (${gzipped.length} B) vs identity, µs/response`, 'µs', null, micros(DEFAULT), micros(GZIP)),
    );
    details[document.name] = { records, mbps: Object.fromEntries(runs) };
  }
  return {
    line,
    title: 'What the optional digest work costs per sampled response: subtree digests, value capture, gzip decoding',
    method:
      'The harness of line 5 (the built filter in V8 WebAssembly through emulator/, one primary-role plugin per ' +
      'variant, full request streams with the body in 16 KiB slices, on_log and record encoding included), the ' +
      'variants alternated run by run: the default digest (maxFields 256; past it, up to 512 subtree digests), the ' +
      "same with digest.maxSubtrees 0 (past the leaf budget the rest is only validated), with digest.capture of '$.**' " +
      '(every leaf value, up to the 512-byte default per record), and the default digest of the document gzip-encoded ' +
      '(level 6, content-encoding: gzip, inflated in the filter). µs per response = document bytes / MB/s. Details ' +
      'give what each record carried (fields, subtrees, values, decoding). No goal: the issue asks what they cost.',
    rows,
    details,
  };
}
