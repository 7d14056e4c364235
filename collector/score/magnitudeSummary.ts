// The magnitudes of one numeric field's differences, in bounded memory: how many were measured,
// the largest absolute and relative difference, and a fixed-size uniform sample of the pairs'
// (absolute, relative) differences from which the typical (median) difference is read. The sample
// is the bottom 32 pairs by a hash of their correlation id (bottomK.ts), and equal differences at
// the extremes are told apart by id, so the summary is a function of the pairs measured, in any
// order; the median of 32 samples is within a few percentiles of the true median.

import { Type, type Static } from '@sinclair/typebox';
import type { Magnitude } from '../compare/magnitude.js';
import { keepInSample, spacedKeys } from './bottomK.js';

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
  /** the pairs of the smallest and the largest difference (of equals, the smallest id) */
  smallest: Type.Optional(MagnitudeExampleSchema),
  largest: Type.Optional(MagnitudeExampleSchema),
};

export const MagnitudeSummarySchema = Type.Object(
  {
    ...measuredProperties,
    /** reservoir of [abs, rel] differences, at most MAGNITUDE_SAMPLE_SIZE */
    sample: Type.Array(Type.Tuple([difference, difference]), { maxItems: MAGNITUDE_SAMPLE_SIZE }),
    /** each sampled pair's key (idHash of its id), ascending; absent in summaries of releases that sampled by arrival */
    keys: Type.Optional(Type.Array(Type.Number({ minimum: 0 }), { maxItems: MAGNITUDE_SAMPLE_SIZE })),
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
  return { measured: 0, maxAbs: 0, maxRel: 0, sample: [], keys: [] };
}

/** `key`: idHash of the pair's correlation id. */
export function addMagnitude(summary: MagnitudeSummary, magnitude: Magnitude, key: number, example?: MagnitudeExample): void {
  if (example !== undefined) keepExtremes(summary, example);
  summary.measured++;
  summary.maxAbs = Math.max(summary.maxAbs, magnitude.abs);
  summary.maxRel = Math.max(summary.maxRel, magnitude.rel);
  keepSample(summary, key, [magnitude.abs, magnitude.rel]);
}

/** Adds `from` to `into`: counts, maxima and extremes exactly, the sample as the bottom keys of both. */
export function mergeMagnitude(into: MagnitudeSummary, from: MagnitudeSummary): void {
  into.measured += from.measured;
  into.maxAbs = Math.max(into.maxAbs, from.maxAbs);
  into.maxRel = Math.max(into.maxRel, from.maxRel);
  if (from.smallest !== undefined) keepExtremes(into, from.smallest);
  if (from.largest !== undefined) keepExtremes(into, from.largest);
  const keys = sampleKeys(from);
  from.sample.forEach((difference, i) => keepSample(into, keys[i]!, difference));
}

function keepExtremes(summary: MagnitudeSummary, example: MagnitudeExample): void {
  if (
    summary.smallest === undefined ||
    example.abs < summary.smallest.abs ||
    (example.abs === summary.smallest.abs && example.id < summary.smallest.id)
  )
    summary.smallest = { ...example };
  if (
    summary.largest === undefined ||
    example.abs > summary.largest.abs ||
    (example.abs === summary.largest.abs && example.id < summary.largest.id)
  )
    summary.largest = { ...example };
}

function keepSample(summary: MagnitudeSummary, key: number, difference: [number, number]): void {
  keepInSample(
    sampleKeys(summary),
    summary.sample,
    MAGNITUDE_SAMPLE_SIZE,
    key,
    difference,
    (kept, offered) => kept[0] - offered[0] || kept[1] - offered[1],
  );
}

/** The sample's keys, given spaced ones first when it has none (a summary restored from a release that sampled by arrival). */
function sampleKeys(summary: MagnitudeSummary): number[] {
  if (summary.keys === undefined || summary.keys.length !== summary.sample.length)
    summary.keys = spacedKeys(summary.sample.length, summary.measured);
  return summary.keys;
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
  if (summary.keys !== undefined) copy.keys = [...summary.keys];
  if (summary.smallest !== undefined) copy.smallest = { ...summary.smallest };
  if (summary.largest !== undefined) copy.largest = { ...summary.largest };
  return copy;
}
