import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineInfo } from './machineInfo.js';
import type { Goal, LineResult, ResultRow } from './results.js';
import type { Spread } from './summary.js';

/** Everything one run produced: written as JSON (all samples) and as Markdown (the tables). */
export interface BenchReport {
  mode: 'full' | 'quick';
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  /** No-filter saturation throughput per document (req/s), the base of the fixed rates (line 4 measures its own baseline's). */
  saturationPerSecond: Record<string, number>;
  /** Envoy's CPU seconds per second during those calibration runs: near 1 means Envoy was the limit. */
  saturationEnvoyCoreUse: Record<string, number[]>;
  /** 1-minute load average around each line: how busy the shared machine was meanwhile. */
  loadAverage: Record<string, { before: number; after: number }>;
  /** 1-minute load average when the last line finished (the start's is in `machine`). */
  loadAverageAtEnd: number;
  lines: LineResult[];
}

function number(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(magnitude >= 1 ? 2 : 3);
}

function spreadText(value: Spread | null, unit = ''): string {
  if (value === null) return '—';
  const suffix = unit === '' || unit === '×' ? unit : ` ${unit}`;
  if (value.runs <= 1) return `${number(value.median)}${suffix}`;
  return `${number(value.median)}${suffix} (${number(value.min)}–${number(value.max)})`;
}

function goalText(goal: Goal | null): string {
  if (goal === null) return '—';
  const sign = goal.bound === 'atMost' ? '≤' : '≥';
  return goal.on === 'ratio' ? `${sign} ${goal.limit}×` : `${sign} ${number(goal.limit)}`;
}

function verdict(row: ResultRow): string {
  if (row.met === null) return '';
  return row.met ? 'met' : '**missed**';
}

/**
 * The goal / baseline / measured / ratio table of `lines`, one row per metric; with a floor and a
 * ratio-vs-floor column when any row was also measured against the no-op proxy-wasm floor.
 */
export function resultsTable(lines: readonly LineResult[]): string {
  const floored = lines.some((line) => line.rows.some((row) => row.vsFloor !== undefined));
  const floorHead = floored ? ' floor | vs floor |' : '';
  const out = [
    `| # | metric | goal | baseline | measured | ratio |${floorHead} |`,
    `| --- | --- | --- | --- | --- | --- |${floored ? ' --- | --- |' : ''} --- |`,
  ];
  for (const line of lines) {
    for (const row of line.rows) {
      const ratio = spreadText(row.ratio, '×');
      const floor =
        row.vsFloor === undefined ? ' — | — |' : ` ${spreadText(row.vsFloor.floor, row.unit)} | ${spreadText(row.vsFloor.ratio, '×')} |`;
      out.push(
        `| ${row.line} | ${row.metric} | ${goalText(row.goal)} | ${spreadText(row.baseline, row.unit)} | ${spreadText(row.measured, row.unit)} | ${ratio} |${floored ? floor : ''} ${verdict(row)} |`,
      );
    }
  }
  return out.join('\n');
}

/** The results as Markdown, line sections under headings of `level` (2: `##`). */
export function renderResults(report: BenchReport, level: number): string {
  const m = report.machine;
  const heading = '#'.repeat(level);
  const sections = [
    `Started ${report.startedAt}, took ${Math.round(report.durationSeconds)} s. Medians over the alternated runs, min–max in ` +
      'parentheses; a ratio is measured / baseline per run pair, then the median of those. Where a table has a floor ' +
      "column, the same Envoy runs also measured the no-op proxy-wasm module with shadowdiff's exports (bench/noopFilter), " +
      'and "vs floor" is measured / floor per run pair: the filter\'s own cost above what any proxy-wasm filter costs.',
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node}; Envoy ${m.envoy}; ${m.nginx}; ${m.wrk}. ` +
      `Pinning: ${m.pinning}. Load average (1 min) at start ${number(m.loadAverageAtStart)}, at end ${number(report.loadAverageAtEnd)} ` +
      '(a shared VM: other work ran meanwhile).',
    '',
    `No-filter saturation (req/s): ${Object.entries(report.saturationPerSecond)
      .map(([name, rps]) => `${name} ${number(rps)} (Envoy core use ${(report.saturationEnvoyCoreUse[name] ?? []).map(number).join(', ')})`)
      .join('; ')}.`,
    '',
    ...report.lines.flatMap((line) => {
      const load = report.loadAverage[String(line.line)];
      const loadText = load === undefined ? '' : ` Load average ${number(load.before)} → ${number(load.after)}.`;
      return [`${heading} ${line.line}. ${line.title}`, '', `${line.method}${loadText}`, '', resultsTable([line]), ''];
    }),
  ];
  return sections.join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  return [
    `# shadowdiff benchmark: ${report.mode} run`,
    '',
    renderResults(report, 2),
    'Every sample and counter is in the JSON file beside this one.',
    '',
  ].join('\n');
}

/** Writes `<mode>.json` and `<mode>.md` into `dir`; returns their paths. */
export async function writeReport(report: BenchReport, dir: string): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${report.mode}.json`);
  const markdown = join(dir, `${report.mode}.md`);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(report));
  return { json, markdown };
}
