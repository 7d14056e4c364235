import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { RECORD_LIMITS } from '../../../collector/ingest/recordLimits.js';
import { DigestRecordSchema, WIRE_SCHEMA } from '../../../collector/ingest/wireSchema.js';
import { hashMapCheck } from '../../../collector/schema/hashMapCheck.js';

const { fields, headers } = DigestRecordSchema.properties;
const ajv = new Ajv({ strict: true });
const HASH = '0123abcd';

describe('hashMapCheck', () => {
  it.each([
    ['fields', fields],
    ['headers', headers],
  ])('passes only maps ajv accepts under the wire schema (%s), and passes the plain valid ones', (_name, schema) => {
    const ajvPasses = ajv.compile({ ...schema, definitions: WIRE_SCHEMA.definitions });
    const passes = hashMapCheck(schema, WIRE_SCHEMA.definitions);
    const astral = '\u{1F600}';
    const maps: unknown[] = [
      {},
      { '$.a': HASH, '$.b[0]': 'ffffffff' },
      { 'content-type': HASH },
      { '': HASH },
      { 'a.b': HASH },
      { '$.a': 'ABCDEF12' },
      { '$.a': '0123abc' },
      { '$.a': 12345678 },
      { '$.a': null },
      { [`$${'a'.repeat(RECORD_LIMITS.maxFieldPathLength - 1)}`]: HASH },
      { [`$${'a'.repeat(RECORD_LIMITS.maxFieldPathLength)}`]: HASH },
      // within the bound in code points, past it in UTF-16 units: ajv accepts, the check leaves it to ajv
      { [`$${astral.repeat(RECORD_LIMITS.maxFieldPathLength - 1)}`]: HASH },
      { [`$${astral.repeat(RECORD_LIMITS.maxFieldPathLength)}`]: HASH },
      Object.fromEntries(Array.from({ length: RECORD_LIMITS.maxFields }, (_, i) => [`$[${i}]`, HASH])),
      Object.fromEntries(Array.from({ length: RECORD_LIMITS.maxFields + 1 }, (_, i) => [`$[${i}]`, HASH])),
      [],
      [HASH],
      null,
      'a map',
      JSON.parse('{"__proto__": "0123abcd"}'),
    ];
    for (const map of maps) {
      const accepted = ajvPasses(map);
      if (passes(map)) expect({ map, accepted }).toEqual({ map, accepted: true });
    }
    // The check is used only if it passes what the filter sends.
    expect(passes({})).toBe(true);
    expect(passes(schema === fields ? { '$.a': HASH, '$.b[0]': 'ffffffff' } : { 'content-type': HASH })).toBe(true);
    expect(passes(maps[9])).toBe(schema === fields);
  });

  it('refuses a schema with a keyword it does not check, so none is skipped', () => {
    expect(() => hashMapCheck({ ...fields, minProperties: 1 }, WIRE_SCHEMA.definitions)).toThrow(
      /keywords this check does not know: minProperties/,
    );
    expect(() => hashMapCheck({ ...fields, propertyNames: { format: 'uri' } }, WIRE_SCHEMA.definitions)).toThrow(/propertyNames .*format/);
    expect(() => hashMapCheck({ ...fields, additionalProperties: { type: 'string' } }, WIRE_SCHEMA.definitions)).toThrow(
      /\$ref into definitions/,
    );
  });
});
