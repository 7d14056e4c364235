// How much of each traffic segment the edge mirrored, from Envoy's own counters, next to the rate
// the edge filter is configured with: the demo shows that sampling does what the config says.

import type { JsonObject, JsonValue } from '../../envoy/json.js';
import type { Segment } from '../../examples/traffic.js';
import { table } from '../../collector/cli/reportTable.js';

/** The plan's user groups and the edge filter's segment that samples each (`default`: no rule matched). */
export const FILTER_SEGMENT_OF: Readonly<Record<Segment, string>> = { employee: 'employees', beta: 'beta', public: 'default' };

export interface SegmentMirroring {
  segment: string;
  sent: number;
  mirrored: number;
  configuredPercent: number;
}

/** The percentage each filter segment is configured with, read from the edge filter config itself. */
export function configuredPercents(edgeConfig: JsonObject): Map<string, number> {
  const sampling = objectAt(edgeConfig, 'sampling');
  const percents = new Map<string, number>([['default', numberAt(sampling, 'defaultPercent')]]);
  const segments = sampling['segments'];
  if (!Array.isArray(segments)) throw new Error('edge filter config: sampling.segments is not an array');
  for (const segment of segments) {
    const rule = asObject(segment, 'sampling.segments[]');
    const name = rule['name'];
    if (typeof name !== 'string') throw new Error('edge filter config: a segment has no name');
    percents.set(name, numberAt(rule, 'percent'));
  }
  return percents;
}

export function segmentMirroring(
  sentBySegment: ReadonlyMap<Segment, number>,
  envoyStats: ReadonlyMap<string, number>,
  edgeConfig: JsonObject,
): SegmentMirroring[] {
  const percents = configuredPercents(edgeConfig);
  return (Object.entries(FILTER_SEGMENT_OF) as Array<[Segment, string]>).map(([planSegment, segment]) => ({
    segment,
    sent: sentBySegment.get(planSegment) ?? 0,
    mirrored: envoyStats.get(`wasmcustom.shadowdiff.edge.sampled.${segment}`) ?? 0,
    configuredPercent: percents.get(segment) ?? 0,
  }));
}

export function renderSegmentMirroring(rows: readonly SegmentMirroring[]): string {
  return table(
    ['SEGMENT', 'SENT', 'MIRRORED', 'SHARE', 'CONFIGURED'],
    rows.map((row) => [
      row.segment,
      String(row.sent),
      String(row.mirrored),
      row.sent === 0 ? '-' : `${((row.mirrored / row.sent) * 100).toFixed(1)}%`,
      `${row.configuredPercent}% of users`,
    ]),
    ['left', 'right', 'right', 'right', 'right'],
  );
}

function objectAt(object: JsonObject, key: string): JsonObject {
  return asObject(object[key], key);
}

function asObject(value: JsonValue | undefined, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`edge filter config: ${where} is not an object`);
  return value;
}

function numberAt(object: JsonObject, key: string): number {
  const value = object[key];
  if (typeof value !== 'number') throw new Error(`edge filter config: ${key} is not a number`);
  return value;
}
