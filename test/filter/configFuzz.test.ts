// Property-based fuzzing of the plugin configuration through the host emulator, on the shipped
// build: generated valid configurations start; one bad field in a valid configuration (wrong
// type, out of range, too long, unknown, missing, nested deeply) is refused with one short
// critical log line naming that field; random text and bytes are refused; nothing traps the VM.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProxyWasmHost } from '../../emulator/index.js';
import { loadHost } from './harness.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Config = Record<string, Json>;

/** Written as 1e999 in the text, which the filter's parser reads as Infinity. */
const NON_FINITE = '__non_finite__';
const PREFIX = 'shadowdiff: invalid configuration: ';
/** A refusal is one log line of bounded length, whatever the configuration held. */
const MAX_LOG_LINE = 1024;

let sharedHost: ProxyWasmHost | null = null;

/** Starts a plugin with `config`; a VM that trapped is replaced, so shrinking sees every input on a live VM. */
async function start(config: string | Uint8Array): Promise<{ ok: boolean; trap: Error | null; critical: string[] }> {
  // The VM runs synchronously; yielding to the event loop keeps the test worker responsive to vitest.
  await new Promise((resolve) => setImmediate(resolve));
  if (sharedHost === null || sharedHost.trapped !== null) sharedHost = await loadHost();
  const host = sharedHost;
  host.clearLogs();
  const ok = host.startPlugin(config).ok;
  return { ok, trap: host.trapped, critical: host.criticalLogs() };
}

function text(config: Config): string {
  return JSON.stringify(config).replaceAll(`"${NON_FINITE}"`, '1e999');
}

/** Refused without a trap, with exactly one short printable log line that contains `field` (when given). */
async function expectRefused(config: string | Uint8Array, field?: string): Promise<string> {
  const result = await start(config);
  expect(result.trap).toBeNull();
  expect(result.ok).toBe(false);
  expect(result.critical).toHaveLength(1);
  const line = result.critical[0] ?? '';
  expect(line.startsWith(PREFIX)).toBe(true);
  expect(line.length).toBeLessThanOrEqual(MAX_LOG_LINE);
  expect(line).toMatch(/^[\x20-\x7e]*$/);
  if (field !== undefined) expect(line.slice(PREFIX.length)).toContain(field);
  return line;
}

async function expectAccepted(config: string): Promise<void> {
  const result = await start(config);
  expect(result.trap).toBeNull();
  expect(result.critical).toEqual([]);
  expect(result.ok).toBe(true);
}

// ---------------------------------------------------------------- valid configurations

const HEADER_CHARS = /^[a-z0-9!#$%&'*+.^_`|~-]{1,40}$/;
const headerName = fc.stringMatching(HEADER_CHARS).filter((name) => name !== '__proto__');
const visibleAscii = (maxLength: number) => fc.stringMatching(new RegExp(`^[!-~]{1,${maxLength}}$`));
/** Any text, surrogate pairs and lone surrogates included; each unit is at most two UTF-16 code units. */
const anyText = (maxUtf16: number) => fc.string({ unit: 'binary', maxLength: Math.floor(maxUtf16 / 2) });
const percent = fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 0, max: 100 }));

const segmentName = fc.stringMatching(/^[a-z0-9_-]{1,64}$/).filter((name) => name !== 'default');
const matcher: fc.Arbitrary<Config> = fc.oneof(
  fc.array(anyText(256), { minLength: 1, maxLength: 64 }).map((exact) => ({ exact })),
  anyText(256).filter((prefix) => prefix.length > 0).map((prefix) => ({ prefix })),
  fc.constant({ present: true }),
);
const segment: fc.Arbitrary<Config> = fc
  .tuple(
    fc.record({ name: segmentName, header: fc.oneof(headerName, fc.constantFrom(':authority', ':path', ':method')), percent }),
    matcher,
    fc.record({ pathPrefix: anyText(254).map((p) => `/${p}`), maxPerSecond: fc.integer({ min: 0, max: 1_000_000_000 }) }, { requiredKeys: [] }),
  )
  .map(([base, match, extra]) => ({ ...base, ...match, ...extra }));

