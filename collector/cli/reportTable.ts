// Renders the report and pair views as plain-text tables for the CLI. Pure: data in, text out.

import { DIVERGENCE_KINDS, FALLBACK_REASONS, type DivergenceKind, type FallbackReason } from '../compare/divergence.js';
import { BUDGET_PARTS } from '../budget/byteBudget.js';
import { secondaryComparable } from '../score/secondaryComparable.js';
import type { Coverage, FieldReport, LatencyVerdict, PairView, Report, RouteReport, SecondaryEvidence } from '../report/reportSchema.js';
import type { LatencyFinding } from '../score/latencyVerdict.js';
import type { IngestedRecord, PairDiff } from '../types.js';
import { pairValueLines, routeValueLines } from './valueLines.js';

const KIND_LABELS = {
  status_class: 'status class',
  status: 'status',
  completion: 'completion',
  header: 'header',
  body: 'body',
  field: 'field',
} as const satisfies Record<DivergenceKind, string>;

type Align = 'left' | 'right';

export function table(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function percent(value: number | null, digits = 1): string {
  return value === null ? '-' : `${(value * 100).toFixed(digits)}%`;
}

function signedMs(value: number | null): string {
  if (value === null) return '-';
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}ms`;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(1)}ms`;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)}MiB`;
}

function budgetDrops(report: Report): string {
  const parts = BUDGET_PARTS.filter((part) => report.budget[part].evictions + report.budget[part].refusals > 0).map(
    (part) => `${part} ${report.budget[part].evictions} evicted, ${report.budget[part].refusals} refused`,
  );
  return parts.length === 0 ? '' : `  (over budget: ${parts.join('; ')})`;
}

function fallbackSummary(reasons: Record<FallbackReason, number>): string {
  const parts = FALLBACK_REASONS.filter((reason) => reasons[reason] > 0).map((reason) => `${reason} ${reasons[reason]}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export function renderReport(report: Report, source: string): string {
  const t = report.totals;
  const c = t.coverage;
  const out: string[] = [
    `shadowdiff report  ${source}  ${new Date(report.generatedAtUnixMs).toISOString()}  window ${report.windowMs / 1000}s`,
    `records   primary ${t.records.primary}  shadow ${t.records.shadow}${t.records.secondary === undefined ? '' : `  secondary ${t.records.secondary}`}  duplicates ${t.duplicates}  late ${t.late}  rejected ${t.rejectedRecords}  pending ${t.pending ?? 'with the join workers'}`,
    `coverage  pairs ${c.pairs}  shadow missing ${c.shadowMissing}  primary missing ${c.primaryMissing}  evicted ${c.evicted}  shadow coverage ${percent(c.shadowCoverage)}`,
    ...secondaryCoverageLine(c),
    `outcome   match ${t.matched}  diverged ${t.diverged}  routes ${report.routesTracked}${report.routeEvictions > 0 ? `  (${report.routeEvictions} lighter routes folded into "other")` : ''}`,
    `memory    ${BUDGET_PARTS.map((part) => `${part} ${mib(report.budget[part].usedBytes)}/${mib(report.budget[part].limitBytes)}`).join('  ')}${budgetDrops(report)}`,
  ];
  if (t.late > 0) out.push(`note      ${t.late} legs arrived after their join window closed; consider a larger join.windowMs`);
  if (report.routes.length === 0) {
    out.push('', 'no pairs yet');
    return out.join('\n');
  }
  out.push(
    '',
    table(
      [
        'ROUTE',
        'PAIRS',
        'DIVERGED',
        'RATE',
        '95% CI',
        'STATUS CLASS',
        'ERRORS P→S',
        'P50 P→S',
        'P99 Δ',
        'SHADOW MISSING',
        'PRIMARY MISSING',
      ],
      report.routes.map((r) => [
        r.route,
        String(r.pairs),
        String(r.diverged),
        percent(r.divergenceRate),
        r.divergenceCi95 === null ? '-' : `${percent(r.divergenceCi95.low)}–${percent(r.divergenceCi95.high)}`,
        String(r.kinds.status_class),
        `${percent(r.errors.primary.rate)}→${percent(r.errors.shadow.rate)}`,
        `${ms(r.latencyMs.primary.p50)}→${ms(r.latencyMs.shadow.p50)}`,
        signedMs(r.latencyMs.delta.p99),
        String(r.coverage.shadowMissing),
        String(r.coverage.primaryMissing),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  const gated = report.routes.filter((r) => r.gate !== undefined);
  if (gated.length > 0) out.push('', `rollout gate: ${GATE_RULE}`, renderGate(gated));
  out.push('', `latency at p95, shadow − primary over each route's pairs (${LATENCY_RULE})`, renderLatencyVerdicts(report.routes));
  for (const route of report.routes) out.push(...renderRouteDetail(route));
  return out.join('\n');
}

/** The secondary's coverage, once there is one: triples, announced secondaries that never came, those not comparable, orphans. */
function secondaryCoverageLine(c: Coverage): string[] {
  if (c.triples === undefined) return [];
  return [
    `secondary triples ${c.triples}  secondary missing ${c.secondaryMissing ?? 0}  unusable ${c.secondaryUnusable ?? 0}  orphaned ${c.secondaryOrphaned ?? 0}  secondary coverage ${percent(c.secondaryCoverage ?? null)}`,
  ];
}

/** What the gate counts (score/secondaryGate.ts), in words. */
export const GATE_RULE = 'regressions only; pairs whose only differences are fields and headers the secondary proved noise are left out';

function renderGate(routes: readonly RouteReport[]): string {
  return table(
    [
      'ROUTE',
      'PAIRS',
      'DIVERGED',
      'NOISE ONLY',
      'GATED',
      'RATE',
      '95% CI',
      'TRIPLES',
      'SECONDARY MISSING',
      'SECONDARY UNUSABLE',
      'SECONDARY COVERAGE',
    ],
    routes.map((r) => {
      const gate = r.gate!;
      return [
        r.route,
        String(r.pairs),
        String(r.diverged),
        String(gate.noiseOnly),
        String(gate.diverged),
        percent(gate.rate),
        gate.ci95 === null ? '-' : `${percent(gate.ci95.low)}–${percent(gate.ci95.high)}`,
        String(r.coverage.triples ?? 0),
        String(r.coverage.secondaryMissing ?? 0),
        String(r.coverage.secondaryUnusable ?? 0),
        percent(r.coverage.secondaryCoverage ?? null),
      ];
    }),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** A field's note: the secondary's finding when it proved one, else the heuristics' flag, and what the triples say so far. */
function fieldNote(f: FieldReport): string {
  const evidence = f.secondary;
  if (evidence?.finding === 'noise')
    return `noise, proven by the secondary: ${f.noiseReason ?? ''}; ignore with ${f.suggestedIgnore ?? f.path}`;
  const flagged = f.likelyNoise ? `likely noise: ${f.noiseReason ?? ''}; ignore with ${f.suggestedIgnore ?? f.path}` : '';
  if (evidence === undefined) return flagged;
  const note = secondaryNote(evidence);
  return flagged === '' || evidence.finding === 'regression' ? note : `${flagged}; ${note}`;
}

/** What the triples say of a field or header, in words (a field's proven noise has its report's reason instead). */
function secondaryNote(evidence: SecondaryEvidence): string {
  const triples = `${evidence.divergentTriples} of ${evidence.triples} triples`;
  switch (evidence.finding) {
    case 'noise':
      return `noise, proven by the secondary: the primaries differ in ${triples} (${percent(evidence.secondaryRate)}), primary and shadow in ${percent(evidence.shadowRate)}`;
    case 'regression':
      return `regression: the primaries differ in ${triples} (${percent(evidence.secondaryRate)}), primary and shadow in ${percent(evidence.shadowRate)}`;
    case 'inconclusive':
      return `secondary: inconclusive (${triples} differ)`;
    case 'too_few_triples':
      return `secondary: too few triples (${triples} differ)`;
  }
}

/** What a latency finding takes (score/latencyVerdict.ts), in words. */
export const LATENCY_RULE = 'a finding needs its whole 95% interval past the threshold';

const FINDING_LABELS = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  no_change: 'no change',
  too_few_pairs: 'too few pairs',
} as const satisfies Record<LatencyFinding, string>;

/** The verdict's delta, interval and finding as table cells. */
export function latencyVerdictCells(verdict: LatencyVerdict): { delta: string; interval: string; threshold: string; finding: string } {
  return {
    delta: signedMs(verdict.deltaMs),
    interval: verdict.ci95 === null ? '-' : `${signedMs(verdict.ci95.low)} … ${signedMs(verdict.ci95.high)}`,
    threshold: ms(verdict.thresholdMs),
    finding:
      verdict.finding === 'too_few_pairs' ? `${FINDING_LABELS.too_few_pairs} (< ${verdict.minPairs})` : FINDING_LABELS[verdict.finding],
  };
}

function renderLatencyVerdicts(routes: readonly RouteReport[]): string {
  return table(
    ['ROUTE', 'PAIRS', 'P95 Δ', '95% CI', 'THRESHOLD', 'FINDING'],
    routes.map((r) => {
      const cells = latencyVerdictCells(r.latencyMs.verdict);
      return [r.route, String(r.latencyMs.verdict.pairs), cells.delta, cells.interval, cells.threshold, cells.finding];
    }),
    ['left', 'right', 'right', 'right', 'right', 'left'],
  );
}

function renderRouteDetail(route: RouteReport): string[] {
  if (route.diverged === 0 && route.fields.length === 0) return [];
  const out = [
    '',
    `${route.route}`,
    `  kinds: ${DIVERGENCE_KINDS.map((kind) => `${KIND_LABELS[kind]} ${route.kinds[kind]}`).join(', ')}`,
    `  errors: shadow only ${route.errors.shadowOnly}, primary only ${route.errors.primaryOnly}; rate delta ${percent(route.errors.rateDelta, 2)}`,
    `  fields compared in ${route.structurallyCompared} pairs; body hash decided ${route.bodyFallback.pairs}${fallbackSummary(route.bodyFallback.reasons)}`,
  ];
  if (route.countError > 0)
    out.push(`  approximate: tracked after up to ${route.countError} requests of routes it replaced; those are counted in "other"`);
  if (route.fieldsEvicted > 0)
    out.push(
      `  ${route.fieldsEvicted} lighter fields gave up their place (report.maxFieldsPerRoute or budget.talliesBytes); PAIRS shown as "n (+≤e)" may have missed up to e pairs before the field was tracked`,
    );
  if (route.fields.length > 0) {
    out.push(
      indent(
        table(
          ['FIELD', 'PAIRS', 'RATE', 'CHANGED', 'MISSING', 'EXTRA', 'EXAMPLES', 'NOTE'],
          route.fields.map((f) => [
            f.path,
            f.countError > 0 ? `${f.divergentPairs} (+≤${f.countError})` : String(f.divergentPairs),
            percent(f.rate),
            String(f.changed),
            String(f.missingInShadow),
            String(f.extraInShadow),
            f.examples.join(' '),
            fieldNote(f),
          ]),
          ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
        ),
      ),
    );
  }
  out.push(...routeValueLines(route));
  if (route.headers.length > 0) {
    out.push(
      indent(
        table(
          // The NOTE column only where the route has triples to say something.
          ['HEADER', 'PAIRS', 'CHANGED', 'MISSING', 'EXTRA', 'EXAMPLES', ...(route.gate === undefined ? [] : ['NOTE'])],
          route.headers.map((h) => [
            h.name,
            String(h.divergentPairs),
            String(h.changed),
            String(h.missingInShadow),
            String(h.extraInShadow),
            h.examples.join(' '),
            ...(h.secondary === undefined ? [] : [secondaryNote(h.secondary)]),
          ]),
          ['left', 'right', 'right', 'right', 'right', 'left', 'left'],
        ),
      ),
    );
  }
  return out;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

const BASIS_LABELS: Record<PairDiff['basis'], string> = {
  fields: 'the structural digest',
  subtrees: 'the subtree digest: both documents beyond the leaf budget',
  body: 'the body hash: ',
};

/** `; 281 subtrees` for a leg that carries a subtree digest. */
function subtreeCount(leg: IngestedRecord): string {
  return leg.subtrees === undefined ? '' : `; ${Object.keys(leg.subtrees).length} subtrees${leg.subtreesTruncated ? ' (truncated)' : ''}`;
}

/** A diff's differences as table rows: headers, fields, subtree entries ignore rules reach into. */
function diffRows(diff: PairDiff): string[][] {
  return [
    ...diff.headers.map((h) => [`header ${h.name}`, h.change, h.primary ?? '-', h.shadow ?? '-']),
    ...diff.fields.map((f) => [f.path, f.change, f.primary ?? '-', f.shadow ?? '-']),
    ...(diff.inconclusive ?? []).map((f) => [f.path, 'inconclusive: ignore rules reach into it', f.primary ?? '-', f.shadow ?? '-']),
  ];
}

export function renderPair(view: PairView): string {
  const out = [`pair ${view.id}  ${view.state}${view.route === null ? '' : `  ${view.route}`}`];
  const legs = [view.primary, view.shadow, ...(view.secondary === undefined ? [] : [view.secondary])];
  const LEG_NAMES = ['primary', 'shadow', 'secondary'] as const;
  out.push(
    '',
    table(
      ['LEG', 'STATUS', 'COMPLETE', 'BYTES', 'FIRST BYTE', 'LAST BYTE', 'JSON', 'FIELDS', 'BODY HASH'],
      legs.map((leg, i) =>
        leg === null
          ? [LEG_NAMES[i] ?? '', i === 2 ? '(announced, not received: judged as a pair)' : '(not received)', '', '', '', '', '', '', '']
          : [
              leg.leg,
              String(leg.status),
              String(leg.complete),
              String(leg.respBytes),
              ms(leg.firstByteUs / 1000),
              ms(leg.lastByteUs / 1000),
              leg.json,
              `${Object.keys(leg.fields).length}${leg.fieldsTruncated ? ' (truncated)' : ''}${subtreeCount(leg)}`,
              leg.bodyHash,
            ],
      ),
    ),
  );
  const diff = view.diff;
  if (diff === null) return out.join('\n');
  out.push(
    '',
    `${diff.diverged ? `DIVERGED: ${diff.kinds.join(', ')}` : 'MATCH'}  (decided by ${BASIS_LABELS[diff.basis]}${diff.fallback ?? ''}` +
      `; ignored ${diff.ignoredFields} field and ${diff.ignoredHeaders} header differences)`,
  );
  const rows = diffRows(diff);
  if (rows.length > 0) out.push('', table(['WHAT', 'CHANGE', 'PRIMARY', 'SHADOW'], rows));
  out.push(...pairValueLines(diff));
  const between = view.secondaryDiff;
  if (between !== undefined) {
    const comparable = view.primary === null || view.secondary == null || secondaryComparable(view.primary, view.secondary);
    out.push(
      '',
      `PRIMARY vs SECONDARY: ${between.diverged ? between.kinds.join(', ') : 'equal'}  (${
        comparable
          ? 'what non-determinism alone made differ'
          : 'not comparable: another status than the primary, or no upstream reached; no evidence, the pair judged as a pair'
      })`,
    );
    const secondaryRows = diffRows(between);
    if (secondaryRows.length > 0) out.push('', table(['WHAT', 'CHANGE', 'PRIMARY', 'SECONDARY'], secondaryRows));
  }
  return out.join('\n');
}
