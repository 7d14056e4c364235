// Runs the benchmark harness end to end in its --quick form: every line must produce numbers and the
// report must be written. Timings are never asserted: this machine is shared, and the numbers of a
// seconds-long run mean nothing anyway.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUICK_PLAN } from '../../bench/benchPlan.js';
import { LINE_NUMBERS, runBench } from '../../bench/benchRun.js';
import { useTempDir } from './tempDir.js';

describe('npm run bench -- --quick', () => {
  const outDir = useTempDir('shadowdiff-bench-quick-');

  it('measures every line and writes the report', { timeout: 360_000 }, async () => {
    const { report, files } = await runBench({ plan: QUICK_PLAN, outDir: outDir(), log: () => {} });

    expect(report.lines.map((line) => line.line)).toEqual(LINE_NUMBERS);
    for (const line of report.lines) {
      expect(line.rows.length, `line ${line.line} has rows`).toBeGreaterThan(0);
      for (const row of line.rows) {
        expect(Number.isFinite(row.measured.median), `line ${line.line} "${row.metric}" measured ${row.measured.median}`).toBe(true);
        if (row.baseline !== null) expect(Number.isFinite(row.baseline.median), `line ${line.line} "${row.metric}" baseline`).toBe(true);
      }
    }
    expect(existsSync(files.json)).toBe(true);
    const markdown = readFileSync(files.markdown, 'utf8');
    for (const line of LINE_NUMBERS) expect(markdown).toContain(`## ${line}. `);
  });
});
