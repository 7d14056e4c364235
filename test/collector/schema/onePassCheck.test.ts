// The one-pass record check of the ingest fast path: it passes only records ajv accepts under the
// same schema (whatever it does not pass, ajv decides), it passes the records the filter sends, and
// it refuses at start-up a schema with a keyword it does not know.
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORD_LIMITS } from '../../../collector/ingest/recordLimits.js';
import { WIRE_SCHEMA } from '../../../collector/ingest/wireSchema.js';
import { WIRE_SCHEMA_V2 } from '../../../collector/ingest/wireSchemaV2.js';
import { onePassCheck } from '../../../collector/schema/onePassCheck.js';
import { batchV2, record } from '../fixtures.js';

const astral = '\u{1F600}';

/** Valid records of the version, and each member of them spoiled in turn (or dropped, or one added). */
function variants(valid: readonly Record<string, unknown>[]): unknown[] {
  const spoilers: unknown[] = [
    undefined,
    null,
    '',
    'x',
    astral,
    -1,
    0,
    1.5,
    999,
    1000,
    2 ** 53,
    true,
    [],
    [[0, 1]],
    [[0, 0]],
    [[-1, 1]],
    [[0, 1, 2]],
    [[0]],
    [[0, 1], 'x'],
    {},
    { a: '0123abcd' },
    { 'content-type': 'ABCDEF12' },
    { $: '0123abcd' },
    '0123abcd',
    '0123abcd0123abcd',
    'ok',
    'gzip',
    'n8.5',
    'primary',
    `${'a'.repeat(127)}${astral}`,
    'a'.repeat(129),
    astral.repeat(RECORD_LIMITS.maxSegmentLength),
  ];
  const out: unknown[] = [...valid, null, [], 'a record', 12];
  for (const base of valid) {
    for (const member of [
      ...Object.keys(base),
      'encoding',
      'decoding',
      'decodedBytes',
      'upstreamUs',
      'values',
      'requestId',
      'extra',
      'constructor',
      '__proto__',
    ]) {
      const { [member]: _dropped, ...without } = base;
      out.push(without);
      for (const spoiler of spoilers) out.push(JSON.parse(JSON.stringify({ ...without, [member]: spoiler })) as unknown);
    }
  }
  return out;
}

const V1 = [record('primary'), record('shadow', { requestId: 'r-1', fields: {}, json: 'none' })];
const V2 = [
  ...batchV2(V1).records,
  {
    ...batchV2([record('primary', { fieldsTruncated: true })]).records[0]!,
    encoding: 'gzip',
    decoding: 'ok',
    decodedBytes: 10,
    upstreamUs: 5,
    subtreeRuns: [[0, 1]],
    subtreeHashes: '0123abcd',
    subtreesTruncated: false,
    values: [[0, 'n8.5']],
    valuesTruncated: true,
  },
];

