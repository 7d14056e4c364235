// Wire format 2 at the collector: decoding into the version 1 record, the checks the schema
// cannot make, and a fleet that sends both versions (and both hash algorithms) at once.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { WIRE_SCHEMA_V2_URL, wireSchemaV2Json } from '../../../collector/ingest/wireSchemaV2.js';
import { decodeRecordV2, PathTable } from '../../../collector/ingest/wireV2Decoder.js';
import { WireValidator } from '../../../collector/ingest/wireValidator.js';
import { comparePair, fallbackReason } from '../../../collector/compare/pairCompare.js';
import { IgnoreRules } from '../../../collector/compare/ignoreRules.js';
import type { PairView, Report } from '../../../collector/types.js';
import { batch, batchV2, legs, record, testApp, type TestApp } from '../fixtures.js';

let current: TestApp | null = null;

function start(): TestApp {
  current = testApp();
  return current;
}

afterEach(async () => {
  await current?.app.close();
  current = null;
});

const validator = new WireValidator();
const NOTHING_IGNORED = new IgnoreRules({ fields: [], headers: [], routes: {} }).forRoute('GET /');

describe('wire format 2 decoding', () => {
  it('validates with the schema published as filter/wire-format-v2.schema.json, and that file is the generated one (npm run gen:wire-schema)', () => {
    expect(WIRE_SCHEMA_V2_URL.pathname).toMatch(/\/filter\/wire-format-v2\.schema\.json$/);
    expect(readFileSync(WIRE_SCHEMA_V2_URL, 'utf8')).toBe(wireSchemaV2Json());
  });

  it('gives exactly the version 1 record, fields in document order', () => {
    const records = [
      record('primary', { id: 'a', fields: { '$.id': '0000002a', '$.items[0].sku': '11111111', '$.total': '22222222' } }),
      record('primary', { id: 'b', fields: { '$.id': '0000002b', '$.total': '33333333' } }),
      record('primary', { id: 'c', json: 'malformed', fields: {} }),
    ];
    const wire = batchV2(records);
    expect(wire.paths).toEqual(['$.id', '$.items[0].sku', '$.total']);
    expect(wire.records.map((r) => r.pathRuns)).toEqual([
      [[0, 3]],
      [
        [0, 1],
        [2, 1],
      ],
      undefined,
    ]);
    const verdict = validator.check(wire);
    expect(verdict).toMatchObject({ version: 2, batchErrors: [], recordErrors: [], rejectedRecords: 0, received: 3 });
    expect(verdict.records).toEqual(records);
    expect(Object.keys(verdict.records[0]!.fields)).toEqual(['$.id', '$.items[0].sku', '$.total']);
    expect(JSON.stringify(verdict.records[0])).toBe(JSON.stringify(records[0]));
  });

  it('marks records of another hash algorithm, and only those', () => {
    const [primary] = legs('x');
    const decoded = decodeRecordV2(batchV2([primary], 'xxh64').records[0]!, new PathTable(['$.id', '$.total']), 'xxh64');
    expect(decoded).toEqual({ record: { ...primary, hash: 'xxh64' } });
    expect(validator.check(batchV2([primary])).records[0]).not.toHaveProperty('hash');
  });

  it.each([
    [
      'a run past the path table',
      (w: ReturnType<typeof batchV2>) => (w.records[0]!.pathRuns = [[1, 2]]),
      'pathRuns[0]',
      "names paths 1 to 2 but the batch's paths table has 2",
    ],
    [
      'more hashes than paths',
      (w: ReturnType<typeof batchV2>) => (w.records[0]!.hashes += 'abcdef01'),
      'hashes',
      'holds 3 hashes but pathRuns names 2 paths',
    ],
    [
      'fewer hashes than paths',
      (w: ReturnType<typeof batchV2>) => (w.records[0]!.hashes = 'abcdef01'),
      'hashes',
      'holds 1 hashes but pathRuns names 2 paths',
    ],
    [
      'a path named twice',
      (w: ReturnType<typeof batchV2>) =>
        (w.records[0]!.pathRuns = [
          [0, 1],
          [0, 1],
        ]),
      'pathRuns[1]',
      'names path 0 ("$.id") a second time',
    ],
  ])('rejects %s in one record and accepts the others, naming record and field', (_name, breakIt, field, message) => {
    const wire = batchV2([...legs('bad'), ...legs('good')]);
    breakIt(wire);
    const verdict = validator.check(wire);
    expect(verdict.batchErrors).toEqual([]);
    expect(verdict.recordErrors).toEqual([{ index: 0, id: 'bad', field, message }]);
    expect(verdict.rejectedRecords).toBe(1);
    expect(verdict.records.map((r) => `${r.id}/${r.leg}`)).toEqual(['bad/shadow', 'good/primary', 'good/shadow']);
  });

  it('names schema problems by record and field, and rejects a batch without its path table whole', () => {
    const wire = batchV2(legs('s'));
    wire.records[1]!.hashes = 'XYZ';
    const verdict = validator.check(wire);
    expect(verdict.recordErrors).toEqual([expect.objectContaining({ index: 1, id: 's', field: 'hashes' })]);
    expect(verdict.records).toHaveLength(1);
    const { paths: _paths, ...withoutTable } = batchV2(legs('t'));
    expect(validator.check(withoutTable).batchErrors).toEqual([{ field: 'paths', message: 'is required' }]);
  });

  it('refuses records beyond the limits the schema sets', () => {
    const wire = batchV2(legs('big'));
    wire.records[0]!.hashes = '0'.repeat(8 * 4097);
    wire.records[0]!.pathRuns = [
      [0, 4096],
      [0, 1],
    ];
    wire.paths = Array.from({ length: 4096 }, (_, i) => `$.f${i}`);
    const verdict = validator.check(wire);
    expect(verdict.recordErrors.map((e) => e.field)).toContain('hashes');
    expect(verdict.recordErrors.map((e) => e.index)).toEqual(verdict.recordErrors.map(() => 0));
    const longPath = batchV2([record('primary', { fields: { [`$.${'p'.repeat(1024)}`]: '00000000' } })]);
    expect(validator.check(longPath).batchErrors.map((e) => e.field)).toEqual(['paths[0]']);
  });

  it('checks each record on its own hashes when records share their runs (resolved once per batch), as when they do not', () => {
    const same = Array.from({ length: 4 }, (_, i) =>
      record('primary', { id: `s${i}`, fields: { '$.a': `0000000${i}`, '$.b': 'ffffffff' } }),
    );
    // 20 single-path runs: more than a batch shares, resolved per record.
    const scattered = (i: number) =>
      record('primary', { id: `w${i}`, fields: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`$.w${k}`, `0000000${i}`])) });
    const wire = batchV2([...same, scattered(0), scattered(1)]);
    for (const r of wire.records.slice(4)) r.pathRuns = Array.from({ length: 20 }, (_, k) => [2 + k, 1] as [number, number]);
    wire.records[1]!.hashes = wire.records[1]!.hashes!.slice(8);
    wire.records[5]!.hashes += '01234567';
    const verdict = validator.check(wire);
    expect(verdict.records).toEqual([same[0], same[2], same[3], scattered(0)]);
    expect(verdict.recordErrors).toEqual([
      { index: 1, id: 's1', field: 'hashes', message: 'holds 1 hashes but pathRuns names 2 paths' },
      { index: 5, id: 'w1', field: 'hashes', message: 'holds 21 hashes but pathRuns names 20 paths' },
    ]);
    // A problem with shared runs is every sharer's.
    const twice = batchV2(same);
    for (const r of twice.records)
      r.pathRuns = [
        [0, 1],
        [0, 1],
      ];
    expect(validator.check(twice).batchErrors).toEqual([]);
    expect(validator.check(twice).recordErrors.map((e) => [e.id, e.field, e.message])).toEqual(
      same.map((r) => [r.id, 'pathRuns[1]', 'names path 0 ("$.a") a second time']),
    );
  });
});

