import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startChildServer } from './childServer.js';
import { BatchSequence, ingestClosedLoop, type LoadWireVersion } from './collectorLoad.js';
import { coreLayout, pinThisProcessToLoadCore } from './cpuPinning.js';
import { summarizeCpuProfile, type ProfileSummary } from './cpuProfileSummary.js';
import { BATCHED, COLLECTOR_SERVER_ENTRY, CONNECTIONS } from './lines/collectorIngest.js';
import { cpuSeconds } from './procStats.js';

export interface CollectorProfile {
  digestsPerSecond: number;
  /** Collector CPU seconds per wall second during the load. */
  coreUse: number;
  profilePath: string;
  summary: ProfileSummary;
}

/**
 * The collector line's batched closed loop (batches of 64, the same records and connections, in
 * wire format `wireVersion`) for `seconds` against a collector run with `node --cpu-prof`, and
 * where its time went.
 */
export async function profileCollector(seconds: number, outDir: string, wireVersion: LoadWireVersion = 2): Promise<CollectorProfile> {
  const layout = coreLayout();
  const unpin = await pinThisProcessToLoadCore(layout);
  await mkdir(outDir, { recursive: true });
  const before = new Set(await readdir(outDir));
  try {
    const collector = await startChildServer(
      layout,
      layout.systemCore,
      COLLECTOR_SERVER_ENTRY,
      [],
      ['--cpu-prof', '--cpu-prof-dir', outDir],
    );
    let load: { recordsPerSecond: number };
    let coreUse: number;
    try {
      const cpuBefore = await cpuSeconds(collector.process.pid);
      const started = Date.now();
      load = await ingestClosedLoop(collector.port, new BatchSequence(BATCHED, collector.port, wireVersion), BATCHED, seconds, CONNECTIONS);
      coreUse = ((await cpuSeconds(collector.process.pid)) - cpuBefore) / ((Date.now() - started) / 1000);
    } finally {
      // SIGTERM: collectorServer.ts closes and exits normally, which is when V8 writes the profile.
      await collector.process.stop();
    }
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's loader thread writes one too).
    const mainThread = `.${collector.process.pid}.0.`;
    const written = (await readdir(outDir)).filter(
      (name) => name.endsWith('.cpuprofile') && name.includes(mainThread) && !before.has(name),
    );
    if (written.length !== 1)
      throw new Error(`expected one new main-thread .cpuprofile (*${mainThread}*) in ${outDir}, found ${written.length}`);
    const profilePath = join(outDir, written[0] ?? '');
    return { digestsPerSecond: load.recordsPerSecond, coreUse, profilePath, summary: await summarizeCpuProfile(profilePath) };
  } finally {
    await unpin();
  }
}
