// The verdicts topic's records: a verdict round-trips to the resolution the scoreboard takes in,
// for every way an id ends, and what a report instance must refuse (another key, a pending or
// route-less verdict, a state without its legs, a tally running backwards) is refused by field.

import { describe, expect, it } from 'vitest';
import { IgnoreRules } from '../../../collector/compare/ignoreRules.js';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { decodeVerdictTopicRecord, encodeOrphaned, encodeTally, encodeVerdict } from '../../../collector/kafka/verdictRecord.js';
import { pairViewOf, resolutionOf, type Resolution } from '../../../collector/score/resolution.js';
import { refusal } from './topicRecordRefusal.js';
import { record, T0 } from '../fixtures.js';

const primary = record('primary', { id: 'r-7' });
const shadow = record('shadow', { id: 'r-7', status: 500 });
const NO_IGNORE = new IgnoreRules({ fields: [], headers: [], routes: {} }).forRoute('GET /orders/{id}');
const diff = comparePair(primary, shadow, NO_IGNORE, 'all');
const secondary = record('secondary', { id: 'r-7', fields: { '$.id': '00000099' } });
const resolutions: Resolution[] = [
  { kind: 'paired', route: 'GET /orders/{id}', primary, shadow, diff },
  // A triple, and a pair whose announced secondary never came.
  {
    kind: 'paired',
    route: 'GET /orders/{id}',
    primary: { ...primary, withSecondary: true },
    shadow,
    diff,
    secondary: { record: secondary, diff: comparePair(primary, secondary, NO_IGNORE, 'all') },
  },
  { kind: 'paired', route: 'GET /orders/{id}', primary: { ...primary, withSecondary: true }, shadow, diff, secondary: null },
  { kind: 'missing', route: 'GET /orders/{id}', record: primary, outcome: 'shadow_missing' },
  { kind: 'missing', route: 'GET /orders/{id}', record: shadow, outcome: 'primary_missing' },
  { kind: 'evicted', route: 'other', record: shadow },
];

describe('verdict record', () => {
  it.each(resolutions)('round-trips a $kind verdict to the resolution it records', (resolution) => {
    const pair = pairViewOf(resolution, T0 + 5);
    const { key, value } = encodeVerdict(pair, { partition: 3, offset: 41 });
    expect(key.toString('utf8')).toBe('r-7');
    const decoded = decodeVerdictTopicRecord(key, value);
    expect(decoded).toEqual({ v: 2, kind: 'verdict', legs: { partition: 3, offset: 41 }, pair });
    expect(decoded.kind === 'verdict' && resolutionOf(decoded.pair)).toEqual(resolution);
  });

  it("reads the previous release's verdict (version 1, never with a secondary)", () => {
    const pair = pairViewOf(resolutions[0]!, T0 + 5);
    const previous = { v: 1, kind: 'verdict', legs: { partition: 3, offset: 41 }, pair };
    expect(decodeVerdictTopicRecord(Buffer.from('r-7'), Buffer.from(JSON.stringify(previous)))).toEqual(previous);
  });

  it('round-trips an orphaned secondary, keyed by its id, and refuses one keyed by another or without its route', () => {
    const orphaned = { legs: { partition: 1, offset: 9 }, id: 'o-1', route: 'GET /users/{id}', resolvedAtUnixMs: T0 + 9 };
    const { key, value } = encodeOrphaned(orphaned);
    expect(key.toString('utf8')).toBe('o-1');
    expect(decodeVerdictTopicRecord(key, value)).toEqual({ v: 1, kind: 'orphaned', ...orphaned });
    expect(refusal(() => decodeVerdictTopicRecord(Buffer.from('o-2'), value)).field).toBe('(key)');
    const routeless = encodeOrphaned({ ...orphaned, route: '' });
    expect(refusal(() => decodeVerdictTopicRecord(routeless.key, routeless.value)).message).toMatch(
      /does not match the verdict record schema/,
    );
  });

  it('round-trips a tally, keyed by its partition, its duplicates and late legs by leg', () => {
    const tally = {
      legs: { partition: 2, fromOffset: 10, toOffset: 19 },
      records: { primary: 6, shadow: 4 },
      duplicates: { primary: 1, shadow: 0 },
      late: { primary: 0, shadow: 2, secondary: 1 },
    };
    const { key, value } = encodeTally(tally);
    expect(key.toString('utf8')).toBe('tally/2');
    expect(decodeVerdictTopicRecord(key, value)).toEqual({ v: 2, kind: 'tally', ...tally });
    const backwards = encodeTally({ ...tally, legs: { partition: 2, fromOffset: 20, toOffset: 19 } });
    expect(refusal(() => decodeVerdictTopicRecord(backwards.key, backwards.value))).toMatchObject({ field: 'legs.fromOffset' });
    expect(refusal(() => decodeVerdictTopicRecord(Buffer.from('tally/3'), value)).message).toBe('the key "tally/3" is not "tally/2"');
  });

  it("reads the previous release's tally (version 1: duplicates and late legs without their leg), and refuses a mix of the two", () => {
    const previous = {
      v: 1,
      kind: 'tally',
      legs: { partition: 1, fromOffset: 0, toOffset: 4 },
      records: { primary: 3, shadow: 2 },
      duplicates: 1,
      late: 0,
    };
    const key = Buffer.from('tally/1');
    expect(decodeVerdictTopicRecord(key, Buffer.from(JSON.stringify(previous)))).toEqual(previous);
    const mixed = { ...previous, v: 2 };
    expect(refusal(() => decodeVerdictTopicRecord(key, Buffer.from(JSON.stringify(mixed)))).message).toMatch(
      /^the value does not match the verdict record schema: /,
    );
  });

  it('refuses a verdict that is pending, has no route or resolution time, lacks its legs, or is keyed by another id', () => {
    const pair = pairViewOf(resolutions[0] as Resolution, T0);
    const encode = (view: object, key = 'r-7') =>
      [Buffer.from(key), Buffer.from(JSON.stringify({ v: 1, kind: 'verdict', legs: { partition: 0, offset: 0 }, pair: view }))] as const;
    const cases: Array<[object, string, string?]> = [
      [{ ...pair, state: 'pending' }, 'pair.state'],
      [{ ...pair, route: null }, 'pair.route'],
      [{ ...pair, resolvedAtUnixMs: null }, 'pair.resolvedAtUnixMs'],
      [{ ...pair, diff: null }, 'pair'],
      [{ ...pair, state: 'shadow_missing' }, 'pair'],
      [pair, '(key)', 'r-8'],
    ];
    for (const [view, field, key] of cases) {
      const [k, v] = encode(view, key);
      expect(refusal(() => decodeVerdictTopicRecord(k, v)).field).toBe(field);
    }
    const [k, v] = encode({ ...pair, primary: { ...pair.primary, status: 5000 } });
    expect(refusal(() => decodeVerdictTopicRecord(k, v)).message).toMatch(/^the value does not match the verdict record schema: /);
  });
});