describe('captured values in wire format 2', () => {
  it('decode to values by leaf path', () => {
    const wire = batchV2([record('primary', { id: 'v' })]);
    wire.records[0]!.values = [
      [1, 'n12.345'],
      [0, 'so-1'],
    ];
    const verdict = validator.check(wire);
    expect(verdict.recordErrors).toEqual([]);
    expect(verdict.records[0]!.values).toEqual({ '$.total': 'n12.345', '$.id': 'so-1' });
    expect(verdict.records[0]).not.toHaveProperty('valuesTruncated');
  });

  it('refuse an index past the leaves, a leaf named twice, a value of no kind, and values without leaves', () => {
    const check = (values: Array<[number, string]>, patch: (r: Record<string, unknown>) => void = () => {}) => {
      const wire = batchV2([record('primary', { id: 'v' })]);
      wire.records[0]!.values = values;
      patch(wire.records[0] as unknown as Record<string, unknown>);
      return validator.check(wire).recordErrors;
    };
    expect(check([[2, 'n1']])).toEqual([expect.objectContaining({ field: 'values[0]', message: 'names leaf 2 but the record has 2' })]);
    expect(
      check([
        [0, 'n1'],
        [0, 'n2'],
      ])[0],
    ).toMatchObject({ field: 'values[1]' });
    expect(check([[0, 'x1']])[0]).toMatchObject({ field: 'values[0][1]' });
    expect(check([[0, 'n1.']])[0]).toMatchObject({ field: 'values[0][1]' });
    expect(
      check([[0, 'n1']], (r) => {
        delete r.pathRuns;
        delete r.hashes;
      }).length,
    ).toBeGreaterThan(0);
  });

  it('keep valuesTruncated', () => {
    const wire = batchV2([record('primary', { id: 'v' })]);
    wire.records[0]!.values = [[0, 'n1']];
    wire.records[0]!.valuesTruncated = true;
    expect(validator.check(wire).records[0]).toMatchObject({ values: { '$.id': 'n1' }, valuesTruncated: true });
  });
});