const sampling: fc.Arbitrary<Config> = fc.record(
  {
    keyHeader: headerName,
    salt: anyText(64),
    defaultPercent: percent,
    segments: fc.uniqueArray(segment, { maxLength: 6, selector: (s) => s.name }),
  },
  { requiredKeys: [] },
);

const collector: fc.Arbitrary<Config> = fc
  .tuple(
    fc.record({ cluster: visibleAscii(256) }),
    fc.record(
      {
        authority: visibleAscii(256),
        path: fc.stringMatching(/^\/[!-~]{0,255}$/),
        token: fc.oneof(fc.constant(''), visibleAscii(256)),
        timeoutMs: fc.integer({ min: 1, max: 60_000 }),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([required, optional]) => ({ ...required, ...optional }));

const digest: fc.Arbitrary<Config> = fc.record(
  {
    headers: fc.array(headerName, { maxLength: 64 }),
    json: fc.boolean(),
    maxFields: fc.integer({ min: 0, max: 4096 }),
    maxDepth: fc.integer({ min: 1, max: 128 }),
  },
  { requiredKeys: [] },
);

const DEFAULT_BATCH_SIZE = 32;
const exportOptions: fc.Arbitrary<Config> = fc
  .record(
    {
      batchSize: fc.integer({ min: 1, max: 1024 }),
      maxQueue: fc.integer({ min: 1, max: 65_536 }),
      flushIntervalMs: fc.integer({ min: 10, max: 60_000 }),
      maxInflight: fc.integer({ min: 1, max: 64 }),
    },
    { requiredKeys: [] },
  )
  // The queue must hold at least one batch.
  .map((e) => (e.maxQueue !== undefined && e.maxQueue < (e.batchSize ?? DEFAULT_BATCH_SIZE) ? { ...e, maxQueue: e.batchSize ?? DEFAULT_BATCH_SIZE } : e));

const validConfig: fc.Arbitrary<Config> = fc
  .tuple(
    fc.constantFrom('edge', 'shadow', 'primary'),
    collector,
    sampling,
    fc.record(
      {
        source: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
        headerPrefix: fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{0,31}-$/),
        shadowHostSuffix: fc.stringMatching(/^[A-Za-z0-9_.-]{0,32}$/),
        digest,
        export: exportOptions,
      },
      { requiredKeys: [] },
    ),
  )
  .map(([role, c, s, rest]): Config => (role === 'edge' ? { role, collector: c, sampling: s, ...rest } : { role, collector: c, ...rest }));

// ---------------------------------------------------------------- one bad field

/** Where a field lives, how to make the configuration reach it, and values it must refuse. */
interface FieldRule {
  /** the name the log must give it */
  field: string;
  /** sets `value` at the field, creating what the field needs around it */
  put(config: Config, value: Json | undefined): void;
  /** undefined: the field is left out */
  bad: fc.Arbitrary<Json | undefined>;
}

const isType = {
  string: (v: Json) => typeof v === 'string',
  number: (v: Json) => typeof v === 'number',
  boolean: (v: Json) => typeof v === 'boolean',
  array: (v: Json) => Array.isArray(v),
  object: (v: Json) => typeof v === 'object' && v !== null && !Array.isArray(v),
};
/** Any JSON value of another type, nested up to 40 deep (deeper than the filter's parser allows). */
const otherType = (fits: (v: Json) => boolean): fc.Arbitrary<Json> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => v as Json),
    fc.integer({ min: 1, max: 40 }).map((depth) => nest(depth)),
    fc.integer({ min: 1, max: 40 }).map((depth) => nestObject(depth)),
  ).filter((v) => !fits(v));

