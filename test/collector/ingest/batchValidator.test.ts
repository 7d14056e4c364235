import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BatchValidator } from '../../../collector/ingest/batchValidator.js';
import { WIRE_SCHEMA, WIRE_SCHEMA_URL, wireSchemaJson } from '../../../collector/ingest/wireSchema.js';
import { batch, record } from '../fixtures.js';

const schema: unknown = JSON.parse(wireSchemaJson());
const validator = new BatchValidator(WIRE_SCHEMA);

describe('BatchValidator', () => {
  it('validates with the schema published as filter/wire-format.schema.json, and that file is the generated one (npm run gen:wire-schema)', () => {
    expect(WIRE_SCHEMA_URL.pathname).toMatch(/\/filter\/wire-format\.schema\.json$/);
    expect(schema).toEqual(JSON.parse(readFileSync(WIRE_SCHEMA_URL, 'utf8')));
    expect(readFileSync(WIRE_SCHEMA_URL, 'utf8')).toBe(wireSchemaJson());
  });

  it('accepts a valid batch as is', () => {
    const records = [record('primary'), record('shadow')];
    const verdict = validator.check(batch(records));
    expect(verdict).toEqual({ records, batchErrors: [], recordErrors: [], rejectedRecords: 0, received: 2 });
  });

  it('keeps the good records of a partly bad batch and names each bad record and field', () => {
    const bad = { ...record('shadow', { id: 'bad-1' }), status: 1000, extra: true };
    const verdict = validator.check({
      ...batch([record('primary'), record('shadow')]),
      records: [record('primary'), bad, record('shadow')],
    });
    expect(verdict.records).toHaveLength(2);
    expect(verdict.rejectedRecords).toBe(1);
    expect(verdict.batchErrors).toEqual([]);
    expect(verdict.recordErrors).toEqual([
      { index: 1, id: 'bad-1', field: 'extra', message: 'is not a known field' },
      { index: 1, id: 'bad-1', field: 'status', message: 'must be <= 999' },
    ]);
  });

  it.each([
    [{ leg: 'canary' }, 'leg', /must be one of \["primary","shadow","secondary"\]/],
    [{ id: 'has space' }, 'id', /must match/],
    [{ bodyHash: 'XYZ' }, 'bodyHash', /must match \^\[0-9a-f\]\{16\}\$/],
    [{ headers: { 'Content-Type': '1a2b3c4d' } }, 'headers["Content-Type"]', /name must match/],
    [{ headers: { 'content-type': 'nothex!!' } }, 'headers["content-type"]', /must match \^\[0-9a-f\]\{8\}\$/],
    [{ fields: { 'items.price': '00000000' } }, 'fields["items.price"]', /name must match/],
    [{ json: 'yes' }, 'json', /must be one of/],
    [{ complete: 'true' }, 'complete', /must be boolean/],
    [{ startUnixMs: -1 }, 'startUnixMs', />= 0/],
  ])('rejects a record with %j at %s', (overrides, field, message) => {
    const verdict = validator.check(batch([{ ...record('primary'), ...overrides } as never]));
    const detail = verdict.recordErrors.find((d) => d.field === field);
    expect(detail?.index).toBe(0);
    expect(detail?.message).toMatch(message);
    expect(verdict.records).toEqual([]);
  });

  it('names a missing required field', () => {
    const { bodyHash: _, ...withoutHash } = record('primary');
    const verdict = validator.check(batch([withoutHash as never]));
    expect(verdict.recordErrors).toEqual([{ index: 0, id: 'req-1', field: 'bodyHash', message: 'is required' }]);
  });

  it('reports envelope problems as batch errors', () => {
    expect(validator.check({ v: 2, source: '', sentUnixMs: 1, records: [] }).batchErrors).toEqual([
      { field: 'v', message: 'must be 1' },
      { field: 'source', message: 'must NOT have fewer than 1 characters' },
      { field: 'records', message: 'must NOT have fewer than 1 items' },
    ]);
    expect(validator.check('a string').batchErrors).toEqual([{ field: '(batch)', message: 'must be object' }]);
    expect(
      validator.check({ ...batch([record('primary')]), records: Array.from({ length: 1025 }, () => record('primary')) }).batchErrors,
    ).toEqual([{ field: 'records', message: 'must NOT have more than 1024 items' }]);
  });

  it("does not coerce types or drop unknown fields, unlike Fastify's default validator", () => {
    const verdict = validator.check(batch([{ ...record('primary'), status: '200' } as never]));
    expect(verdict.recordErrors[0]).toMatchObject({ field: 'status', message: 'must be integer' });
    expect(validator.check({ ...batch([record('primary')]), extra: 1 }).batchErrors).toEqual([
      { field: 'extra', message: 'is not a known field' },
    ]);
  });
});

describe('checking version 1 records in one pass', () => {
  const onePass = new BatchValidator(WIRE_SCHEMA);
  const ajvOnly = new BatchValidator(WIRE_SCHEMA, null, false);
  const many = Object.fromEntries(Array.from({ length: 4097 }, (_, i) => [`$.f${i}`, 'abcdef12']));

  it.each([
    ['a good map', { '$.id': '0000002a', '$.items[0]["a b"]': 'ffffffff' }],
    ['an empty map', {}],
    ['a path that is not one', { 'items.price': '00000000' }],
    ['a hash that is not one', { '$.price': 'xyz' }],
    ['a hash that is not a string', { '$.price': 12 }],
    ['more entries than the limit', many],
    ['not an object', ['$.price']],
  ])('gives the verdict ajv alone gives: %s', (_name, fields) => {
    const body = batch([record('primary', { id: 'map-1', fields: fields as Record<string, string> }), record('shadow', { id: 'map-1' })]);
    expect(onePass.check(body)).toEqual(ajvOnly.check(body));
  });

  it('still refuses a record whose other members are bad when its map passes', () => {
    const body = batch([
      { ...record('primary', { id: 'map-2', fields: { '$.ok': 'abcdef12' } }), status: 1000 },
      record('shadow', { id: 'map-2' }),
    ]);
    const verdict = onePass.check(body);
    expect(verdict.rejectedRecords).toBe(1);
    expect(verdict).toEqual(ajvOnly.check(body));
  });
});
