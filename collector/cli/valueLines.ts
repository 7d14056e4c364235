// The CLI's lines about captured values (the filter's digest.capture): both values of a field's
// example pairs, numeric fields ranked by the magnitude of their differences, and what was within
// tolerance. Pure: report parts in, lines out.

import type { PairView, RouteReport } from '../report/reportSchema.js';
import type { MagnitudeExample, MagnitudeReport } from '../score/magnitudeSummary.js';
import { table } from './reportTable.js';

/** A difference with four significant digits and no float dust: 0.0001, 1.235e-7. */
export function difference(value: number): string {
  return value === 0 ? '0' : String(Number(value.toPrecision(4)));
}

function relative(value: number): string {
  return value === 0 ? '0%' : `${Number((value * 100).toPrecision(3))}%`;
}

function indent(lines: string): string[] {
  return lines.split('\n').map((line) => `  ${line}`);
}

export function magnitudeCells(m: MagnitudeReport): string[] {
  return [String(m.measured), difference(m.maxAbs), relative(m.maxRel), difference(m.typicalAbs), relative(m.typicalRel)];
}

export function routeValueLines(route: RouteReport): string[] {
  const out: string[] = [];
  if (route.withinTolerance !== undefined)
    out.push(`  within tolerance: ${route.withinTolerance} pairs differed only within compare.tolerances (not counted as diverged)`);
  for (const field of route.fields) {
    if (field.exampleValues === undefined || field.exampleValues.length === 0) continue;
    const pairs = field.exampleValues.map((e) => `${e.primary ?? '(none)'} → ${e.shadow ?? '(none)'} (${e.id})`);
    out.push(`  values of ${field.path}: ${pairs.join(', ')}`);
  }
  const measured = route.fieldsByMagnitude ?? [];
  const pair = (e: MagnitudeExample) => `${e.primary ?? '(none)'} → ${e.shadow ?? '(none)'} (${e.id})`;
  for (const m of measured) {
    if (m.smallest === undefined || m.largest === undefined) continue;
    out.push(
      `  ${m.path} differs by ${difference(m.smallest.abs)} (${pair(m.smallest)}) up to ${difference(m.largest.abs)} (${pair(m.largest)})`,
    );
  }
  if (measured.length > 0) {
    const tolerated = new Map(route.fields.map((f) => [f.path, f.withinTolerance ?? 0]));
    out.push(
      ...indent(
        table(
          ['NUMERIC FIELD', 'MEASURED', 'MAX ABS', 'MAX REL', 'TYPICAL ABS', 'TYPICAL REL', 'WITHIN TOLERANCE'],
          measured.map((m) => [m.path, ...magnitudeCells(m), String(tolerated.get(m.path) ?? '-')]),
          ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
        ),
      ),
    );
  }
  return out;
}

export function pairValueLines(diff: NonNullable<PairView['diff']>): string[] {
  const rows = [
    ...diff.fields.map((f) => ({ f, verdict: 'diverged' })),
    ...(diff.withinTolerance ?? []).map((f) => ({ f, verdict: 'within tolerance' })),
  ].filter(({ f }) => f.primaryValue !== undefined || f.shadowValue !== undefined);
  if (rows.length === 0) return [];
  return [
    '',
    table(
      ['FIELD', 'PRIMARY VALUE', 'SHADOW VALUE', 'ABS', 'REL', 'VERDICT'],
      rows.map(({ f, verdict }) => [
        f.path,
        f.primaryValue ?? '-',
        f.shadowValue ?? '-',
        f.magnitude === undefined ? '-' : difference(f.magnitude.abs),
        f.magnitude === undefined ? '-' : relative(f.magnitude.rel),
        verdict,
      ]),
    ),
  ];
}