function nest(depth: number): Json {
  let value: Json = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
function nestObject(depth: number): Json {
  let value: Json = 1;
  for (let i = 0; i < depth; i++) value = { deeper: value };
  return value;
}

/** Numbers outside [min, max], fractions and non-finite values for an integer field. */
const badInteger = (min: number, max: number): fc.Arbitrary<Json> =>
  fc.oneof(
    fc.integer({ min: -(2 ** 31), max: min - 1 }),
    fc.integer({ min: max + 1, max: 2 ** 31 - 1 }),
    fc.double({ min, max, noNaN: true }).filter((v) => !Number.isInteger(v)),
    fc.constantFrom(NON_FINITE, 1e300, -1e300),
    otherType(isType.number),
  );
const badPercent: fc.Arbitrary<Json> = fc.oneof(
  fc.double({ min: -1e300, max: -1e-9, noNaN: true }),
  fc.double({ min: 100.000001, max: 1e300, noNaN: true }),
  fc.constant(NON_FINITE),
  otherType(isType.number),
);
/** Strings one to thousands of characters over the limit, and one of a megabyte. */
const tooLong = (maxLength: number): fc.Arbitrary<Json> =>
  fc.oneof(fc.integer({ min: maxLength + 1, max: maxLength + 4096 }).map((n) => 'x'.repeat(n)), fc.constant('x'.repeat(1 << 20)));
const badString = (maxLength: number, outsideCharset: fc.Arbitrary<string> = fc.constant('x'.repeat(maxLength + 1))): fc.Arbitrary<Json> =>
  fc.oneof(tooLong(maxLength), outsideCharset, otherType(isType.string));
const badHeaderName: fc.Arbitrary<Json> = badString(128, fc.constantFrom('', 'X-Upper', 'with space', 'colon:inside', 'tab\t', 'é', '__proto__'));

/** Sets `path` (creating objects along it) to `value`; undefined removes it. */
function putAt(config: Config, path: readonly string[], value: Json | undefined): void {
  let target: Config = config;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) target[key] = {};
    target = target[key] as Config;
  }
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete target[last];
  else target[last] = value;
}

const topLevel = (key: string, bad: fc.Arbitrary<Json | undefined>): FieldRule => ({ field: key, put: (c, v) => putAt(c, [key], v), bad });
const nested = (object: 'collector' | 'digest' | 'export', key: string, bad: fc.Arbitrary<Json | undefined>): FieldRule => ({
  field: `${object}.${key}`,
  put: (c, v) => {
    // A bad batchSize must not be blamed on a maxQueue that is only too small for it.
    if (object === 'export') delete (c.export as Config | undefined)?.maxQueue;
    putAt(c, [object, key], v);
  },
  bad,
});
/** Sampling fields exist on the edge only. */
/** `config[key]` as an object, replacing whatever non-object value is there. */
const objectMember = (config: Config, key: string): Config => {
  const value = config[key];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  const fresh: Config = {};
  config[key] = fresh;
  return fresh;
};
const onEdge = (config: Config): Config => {
  config.role = 'edge';
  return objectMember(config, 'sampling');
};
const samplingField = (key: string, bad: fc.Arbitrary<Json>): FieldRule => ({ field: `sampling.${key}`, put: (c, v) => putAt(onEdge(c), [key], v), bad });
/** A field of the first segment, in an otherwise valid segment. */
const segmentField = (key: string, bad: fc.Arbitrary<Json | undefined>): FieldRule => ({
  field: key === '' ? 'sampling.segments[0]' : `sampling.segments[0].${key}`,
  put: (c, v) => {
    const first: Config = { name: 'fuzz', header: 'x-fuzz', present: true, percent: 10 };
    if (key !== '') {
      if (['exact', 'prefix', 'present'].includes(key)) delete first.present;
      if (v === undefined) delete first[key];
      else first[key] = v;
    }
    onEdge(c).segments = key === '' ? [v ?? null] : [first];
  },
  bad,
});