describe('legs hashed with different algorithms', () => {
  const xxh = {
    hash: 'xxh64',
    bodyHash: 'ffffffffffffffff',
    headers: { 'content-type': 'eeeeeeee' },
    fields: { '$.id': '99999999', '$.total': '88888888' },
  } as const;

  it('are joined and judged by status, completion, size and JSON verdict, never by their hashes', () => {
    const [primary, shadow] = legs('h', xxh);
    expect(fallbackReason(primary, shadow)).toBe('hash_algorithm_differs');
    const diff = comparePair(primary, shadow, NOTHING_IGNORED, ['content-type']);
    expect(diff).toMatchObject({
      diverged: false,
      basis: 'body',
      fallback: 'hash_algorithm_differs',
      bodyHashDiffers: false,
      headers: [],
      fields: [],
    });
    expect(comparePair(primary, { ...shadow, respBytes: 121 }, NOTHING_IGNORED, 'all').kinds).toEqual(['body']);
    expect(comparePair(primary, { ...shadow, status: 503 }, NOTHING_IGNORED, 'all').kinds).toEqual(['status_class']);
    expect(comparePair(primary, { ...shadow, complete: false }, NOTHING_IGNORED, 'all').kinds).toEqual(['completion']);
    expect(comparePair(primary, { ...shadow, json: 'malformed', fields: {} }, NOTHING_IGNORED, 'all').kinds).toEqual(['body']);
  });
});

describe('a mixed fleet at POST /v1/batches', () => {
  it('joins a version 1 leg with a version 2 leg, either way round and in either hash algorithm', async () => {
    const t = start();
    const [p1, s1] = legs('mix-1');
    const [p2, s2] = legs('mix-2');
    const [p3, s3] = legs('mix-3');
    const [p4, s4] = legs('mix-4', { fields: { '$.id': '0000002a', '$.total': '99999999' } });
    const posts = [
      batch([p1, p3, p4]),
      batchV2([s1, s4]),
      batchV2([p2]),
      batch([s2]),
      batchV2([{ ...s3, bodyHash: 'ffffffffffffffff', fields: { '$.id': '99999999', '$.total': '88888888' } }], 'xxh64'),
    ];
    for (const body of posts) {
      const response = await t.post(body);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ rejectedRecords: 0 });
    }
    const views = await Promise.all(
      ['mix-1', 'mix-2', 'mix-3', 'mix-4'].map(async (id) => (await t.get(`/v1/pairs/${id}`)).json<PairView>()),
    );
    expect(views.map((view) => view.state)).toEqual(['paired', 'paired', 'paired', 'paired']);
    expect(views.map((view) => view.diff?.diverged)).toEqual([false, false, false, true]);
    expect(views.map((view) => view.diff?.fallback ?? null)).toEqual([null, null, 'hash_algorithm_differs', null]);
    expect(views[3]!.diff?.kinds).toEqual(['field']);
    expect(views[2]!.shadow).toMatchObject({ hash: 'xxh64' });
    const report = (await t.get('/v1/report')).json<Report>();
    expect(report.totals).toMatchObject({ matched: 3, diverged: 1, rejectedRecords: 0 });
    expect(report.routes[0]!.bodyFallback.reasons.hash_algorithm_differs).toBe(1);
    const metrics = (await t.get('/metrics')).body;
    expect(metrics).toContain('shadowdiff_collector_wire_records_total{version="1"} 4');
    expect(metrics).toContain('shadowdiff_collector_wire_records_total{version="2"} 4');
    expect(metrics).toMatch(/shadowdiff_collector_body_fallback_total\{route="GET \/orders\/\{id\}",reason="hash_algorithm_differs"\} 1/);
  });

  it('rejects a version it does not know whole, naming v', async () => {
    const t = start();
    const response = await t.post({ ...batchV2(legs('v3')), v: 3 });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'BATCH_INVALID',
      details: [{ field: 'v', message: 'must be one of [1,2] (the wire format versions this collector accepts)' }],
    });
  });
});
