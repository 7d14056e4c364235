import { noFilterBootstrap, withoutMirroring } from './benchBootstraps.js';
import { documentPath, type BenchContext } from './benchContext.js';
import type { CutName } from './corpusCuts.js';
import { startEnvoyBed, type EnvoyBed } from './envoyBed.js';
import { spread } from './summary.js';

const NO_FILTER = 'no filter (calibration)';

/**
 * The no-filter saturation throughput of each document, found before anything else: latency runs
 * are made at a fixed share of it. Also returns how much of its core Envoy used at saturation,
 * which says whether Envoy (and not the shared load core) was the limit.
 */
export async function measureSaturation(
  context: Omit<BenchContext, 'saturationPerSecond'>,
): Promise<{ perSecond: Map<CutName, number>; envoyCoreUse: Record<string, number[]> }> {
  const bed = await startEnvoyBed({ ...context, saturationPerSecond: new Map() }, [
    { label: NO_FILTER, bootstrap: (wiring) => withoutMirroring(noFilterBootstrap(wiring)) },
  ]);
  const perSecond = new Map<CutName, number>();
  const envoyCoreUse: Record<string, number[]> = {};
  try {
    for (const document of context.documents) {
      const name = document.name as CutName;
      const path = documentPath(name);
      await bed.warm(path);
      const saturation = await saturationOf(bed, NO_FILTER, path, context.plan.calibrationRuns);
      perSecond.set(name, saturation.perSecond);
      envoyCoreUse[name] = saturation.envoyCoreUse;
      context.log(`  ${name}: ${Math.round(perSecond.get(name) ?? 0)} req/s`);
    }
  } finally {
    await bed.stop();
  }
  return { perSecond, envoyCoreUse };
}

/** The median closed-loop throughput of one Envoy of a (warmed) bed over `runs` runs, and its core use in each. */
export async function saturationOf(
  bed: EnvoyBed,
  label: string,
  path: string,
  runs: number,
): Promise<{ perSecond: number; envoyCoreUse: number[] }> {
  const samples = [];
  for (let run = 0; run < runs; run++) samples.push(await bed.throughput(label, path));
  return {
    perSecond: spread(samples.map((sample) => sample.requestsPerSecond)).median,
    envoyCoreUse: samples.map((sample) => sample.envoyCoreUse),
  };
}