const rules: FieldRule[] = [
  topLevel('role', fc.oneof(fc.string().filter((r) => !['edge', 'shadow', 'primary'].includes(r)), otherType(isType.string))),
  topLevel('collector', otherType(isType.object)),
  topLevel('source', badString(64, fc.constantFrom('', 'has space', 'slash/', 'ü'))),
  topLevel('headerPrefix', badString(32, fc.constantFrom('', 'x-sd', 'X-SD-', 'x sd-'))),
  topLevel('shadowHostSuffix', badString(32, fc.constantFrom('has space', 'new\nline', 'ü', ':8080'))),
  topLevel('sampling', otherType(isType.object)),
  topLevel('digest', otherType(isType.object)),
  topLevel('export', otherType(isType.object)),
  nested('collector', 'cluster', badString(256, fc.constantFrom('', 'a b', 'tab\there', 'ü'))),
  nested('collector', 'authority', badString(256, fc.constantFrom('', 'a b'))),
  nested('collector', 'path', badString(256, fc.constantFrom('', 'v1/batches', '/a b'))),
  nested('collector', 'token', badString(256, fc.constantFrom('a b', 'new\nline', 'ü'))),
  nested('collector', 'timeoutMs', badInteger(1, 60_000)),
  nested('digest', 'headers', fc.oneof(otherType(isType.array), fc.constant(Array.from({ length: 65 }, (_, i) => `h${i}`)))),
  { field: 'digest.headers[0]', put: (c, v) => putAt(c, ['digest', 'headers'], [v ?? null]), bad: badHeaderName },
  nested('digest', 'json', otherType(isType.boolean)),
  nested('digest', 'maxFields', badInteger(0, 4096)),
  nested('digest', 'maxDepth', badInteger(1, 128)),
  nested('export', 'batchSize', badInteger(1, 1024)),
  nested('export', 'maxQueue', badInteger(1, 65_536)),
  nested('export', 'flushIntervalMs', badInteger(10, 60_000)),
  nested('export', 'maxInflight', badInteger(1, 64)),
  samplingField('keyHeader', badHeaderName),
  samplingField('salt', fc.oneof(tooLong(64), otherType(isType.string))),
  samplingField('defaultPercent', badPercent),
  samplingField('segments', fc.oneof(otherType(isType.array), fc.constant(Array.from({ length: 33 }, (_, i) => ({ name: `s${i}`, header: 'x', present: true, percent: 1 }))))),
  segmentField('', otherType(isType.object)),
  segmentField('name', fc.oneof(badString(64, fc.constantFrom('', 'default', 'Upper', 'dot.ted')), fc.constant(undefined))),
  segmentField('header', fc.oneof(badHeaderName, fc.constant(undefined))),
  segmentField('percent', fc.oneof(badPercent, fc.constant(undefined))),
  segmentField('exact', fc.oneof(otherType(isType.array), fc.constant<Json>([]), fc.constant(Array.from({ length: 65 }, (_, i) => `v${i}`)))),
  { field: 'sampling.segments[0].exact[0]', put: (c, v) => (onEdge(c).segments = [{ name: 's', header: 'x', exact: [v ?? null], percent: 1 }]), bad: fc.oneof(tooLong(256), otherType(isType.string)) },
  segmentField('prefix', fc.oneof(fc.constant(''), tooLong(256), otherType(isType.string))),
  segmentField('present', fc.oneof(fc.constant(false), otherType(isType.boolean))),
  segmentField('pathPrefix', badString(256, fc.constantFrom('', 'api', 'api/'))),
  segmentField('maxPerSecond', badInteger(0, 1_000_000_000)),
];

/** Removing a required field is refused with that field named. */
const absent = fc.constant(undefined);
const requiredFields: FieldRule[] = [
  topLevel('role', absent),
  topLevel('collector', absent),
  nested('collector', 'cluster', absent),
  {
    field: 'sampling',
    put: (c) => {
      c.role = 'edge';
      delete c.sampling;
    },
    bad: absent,
  },
];

