// npm run bench [-- --quick] [-- --only 1,3] [-- --out DIR]
//   Measures shadowdiff's cost on this machine as ratios against baselines taken in the same run and
//   writes DIR/<full|quick>.md and .json (default DIR: bench/results). BENCHMARKS.md explains the method.
// npm run bench -- --render bench/results/full.json
//   Renders that run's JSON again: its .md beside it, and the results block of BENCHMARKS.md.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL_PLAN, QUICK_PLAN } from './benchPlan.js';
import { updateBenchmarksDoc } from './benchmarksDoc.js';
import { LINE_NUMBERS, runBench } from './benchRun.js';
import { resultsTable, writeReport, type BenchReport } from './report.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: resolve(import.meta.dirname, 'results') },
    render: { type: 'string' },
  },
});

if (values.render !== undefined) {
  const report = JSON.parse(await readFile(values.render, 'utf8')) as BenchReport;
  const files = await writeReport(report, dirname(values.render));
  const doc = resolve(import.meta.dirname, '../BENCHMARKS.md');
  await updateBenchmarksDoc(doc, report);
  process.stdout.write(`wrote ${files.markdown} and the results of ${doc}\n`);
} else {
  const only = values.only?.split(',').map(Number);
  if (only?.some((line) => !LINE_NUMBERS.includes(line))) {
    throw new Error(`--only takes line numbers from ${LINE_NUMBERS.join(', ')}`);
  }
  const log = (line: string): void => {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const { report, files } = await runBench({ plan: values.quick ? QUICK_PLAN : FULL_PLAN, outDir: values.out, log, ...(only === undefined ? {} : { only }) });
  process.stdout.write(`${resultsTable(report.lines)}\n\nwrote ${files.markdown} and ${files.json} in ${Math.round(report.durationSeconds)} s\n`);
}
