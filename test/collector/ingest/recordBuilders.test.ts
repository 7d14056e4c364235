// The decoded record made by a builder for its order of members is the record made member by
// member: the same members, values and order (its JSON text), whatever the order, with or without
// `hash`, past the number of orders builders are made for, and with a member the schema does not name.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordBuilders } from '../../../collector/ingest/recordBuilders.js';
import { WireValidator } from '../../../collector/ingest/wireValidator.js';
import type { HashAlgorithm } from '../../../collector/ingest/wireSchemaV2.js';
import { batchV2, record } from '../fixtures.js';

const COPIED = ['id', 'leg', 'path', 'status', 'headers', 'upstreamUs'];
const DECODED = ['pathRuns', 'hashes', 'fieldsTruncated'];

/** The record as the decoder spelled it before builders: the copied members in order, then the decoded ones. */
function memberByMember(raw: Record<string, unknown>, fields: Record<string, string>, fieldsTruncated: boolean, hash?: HashAlgorithm) {
  const out: Record<string, unknown> = {};
  for (const name in raw) if (!DECODED.includes(name)) out[name] = raw[name];
  out.fields = fields;
  out.fieldsTruncated = fieldsTruncated;
  if (hash !== undefined) out.hash = hash;
  return out;
}

describe('RecordBuilders', () => {
  it('builds the record a copy member by member does, for any order of members, past the orders it makes builders for', () => {
    const builders = new RecordBuilders(new Set(COPIED), new Set(DECODED));
    const raw = fc
      .shuffledSubarray([...COPIED, ...DECODED, 'unnamed'], { minLength: 1 })
      .chain((names) => fc.tuple(...names.map((name) => fc.tuple(fc.constant(name), fc.oneof(fc.jsonValue(), fc.constant(undefined))))))
      .map((entries) => Object.fromEntries(entries) as Record<string, unknown>);
    const orders = new Set<string>();
    fc.assert(
      fc.property(raw, fc.boolean(), fc.constantFrom<HashAlgorithm | undefined>(undefined, 'xxh64'), (members, truncated, hash) => {
        orders.add(`${Object.keys(members).join()}|${hash}`);
        const fields = { '$.a': '0123abcd' };
        const built = builders.build(members, fields, truncated, hash);
        const expected = memberByMember(members, fields, truncated, hash);
        expect(Object.keys(built)).toEqual(Object.keys(expected));
        expect(built).toStrictEqual(expected);
        expect(built.fields).toBe(fields);
      }),
      { numRuns: 500 },
    );
    // Well past the 32 orders builders are made for: the rest are copied member by member.
    expect(orders.size).toBeGreaterThan(100);
  });

  it('gives the records of a version 2 batch the version 1 records they stand for, in any order of members', () => {
    const validator = new WireValidator();
    const v1 = [
      record('primary', { id: 'a' }),
      record('shadow', { id: 'a', requestId: 'r-1', upstreamUs: 12, fields: { '$.x': '22222222' } }),
      record('primary', { id: 'b', json: 'none', fields: {} }),
    ];
    for (const hash of ['fnv1a', 'xxh64'] as const) {
      const wire = batchV2(v1, hash);
      // Every other record with its members in reverse order: each record keeps its own order.
      wire.records = wire.records.map((raw, i) =>
        i % 2 === 0 ? raw : Object.fromEntries(Object.entries(raw).reverse()),
      ) as typeof wire.records;
      const verdict = validator.check(JSON.parse(JSON.stringify(wire)));
      expect(verdict.recordErrors).toEqual([]);
      const expected = wire.records.map((raw, i) =>
        memberByMember(raw as never, v1[i]!.fields, v1[i]!.fieldsTruncated, hash === 'fnv1a' ? undefined : hash),
      );
      expect(verdict.records.map((decoded) => JSON.stringify(decoded))).toEqual(expected.map((decoded) => JSON.stringify(decoded)));
    }
  });
});