/** The objects that refuse unknown members, and how to reach each. */
const objects: Array<{ field: string; reach(config: Config): Config }> = [
  { field: '', reach: (c) => c },
  { field: 'collector', reach: (c) => c.collector as Config },
  { field: 'sampling', reach: onEdge },
  {
    field: 'sampling.segments[0]',
    reach: (c) => {
      const segment: Config = { name: 's', header: 'x', present: true, percent: 1 };
      onEdge(c).segments = [segment];
      return segment;
    },
  },
  { field: 'digest', reach: (c) => objectMember(c, 'digest') },
  { field: 'export', reach: (c) => objectMember(c, 'export') },
];
const KNOWN_MEMBERS = new Set([
  'role', 'source', 'headerPrefix', 'shadowHostSuffix', 'collector', 'sampling', 'digest', 'export',
  'cluster', 'authority', 'path', 'token', 'timeoutMs', 'keyHeader', 'salt', 'defaultPercent', 'segments',
  'name', 'header', 'exact', 'prefix', 'present', 'pathPrefix', 'percent', 'maxPerSecond',
  'headers', 'json', 'maxFields', 'maxDepth', 'batchSize', 'maxQueue', 'flushIntervalMs', 'maxInflight',
]);

describe('plugin configuration under fuzzing', () => {
  it('starts every generated valid configuration', async () => {
    await fc.assert(
      fc.asyncProperty(validConfig, async (config) => {
        await expectAccepted(text(config));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('refuses one bad field in a valid configuration, naming the field', async () => {
    const badField = fc.constantFrom(...rules, ...requiredFields).chain((rule) => fc.tuple(fc.constant(rule), rule.bad));
    await fc.assert(
      fc.asyncProperty(validConfig, badField, async (config, [rule, value]) => {
        rule.put(config, value);
        const line = await expectRefused(text(config), rule.field);
        // A token is a secret: a refusal never repeats it.
        if (rule.field === 'collector.token' && typeof value === 'string' && value.length > 3) expect(line).not.toContain(value);
      }),
      { numRuns: 1000 },
    );
  }, 180_000);

  it('refuses unknown members at every level, naming them; any key, however long or strange, gives one short printable line', async () => {
    const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/).filter((k) => !KNOWN_MEMBERS.has(k));
    const anyKey = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constant('k'.repeat(100_000)), fc.constantFrom('__proto__', 'constructor', 'a\nb', '"', '\u0000')).filter((k) => !KNOWN_MEMBERS.has(k));
    await fc.assert(
      fc.asyncProperty(validConfig, fc.constantFrom(...objects), fc.oneof(identifier, anyKey), fc.jsonValue({ maxDepth: 2 }), async (config, object, key, value) => {
        // defineProperty: plain assignment of `__proto__` would set the prototype, not a member.
        Object.defineProperty(object.reach(config), key, { value, enumerable: true, configurable: true, writable: true });
        const named = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(key) ? (object.field === '' ? key : `${object.field}.${key}`) : object.field;
        const line = await expectRefused(text(config), named);
        expect(line).toMatch(/unknown field|duplicate member/);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('refuses random text, random bytes, cut and corrupted configurations without trapping', async () => {
    const valid = validConfig.map(text);
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
      // A valid configuration cut short: never complete JSON.
      fc.tuple(valid, fc.nat()).map(([t, n]) => t.slice(0, n % t.length)),
      fc.constantFrom('', ' ', '\n\t ', '\u0000', '\ufeff{}', 'null', '[]', '{}', '"edge"', '['.repeat(100_000), '{"a":'.repeat(10_000), `[${'1,'.repeat(500_000)}1]`),
      fc.constant(`{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`),
    );
    await fc.assert(
      fc.asyncProperty(input, async (config) => {
        await expectRefused(config);
      }),
      { numRuns: 400 },
    );
  }, 180_000);

  it('either starts or refuses with one log line when single bytes of a valid configuration change, never trapping', async () => {
    await fc.assert(
      fc.asyncProperty(validConfig, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (config, flips) => {
        const bytes = new TextEncoder().encode(text(config));
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
        const result = await start(bytes);
        expect(result.trap).toBeNull();
        if (result.ok) expect(result.critical).toEqual([]);
        else {
          expect(result.critical).toHaveLength(1);
          expect(result.critical[0]?.startsWith(PREFIX)).toBe(true);
          expect(result.critical[0]).toMatch(/^[\x20-\x7e]*$/);
        }
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
