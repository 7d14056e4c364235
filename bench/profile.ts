// Where the time goes, for the lines that miss their goals (BENCHMARKS.md quotes these):
//
//   npx tsx bench/profile.ts collector [--seconds 20] [--wire 2|1]
//     the collector line's batched load (wire format 2 by default, as the filter sends) against a collector under node --cpu-prof
//   npx tsx bench/profile.ts envoy --variant no-filter|floor|edge-unsampled|edge-5|edge|digest [--document 1k|16k|64k] [--seconds 15]
//     one bench Envoy under wrk, sampled with perf record -e cpu-clock (floor: the no-op proxy-wasm module;
//     edge-unsampled / edge-5: the edge filter at 0% / 5% sampled with the full JSON digest; edge: 100%, digest.json false)
//   npx tsx bench/profile.ts calls --variant unsampled|sampled-hash|sampled-digest|sampled-digest-gzip [--document 1k|16k|64k]
//     the edge filter's host calls and AssemblyScript allocations per request and phase, counted in the
//     emulator (exact, whatever the machine's load)
//   npx tsx bench/profile.ts cpuprofile FILE [--wat build/shadowdiff.wat]
//     the summary of any .cpuprofile (e.g. node --cpu-prof --import tsx bench/run.ts --quick --only 5),
//     the filter's wasm functions named from the .wat of the same build
//
// Profiles are written to --out (default: shadowdiff-profiles in the system's temporary directory).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { profileCollector } from './collectorProfile.js';
import { CUT_NAMES, type CutName } from './corpusCuts.js';
import { profileSummaryMarkdown, summarizeCpuProfile, wasmFunctionNames } from './cpuProfileSummary.js';
import { ENVOY_PROFILE_VARIANTS, profileEnvoy, type EnvoyProfileVariant } from './envoyProfile.js';
import { CALL_COUNT_VARIANTS, countFilterCalls, PHASES, type CallCounts, type CallCountVariant } from './filterCallCounts.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string' },
    wire: { type: 'string', default: '2' },
    variant: { type: 'string' },
    document: { type: 'string', default: '1k' },
    wat: { type: 'string' },
    out: { type: 'string', default: join(tmpdir(), 'shadowdiff-profiles') },
  },
});

function seconds(fallback: number): number {
  const value = Number(values.seconds ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);
  return value;
}

const [what, file] = positionals;
if (what === 'collector') {
  if (values.wire !== '1' && values.wire !== '2') throw new Error(`--wire must be 1 or 2, got "${values.wire}"`);
  const result = await profileCollector(seconds(20), values.out, values.wire === '1' ? 1 : 2);
  process.stdout.write(
    `${Math.round(result.digestsPerSecond)} digests/s at ${result.coreUse.toFixed(2)} collector cores; profile ${result.profilePath}\n\n` +
      `${profileSummaryMarkdown(result.summary)}\n`,
  );
} else if (what === 'envoy') {
  const variant = values.variant ?? '';
  if (!(variant in ENVOY_PROFILE_VARIANTS))
    throw new Error(`--variant must be one of ${Object.keys(ENVOY_PROFILE_VARIANTS).join(', ')}, got "${variant}"`);
  const document = values.document;
  if (!(CUT_NAMES as readonly string[]).includes(document))
    throw new Error(`--document must be one of ${CUT_NAMES.join(', ')}, got "${document}"`);
  const result = await profileEnvoy(variant as EnvoyProfileVariant, document as CutName, seconds(15), values.out);
  process.stdout.write(
    `${result.variant}, ${result.document}: ${Math.round(result.requestsPerSecond)} req/s closed loop, ` +
      `${Math.round(result.cpuUsPerRequest)} µs Envoy CPU per request; ${result.perfData}\n\n` +
      `By thread and object:\n${result.byObject}\n\nBy symbol:\n${result.bySymbol}\n`,
  );
} else if (what === 'calls') {
  const variant = values.variant ?? '';
  if (!(variant in CALL_COUNT_VARIANTS))
    throw new Error(`--variant must be one of ${Object.keys(CALL_COUNT_VARIANTS).join(', ')}, got "${variant}"`);
  const document = values.document;
  if (!(CUT_NAMES as readonly string[]).includes(document))
    throw new Error(`--document must be one of ${CUT_NAMES.join(', ')}, got "${document}"`);
  const counts = await countFilterCalls(variant as CallCountVariant, document as CutName);
  const text = (calls: CallCounts): string =>
    Object.entries(calls)
      .map(([name, count]) => `${name} ${Number(count.toFixed(2))}`)
      .join(', ');
  process.stdout.write(
    `${counts.variant}, ${counts.document}: per request (mean of ${counts.requests}) ${text(counts.perRequest)}\n` +
      PHASES.map((phase) => `  ${phase}: ${text(counts.byPhase[phase])}\n`).join(''),
  );
} else if (what === 'cpuprofile' && file !== undefined) {
  const wasmNames = values.wat === undefined ? undefined : await wasmFunctionNames(values.wat);
  process.stdout.write(`${profileSummaryMarkdown(await summarizeCpuProfile(file, wasmNames === undefined ? {} : { wasmNames }))}\n`);
} else {
  throw new Error(
    `usage: bench/profile.ts collector [--wire 2|1] | envoy --variant ${Object.keys(ENVOY_PROFILE_VARIANTS).join('|')} | calls --variant ${Object.keys(CALL_COUNT_VARIANTS).join('|')} | cpuprofile FILE`,
  );
}
