// The magnitudes of one numeric field's differences, in bounded memory: how many were measured,
// the largest absolute and relative difference, and a fixed-size uniform sample of the pairs'
// (absolute, relative) differences from which the typical (median) difference is read. The sample
// is a reservoir (Vitter's algorithm R) driven by a hash of the count, so a replay gives the same
// summary; the median of 32 samples is within a few percentiles of the true median.

import { Type, type Static } from '@sinclair/typebox';
import type { Magnitude } from '../compare/magnitude.js';

export const MAGNITUDE_SAMPLE_SIZE = 32;

const count = Type.Integer({ minimum: 0 });
const difference = Type.Number({ minimum: 0 });

/** One pair's difference and its values as the report shows them (cut, fieldValues.ts). */
export const MagnitudeExampleSchema = Type.Object(
  {
    abs: difference,
    id: Type.String(),
    primary: Type.Union([Type.String(), Type.Null()]),
    shadow: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type MagnitudeExample = Static<typeof MagnitudeExampleSchema>;

/** What the summary and the report both say: counts, maxima, the pairs at the extremes. */
const measuredProperties = {
  /** pairs whose two values were both numbers */
  measured: count,
  maxAbs: difference,
  maxRel: difference,
  /** the pairs of the smallest and the largest difference (the first seen of equals) */
  smallest: Type.Optional(MagnitudeExampleSchema),
  largest: Type.Optional(MagnitudeExampleSchema),
};

export const MagnitudeSummarySchema = Type.Object(
  {
    ...measuredProperties,
    /** reservoir of [abs, rel] differences, at most MAGNITUDE_SAMPLE_SIZE */
    sample: Type.Array(Type.Tuple([difference, difference]), { maxItems: MAGNITUDE_SAMPLE_SIZE }),
  },
  { additionalProperties: false },
);
export type MagnitudeSummary = Static<typeof MagnitudeSummarySchema>;

export const MagnitudeReportSchema = Type.Object(
  {
    ...measuredProperties,
    /** median absolute and relative difference (of a bounded sample) */
    typicalAbs: difference,
    typicalRel: difference,
  },
  { additionalProperties: false },
);
export type MagnitudeReport = Static<typeof MagnitudeReportSchema>;

export function emptyMagnitudeSummary(): MagnitudeSummary {
  return { measured: 0, maxAbs: 0, maxRel: 0, sample: [] };
}

/** A well-mixed 32-bit hash of n: which reservoir slot the n-th difference may take. */
function mix(n: number): number {
  let h = Math.imul(n ^ (n >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

export function addMagnitude(summary: MagnitudeSummary, magnitude: Magnitude, example?: MagnitudeExample): void {
  if (example !== undefined) {
    if (summary.smallest === undefined || example.abs < summary.smallest.abs) summary.smallest = example;
    if (summary.largest === undefined || example.abs > summary.largest.abs) summary.largest = example;
  }
  summary.measured++;
  summary.maxAbs = Math.max(summary.maxAbs, magnitude.abs);
  summary.maxRel = Math.max(summary.maxRel, magnitude.rel);
  if (summary.sample.length < MAGNITUDE_SAMPLE_SIZE) {
    summary.sample.push([magnitude.abs, magnitude.rel]);
    return;
  }
  const slot = mix(summary.measured) % summary.measured;
  if (slot < MAGNITUDE_SAMPLE_SIZE) summary.sample[slot] = [magnitude.abs, magnitude.rel];
}

/** Adds `from` to `into`: counts and maxima exactly, the sample in proportion to what each measured. */
export function mergeMagnitude(into: MagnitudeSummary, from: MagnitudeSummary): void {
  const total = into.measured + from.measured;
  if (total === 0) return;
  const fromShare = Math.round((from.measured / total) * MAGNITUDE_SAMPLE_SIZE);
  const kept = into.sample.slice(0, Math.max(0, MAGNITUDE_SAMPLE_SIZE - Math.min(fromShare, from.sample.length)));
  into.sample = [...kept, ...from.sample.slice(0, MAGNITUDE_SAMPLE_SIZE - kept.length)];
  into.measured = total;
  into.maxAbs = Math.max(into.maxAbs, from.maxAbs);
  into.maxRel = Math.max(into.maxRel, from.maxRel);
  if (from.smallest !== undefined && (into.smallest === undefined || from.smallest.abs < into.smallest.abs))
    into.smallest = { ...from.smallest };
  if (from.largest !== undefined && (into.largest === undefined || from.largest.abs > into.largest.abs)) into.largest = { ...from.largest };
}

export function magnitudeReport(summary: MagnitudeSummary): MagnitudeReport {
  const report: MagnitudeReport = {
    measured: summary.measured,
    maxAbs: summary.maxAbs,
    maxRel: summary.maxRel,
    typicalAbs: median(summary.sample.map(([abs]) => abs)),
    typicalRel: median(summary.sample.map(([, rel]) => rel)),
  };
  if (summary.smallest !== undefined) report.smallest = { ...summary.smallest };
  if (summary.largest !== undefined) report.largest = { ...summary.largest };
  return report;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A copy that shares nothing with `summary`. */
export function magnitudeSnapshot(summary: MagnitudeSummary): MagnitudeSummary {
  const copy: MagnitudeSummary = { ...summary, sample: summary.sample.map(([abs, rel]) => [abs, rel]) };
  if (summary.smallest !== undefined) copy.smallest = { ...summary.smallest };
  if (summary.largest !== undefined) copy.largest = { ...summary.largest };
  return copy;
}
