import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { requireFilterWasm } from '../devkit/paths.js';
import type { BenchContext } from './benchContext.js';
import type { BenchPlan } from './benchPlan.js';
import { startChildServer, type ChildServer } from './childServer.js';
import { cutDocuments } from './corpusCuts.js';
import { coreLayout, pinThisProcessToLoadCore } from './cpuPinning.js';
import { freePort } from '../devkit/freePort.js';
import { measureBodyDigest } from './lines/bodyDigest.js';
import { measureCollectorIngest } from './lines/collectorIngest.js';
import { measureCollectorStore } from './lines/collectorStore.js';
import { measureDigestEngine } from './lines/digestEngine.js';
import { measureDigestFeatures } from './lines/digestFeatures.js';
import { measureEdgeFilter } from './lines/edgeFilter.js';
import { measureExportBatching } from './lines/exportBatching.js';
import { measureKafkaMode } from './lines/kafkaMode.js';
import { measureMirroring } from './lines/mirroring.js';
import { measureWireBytes } from './lines/wireBytes.js';
import { machineInfo } from './machineInfo.js';
import { startNginxUpstream, type NginxUpstream } from './nginxUpstream.js';
import type { LineResult } from './results.js';
import { writeReport, type BenchReport } from './report.js';
import { buildNoopFilter } from './noopFilter/build.js';
import { measureSaturation } from './saturation.js';
import { ensureSystemTools } from './systemTools.js';

/** The measured lines, by the number the issue and BENCHMARKS.md give them. */
const LINES: ReadonlyArray<{ line: number; measure: (context: BenchContext) => Promise<LineResult> }> = [
  { line: 1, measure: measureEdgeFilter },
  { line: 2, measure: measureBodyDigest },
  { line: 3, measure: measureExportBatching },
  { line: 4, measure: measureMirroring },
  { line: 5, measure: measureDigestEngine },
  { line: 6, measure: measureCollectorIngest },
  { line: 7, measure: measureWireBytes },
  { line: 8, measure: measureCollectorStore },
  { line: 9, measure: measureDigestFeatures },
  { line: 10, measure: measureKafkaMode },
];
export const LINE_NUMBERS = LINES.map(({ line }) => line);

const SHADOW_DELAY_MS = 200;

export interface BenchRunOptions {
  plan: BenchPlan;
  /** Where `<mode>.json` and `<mode>.md` are written. */
  outDir: string;
  /** Only these lines (default: all). */
  only?: readonly number[];
  log(line: string): void;
}

/** Runs the benchmark end to end: tools, upstreams and stubs, calibration, the lines, the report. Cleans up whatever happens. */
export async function runBench(options: BenchRunOptions): Promise<{ report: BenchReport; files: { json: string; markdown: string } }> {
  const { plan, log } = options;
  const startedMs = Date.now();
  await ensureSystemTools(log);
  await requireFilterWasm();
  log('building the no-op proxy-wasm floor module (bench/noopFilter)');
  await buildNoopFilter();
  const layout = coreLayout();
  const machine = await machineInfo(layout);
  const unpin = await pinThisProcessToLoadCore(layout);
  const documents = cutDocuments();
  let upstream: NginxUpstream | undefined;
  const children: ChildServer[] = [];
  try {
    upstream = await startNginxUpstream(layout, documents);
    const child = async (entry: string, args: string[]): Promise<ChildServer> => {
      const server = await startChildServer(layout, layout.loadCore, resolve(import.meta.dirname, entry), args);
      children.push(server);
      return server;
    };
    const endpoint = (port: number) => ({ address: '127.0.0.1', port });
    // allSettled: every server that did start is in `children` before the finally block stops them.
    const started = await Promise.allSettled([
      child('collectorSink.ts', ['accept']),
      child('collectorSink.ts', ['hold']),
      child('delayedUpstream.ts', [String(SHADOW_DELAY_MS)]),
    ]);
    const servers = started.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
    const [accepting, holding, delayed] = servers as [ChildServer, ChildServer, ChildServer];
    const base = {
      plan,
      layout,
      documents,
      upstream,
      acceptingCollector: endpoint(accepting.port),
      holdingCollector: endpoint(holding.port),
      delayedShadow: endpoint(delayed.port),
      stoppedShadow: endpoint(await freePort()),
      log,
    };
    log('calibrating: no-filter saturation per document');
    const saturation = await measureSaturation(base);
    const context: BenchContext = { ...base, saturationPerSecond: saturation.perSecond };

    const lines: LineResult[] = [];
    const loadAverage: BenchReport['loadAverage'] = {};
    for (const { line, measure } of LINES) {
      if (options.only !== undefined && !options.only.includes(line)) continue;
      const before = loadavg()[0] ?? Number.NaN;
      const lineStartedMs = Date.now();
      log(`line ${line}: measuring`);
      lines.push(await measure(context));
      loadAverage[String(line)] = { before, after: loadavg()[0] ?? Number.NaN };
      log(`line ${line}: done in ${Math.round((Date.now() - lineStartedMs) / 1000)} s`);
    }
    const report: BenchReport = {
      mode: plan.mode,
      startedAt: new Date(startedMs).toISOString(),
      durationSeconds: (Date.now() - startedMs) / 1000,
      machine,
      saturationPerSecond: Object.fromEntries(saturation.perSecond),
      saturationEnvoyCoreUse: saturation.envoyCoreUse,
      loadAverage,
      loadAverageAtEnd: loadavg()[0] ?? Number.NaN,
      lines,
    };
    return { report, files: await writeReport(report, options.outDir) };
  } finally {
    await Promise.all(children.map((server) => server.process.stop()));
    await upstream?.stop();
    await unpin();
  }
}