describe('onePassCheck', () => {
  it.each([
    ['version 1', WIRE_SCHEMA, V1],
    ['version 2', WIRE_SCHEMA_V2, V2],
  ] as const)('passes only %s records ajv accepts, and every valid one', (_name, schema, valid) => {
    const ajv = new Ajv({ strict: true }).addSchema(schema);
    const ajvPasses = ajv.getSchema(`${schema.$id}#/definitions/record`)!;
    const passes = onePassCheck(schema.definitions.record as never, schema.definitions);
    for (const candidate of variants(valid as never)) {
      const accepted = ajvPasses(candidate);
      if (passes(candidate)) expect({ candidate, accepted }).toEqual({ candidate, accepted: true });
    }
    for (const candidate of valid) expect(passes(candidate)).toBe(true);
    // Not vacuous: the spoiled records include some ajv refuses and the check passes none of them.
    expect(variants(valid as never).filter((candidate) => !ajvPasses(candidate)).length).toBeGreaterThan(100);
  });

  it('passes only what ajv accepts for records with any members', () => {
    const ajv = new Ajv({ strict: true }).addSchema(WIRE_SCHEMA_V2);
    const ajvPasses = ajv.getSchema(`${WIRE_SCHEMA_V2.$id}#/definitions/record`)!;
    const passes = onePassCheck(WIRE_SCHEMA_V2.definitions.record as never, WIRE_SCHEMA_V2.definitions);
    const [base] = V2;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...Object.keys(V2[2]!), 'other'), fc.jsonValue()), (members) => {
        const candidate = JSON.parse(JSON.stringify({ ...base, ...members })) as unknown;
        if (passes(candidate)) expect(ajvPasses(candidate)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a schema with a keyword it does not check, so none is skipped', () => {
    const definitions = WIRE_SCHEMA.definitions;
    expect(() => onePassCheck({ type: 'string', format: 'uri' }, definitions)).toThrow(/keywords this check does not know: format/);
    expect(() => onePassCheck({ type: 'object', properties: {}, minProperties: 1, additionalProperties: false }, definitions)).toThrow(
      /minProperties/,
    );
    expect(() => onePassCheck({ type: 'object', properties: {} }, definitions)).toThrow(/additionalProperties false/);
    expect(() => onePassCheck({ type: 'number' }, definitions)).toThrow(/type "number"/);
    expect(() => onePassCheck({ $ref: '#/definitions/nothing' }, definitions)).toThrow(/not in definitions/);
    expect(() => onePassCheck({ anyOf: [{ type: 'string' }] }, definitions)).toThrow(/type undefined/);
  });

  it('checks definitions that refer to themselves, and schemas of every keyword it knows, as ajv does', () => {
    // Not in the wire schemas, but in the subset: a tree (a definition met again inside itself is
    // checked by a function of its own), tuples shorter than their items, enumerations long enough
    // for a Set, a string minimum above one code point.
    const definitions = {
      tree: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        dependencies: { children: ['size'] },
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 4 },
          size: { type: 'integer', minimum: -3, maximum: 3 },
          kind: { enum: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 1, true] },
          flag: { type: 'boolean', const: false },
          pair: { type: 'array', items: [{ type: 'integer' }, { type: 'string' }], additionalItems: false, minItems: 1 },
          children: { type: 'array', maxItems: 3, items: { $ref: '#/definitions/tree' } },
          other: { $ref: '#/definitions/leaf' },
        },
      },
      leaf: { type: 'object', additionalProperties: false, properties: {} },
    };
    const schema = { $id: 'https://shadowdiff.dev/test/tree.json', definitions, $ref: '#/definitions/tree' };
    const ajvPasses = new Ajv({ strict: true, strictTuples: false }).compile(schema);
    const passes = onePassCheck(definitions.tree, definitions);
    const node = (depth: number): fc.Arbitrary<unknown> =>
      fc.dictionary(
        fc.constantFrom('name', 'size', 'kind', 'flag', 'pair', 'children', 'other', 'extra'),
        fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.constantFrom('ab', 'abcd', astral, `${astral}${astral}`, 'abcde', 3, -4, 'i', 1, true, false, {}, [1], [1, 'x'], [1, 'x', 2]),
          depth > 0 ? fc.array(node(depth - 1), { maxLength: 2 }) : fc.constant([]),
        ),
      );
    let accepted = 0;
    fc.assert(
      fc.property(node(2), (candidate) => {
        const ajvAccepts = ajvPasses(candidate);
        if (ajvAccepts) accepted++;
        if (passes(candidate)) expect(ajvAccepts).toBe(true);
      }),
      { numRuns: 1000 },
    );
    const valid = {
      name: 'ab',
      size: 0,
      kind: 'i',
      flag: false,
      pair: [1],
      children: [{ name: 'abc', size: 1 }],
      other: {},
    };
    expect(ajvPasses(valid)).toBe(true);
    expect(passes(valid)).toBe(true);
    expect(passes({ ...valid, children: [{ ...valid, children: [{ name: `${astral}${astral}` }] }] })).toBe(true);
    expect(accepted).toBeGreaterThan(0);
    // A required member that is no property: as ajv, nothing passes (absent, it is missing; present, it is one too many).
    const never = onePassCheck({ type: 'object', additionalProperties: false, properties: {}, required: ['a'] }, definitions);
    expect([never({}), never({ a: 1 })]).toEqual([false, false]);
  });
});
