// Property-based fuzzing of POST /v1/batches. Every request — valid, partly valid, malformed,
// hostile — gets a coded 4xx with a reason or a documented accept, never a 5xx and never a hang,
// and after any sequence of them the totals, pairs, divergences and missing legs equal those of
// an independent model fed only the valid records.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorBody, type ErrorCode } from '../../../collector/http/errors.js';
import type { IngestResponse } from '../../../collector/ingest/ingestResponseSchema.js';
import type { DigestRecord, PairView, Report } from '../../../collector/types.js';
import { batch, record, testApp, type TestApp } from '../fixtures.js';

const BODY_LIMIT = 1024 * 1024;
const WINDOW_MS = 1_000;
const NON_FINITE = '"__non_finite__"';
/** Generous: the machine is shared; a request still unanswered after this is a hang. */
const ANSWER_DEADLINE_MS = 15_000;

/** A corruption that makes one record invalid, and the field the collector must name for it. */
interface Corruption {
  field: string;
  apply(record: Record<string, unknown>): void;
}

const set = (field: string, value: unknown): Corruption => ({ field, apply: (r) => (r[field] = value) });
const corruptions: Corruption[] = [
  set('status', -1),
  set('status', 1000),
  set('status', '200'),
  set('status', 200.5),
  set('firstByteUs', -5),
  set('respBytes', -1),
  set('startUnixMs', Number.MIN_SAFE_INTEGER),
  // Replaced by 1e999 in the body text, which JSON.parse reads as Infinity.
  set('startUnixMs', NON_FINITE),
  set('lastByteUs', NON_FINITE),
  set('id', ''),
  set('id', 'has spaces'),
  set('id', 'x'.repeat(129)),
  set('leg', 'both'),
  set('method', 123),
  set('method', ''),
  set('path', 'p'.repeat(5000)),
  set('authority', 'a'.repeat(100_000)),
  set('bodyHash', 'f'.repeat(100_000)),
  set('headers', []),
  set(
    'headers',
    Array.from({ length: 10_000 }, (_, i) => i),
  ),
  set('headers', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`h${i}`, '1a2b3c4d']))),
  set('fields', { '$.a': deepObject(200) }),
  set('fields', Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`$.f${i}`, '0000002a']))),
  set('fields', { [`$.${'k'.repeat(2000)}`]: '0000002a' }),
  set('complete', 'yes'),
  set('fieldsTruncated', 0),
  set('requestId', 'r'.repeat(129)),
  { field: 'surprise', apply: (r) => (r.surprise = { unknown: true }) },
  { field: 'nested', apply: (r) => (r.nested = deepObject(1_000)) },
  // A missing required field is named by its own name.
  { field: 'bodyHash', apply: (r) => delete r.bodyHash },
];

/** The JSON type of every required record field, to generate values of any other type. */
const RECORD_FIELD_TYPES: ReadonlyArray<[string, (value: unknown) => boolean]> = [
  ['id', isString],
  ['leg', (v) => v === 'primary' || v === 'shadow' || v === 'secondary'],
  ['segment', isString],
  ['reason', (v) => v === 'segment' || v === 'default'],
  ['method', isString],
  ['path', isString],
  ['authority', isString],
  ['startUnixMs', isNumber],
  ['firstByteUs', isNumber],
  ['lastByteUs', isNumber],
  ['status', isNumber],
  ['complete', (v) => typeof v === 'boolean'],
  ['respBytes', isNumber],
  ['headers', isPlainObject],
  ['bodyHash', isString],
  ['json', (v) => v === 'none' || v === 'ok' || v === 'malformed'],
  ['fields', isPlainObject],
  ['fieldsTruncated', (v) => typeof v === 'boolean'],
];

function isString(value: unknown): boolean {
  return typeof value === 'string';
}
function isNumber(value: unknown): boolean {
  return typeof value === 'number';
}
function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any JSON value of the wrong type (or outside the enum) for a randomly chosen field. */
const wrongType: fc.Arbitrary<Corruption> = fc.constantFrom(...RECORD_FIELD_TYPES).chain(([field, fits]) =>
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((value) => !fits(value))
    .map((value) => set(field, value)),
);

const KNOWN_FIELDS = new Set([...RECORD_FIELD_TYPES.map(([field]) => field), 'requestId']);
const unknownField: fc.Arbitrary<Corruption> = fc
  .tuple(fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,30}$/), fc.jsonValue({ maxDepth: 2 }))
  .filter(([name]) => !KNOWN_FIELDS.has(name))
  .map(([name, value]) => set(name, value));

/** A header or field map entry whose name or value breaks the wire format. */
const badMapEntry: fc.Arbitrary<Corruption> = fc.oneof(
  fc
    .string({ maxLength: 12 })
    .filter((v) => !/^[0-9a-f]{8}$/.test(v))
    .map((v) => set('headers', { 'content-type': v })),
  fc.constantFrom('Content-Type', 'bad header', '', 'h'.repeat(129)).map((name) => set('headers', { [name]: '1a2b3c4d' })),
  fc
    .string({ maxLength: 12 })
    .filter((name) => !name.startsWith('$'))
    .map((name) => set('fields', { [name]: '0000002a' })),
  fc.constant(set('fields', { '$.a': 42 })),
);

function deepObject(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const hash32 = fc.constantFrom('0000002a', '11111111', 'deadbeef');

/**
 * A valid record from a small id pool, so duplicates and conflicting re-deliveries (same id and
 * leg, different content) are common. Only status, completion and `$.total` vary between legs,
 * so the model below can tell a diverged pair without the collector's comparison code.
 */
const validRecord: fc.Arbitrary<DigestRecord> = fc
  .record({
    id: ids,
    leg: fc.constantFrom('primary' as const, 'shadow' as const),
    status: fc.constantFrom(0, 200, 201, 404, 503),
    complete: fc.boolean(),
    total: hash32,
    lastByteUs: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(1e300)),
    // Long, unicode and boundary-length values that the wire format allows.
    path: fc.constantFrom('/orders/42', `/orders/${'x'.repeat(2040)}`, '/ünïcödé/✓/😀'),
    requestId: fc.option(fc.string({ maxLength: 128 }), { nil: undefined }),
  })
  .map(({ id, leg, status, complete, total, lastByteUs, path, requestId }) => {
    const r = record(leg, { id, status, complete, lastByteUs, path, fields: { '$.id': '0000002a', '$.total': total } });
    return requestId === undefined ? r : { ...r, requestId };
  });

type Item = { kind: 'valid'; record: DigestRecord } | { kind: 'invalid'; record: Record<string, unknown>; field: string };

const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 3, arbitrary: validRecord.map((r): Item => ({ kind: 'valid', record: r })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validRecord, fc.oneof(fc.constantFrom(...corruptions), wrongType, unknownField, badMapEntry))
      .map(([r, corruption]): Item => {
        const raw: Record<string, unknown> = { ...r };
        corruption.apply(raw);
        return { kind: 'invalid', record: raw, field: corruption.field };
      }),
  },
);

interface Expected {
  status: number;
  codes: ErrorCode[];
}
const MALFORMED: Expected = { status: 400, codes: ['MALFORMED_JSON'] };
const INVALID: Expected = { status: 400, codes: ['BATCH_INVALID'] };
const JSON_TYPE = { 'content-type': 'application/json' };

/** One request to the ingest endpoint, and what the model expects of it. */
type Step =
  | { kind: 'batch'; items: Item[]; contentType: string }
  | { kind: 'badEnvelope'; items: Item[]; breakIt: (body: Record<string, unknown>) => void; field: string }
  | { kind: 'raw'; body: string | Buffer; headers: Record<string, string>; expect: Expected }
  /** time passes: every open join window closes */
  | { kind: 'tick' };

const envelopeBreaks: Array<{ field: string; breakIt: (body: Record<string, unknown>) => void }> = [
  { field: 'v', breakIt: (b) => (b.v = 3) },
  // A version 1 body that names version 2 lacks version 2's envelope members.
  { field: 'hash', breakIt: (b) => (b.v = 2) },
  { field: 'paths', breakIt: (b) => (b.v = 2) },
  { field: 'v', breakIt: (b) => (b.v = '1') },
  { field: 'source', breakIt: (b) => (b.source = 7) },
  { field: 'source', breakIt: (b) => (b.source = 's'.repeat(65)) },
  { field: 'sentUnixMs', breakIt: (b) => (b.sentUnixMs = -1) },
  { field: 'sentUnixMs', breakIt: (b) => (b.sentUnixMs = NON_FINITE) },
  { field: 'sentUnixMs', breakIt: (b) => delete b.sentUnixMs },
  { field: 'records', breakIt: (b) => (b.records = {}) },
  { field: 'records', breakIt: (b) => (b.records = []) },
  { field: 'extra', breakIt: (b) => (b.extra = 'unknown field') },
];

const raw = (body: string | Buffer, expect: Expected, headers: Record<string, string> = JSON_TYPE): Step => ({
  kind: 'raw',
  body,
  headers,
  expect,
});
const validBody = JSON.stringify(batch([record('primary', { id: 'raw-1' })]));

const rawBodies: fc.Arbitrary<Step> = fc.oneof(
  fc
    .string({ maxLength: 200 })
    .filter(isNotJson)
    .map((body) => raw(body, MALFORMED)),
  // Random bytes, mostly not UTF-8: refused as JSON, or (when they happen to parse) as a batch.
  fc.uint8Array({ maxLength: 200 }).map((bytes) => raw(Buffer.from(bytes), { status: 400, codes: ['MALFORMED_JSON', 'BATCH_INVALID'] })),
  fc.constant(raw('', MALFORMED)),
  fc.constant(raw(validBody.slice(0, -1), MALFORMED)),
  fc.constant(raw(`${'['.repeat(20_000)}${']'.repeat(20_000)}`, INVALID)),
  fc.constant(raw(`{"v":1,"source":"e","sentUnixMs":1,"records":[${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}]}`, INVALID)),
  fc.constant(raw(`[${'1,'.repeat(200_000)}1]`, INVALID)),
  fc.constant(raw('x'.repeat(BODY_LIMIT + 1), { status: 413, codes: ['BODY_TOO_LARGE'] })),
  // A Content-Length that promises more than the limit is refused before the body is read.
  fc.constant(raw(validBody, { status: 413, codes: ['BODY_TOO_LARGE'] }, { ...JSON_TYPE, 'content-length': String(BODY_LIMIT * 100) })),
  fc.constant(raw(validBody, MALFORMED, { ...JSON_TYPE, 'content-length': '5' })),
  fc.constant(raw(validBody, { status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] }, { 'content-type': 'text/plain' })),
  fc.constant(raw(validBody, { status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] }, { 'content-type': 'application/x-www-form-urlencoded' })),
  fc.constant(raw(validBody, { status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] }, {})),
  // The filter never compresses; a compressed body must not be read as if it were plain.
  fc.constant(raw(validBody, { status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] }, { ...JSON_TYPE, 'content-encoding': 'gzip' })),
  // Prototype poisoning is refused whole, before validation.
  fc.constant(raw(`{"v":1,"source":"e","sentUnixMs":1,"records":[],"__proto__":{"polluted":1}}`, MALFORMED)),
  fc.constant(raw(`{"constructor":{"prototype":{"polluted":1}}}`, MALFORMED)),
  fc
    .jsonValue({ maxDepth: 4 })
    .filter((value) => typeof value !== 'object' || value === null || !('records' in value))
    .map((value) => raw(JSON.stringify(value), INVALID)),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.array(item, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON'),
      )
      .map(([items, contentType]): Step => ({ kind: 'batch', items, contentType })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(item, { minLength: 1, maxLength: 4 }), fc.constantFrom(...envelopeBreaks))
      .map(([items, { field, breakIt }]): Step => ({ kind: 'badEnvelope', items, breakIt, field })),
  },
  { weight: 2, arbitrary: rawBodies },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'tick' }) },
);

function isNotJson(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

/**
 * True when Fastify's JSON parser refuses the text as prototype poisoning: a `__proto__` key, or a
 * `constructor` key holding a `prototype`. fast-check's generated keys include both.
 */
function isPoisoned(text: string): boolean {
  let poisoned = false;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value))
        poisoned = true;
      return value;
    });
  } catch {
    return false;
  }
  return poisoned;
}

function recordCount(text: string): number {
  // Fastify's parser skips a byte order mark; JSON.parse does not.
  const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
  return isPlainObject(parsed) && Array.isArray((parsed as { records?: unknown }).records)
    ? (parsed as { records: unknown[] }).records.length
    : 0;
}

interface ModelEntry {
  primary?: DigestRecord;
  shadow?: DigestRecord;
  /** paired, or its window closed */
  resolved: boolean;
  /** legs that arrived after the window closed without them */
  late: number;
}

/** What the collector should have learned, from the valid records of accepted batches only. */
class Model {
  readonly records = { primary: 0, shadow: 0 };
  duplicates = 0;
  late = 0;
  rejected = 0;
  /** first record per (id, leg): re-deliveries, even conflicting ones, never replace it */
  readonly entries = new Map<string, ModelEntry>();

  accept(record: DigestRecord): void {
    const role = record.leg;
    if (role === 'secondary') throw new Error('the generator makes pairs only: the model joins no secondary legs');
    this.records[role]++;
    const entry = this.entries.get(record.id) ?? { resolved: false, late: 0 };
    this.entries.set(record.id, entry);
    if (entry[role] !== undefined) this.duplicates++;
    else if (entry.resolved) {
      // Only the first late leg of an id is late; a copy of it is a duplicate.
      if (entry.late === 0) this.late++;
      else this.duplicates++;
      entry.late++;
    } else {
      entry[role] = record;
      if (entry.primary !== undefined && entry.shadow !== undefined) entry.resolved = true;
    }
  }

  /** Every open window closes. */
  tick(): void {
    for (const entry of this.entries.values()) entry.resolved = true;
  }

  count(predicate: (entry: ModelEntry) => boolean): number {
    return [...this.entries.values()].filter(predicate).length;
  }
}

/** The generator varies only status, completion and `$.total` between legs; any of them differing is a divergence. */
function diverged(primary: DigestRecord, shadow: DigestRecord): boolean {
  return primary.status !== shadow.status || primary.complete !== shadow.complete || primary.fields['$.total'] !== shadow.fields['$.total'];
}

function bodyOf(envelope: Record<string, unknown>): string {
  return JSON.stringify(envelope).replaceAll(NON_FINITE, '1e999');
}

/** Injects with a deadline: a request that does not answer within it is a hang, and fails the property. */
async function send(t: TestApp, body: string | Buffer, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the collector did not answer within ${ANSWER_DEADLINE_MS} ms`)), ANSWER_DEADLINE_MS);
  });
  try {
    return await Promise.race([t.app.inject({ method: 'POST', url: '/v1/batches', payload: body, headers }), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function expectCodedError(response: LightMyRequestResponse, expected: Expected): ErrorBody {
  expect(response.statusCode).toBe(expected.status);
  const body = response.json<ErrorBody>();
  expect(expected.codes).toContain(body.error.code);
  expect(ERRORS[body.error.code].status).toBe(expected.status);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body;
}

/** The field named in a detail is the corrupted one, or lies inside it (`headers["x"]`, `fields["$.a"]`). */
function namesField(detailField: string, field: string): boolean {
  return detailField === field || detailField.startsWith(`${field}[`) || detailField.startsWith(`${field}.`);
}

async function run(t: TestApp, model: Model, s: Step): Promise<void> {
  if (s.kind === 'tick') {
    t.clock.advance(WINDOW_MS);
    model.tick();
    return;
  }
  if (s.kind === 'raw') {
    const poisoned = typeof s.body === 'string' && isPoisoned(s.body);
    const body = expectCodedError(await send(t, s.body, s.headers), poisoned ? MALFORMED : s.expect);
    // The records of a batch refused whole are counted as rejected, however broken they are.
    if (body.error.code === 'BATCH_INVALID') model.rejected += recordCount(s.body.toString());
    return;
  }
  const envelope: Record<string, unknown> = { ...batch([]), records: s.items.map((i) => i.record) };
  const valid = s.items.flatMap((i) => (i.kind === 'valid' ? [i.record] : []));
  const invalid = s.items.flatMap((i, index) => (i.kind === 'invalid' ? [{ index, field: i.field }] : []));
  if (s.kind === 'badEnvelope') s.breakIt(envelope);
  const text = bodyOf(envelope);
  const headers = s.kind === 'batch' ? { 'content-type': s.contentType } : JSON_TYPE;
  // Refused before validation: nothing in such a body is counted, not even as rejected records.
  if (Buffer.byteLength(text) > BODY_LIMIT) {
    expectCodedError(await send(t, text, headers), { status: 413, codes: ['BODY_TOO_LARGE'] });
    return;
  }
  if (isPoisoned(text)) {
    expectCodedError(await send(t, text, headers), MALFORMED);
    return;
  }
  const response = await send(t, text, headers);
  if (s.kind === 'badEnvelope') {
    const body = expectCodedError(response, INVALID);
    expect(body.error.details?.some((d) => d.index === undefined && d.field === s.field)).toBe(true);
    model.rejected += Array.isArray(envelope.records) ? envelope.records.length : 0;
    return;
  }
  if (valid.length === 0) {
    const body = expectCodedError(response, INVALID);
    for (const { index, field } of invalid)
      expect(body.error.details?.some((d) => d.index === index && namesField(d.field, field))).toBe(true);
    model.rejected += s.items.length;
    return;
  }
  expect(response.statusCode).toBe(200);
  const answer = response.json<IngestResponse>();
  expect(answer.accepted).toBe(valid.length);
  expect(answer.rejectedRecords).toBe(invalid.length);
  // Every bad record is named by its index and the field that made it bad.
  for (const { index, field } of invalid) {
    expect(
      answer.rejected.some((d) => d.index === index && namesField(d.field, field)),
      `records[${index}].${field}`,
    ).toBe(true);
  }
  model.rejected += invalid.length;
  for (const r of valid) model.accept(r);
}

async function expectReportMatchesModel(t: TestApp, model: Model): Promise<void> {
  const report = (await t.get('/v1/report')).json<Report>();
  expect(report.totals.records).toEqual(model.records);
  expect(report.totals.duplicates).toBe(model.duplicates);
  expect(report.totals.late).toBe(model.late);
  expect(report.totals.rejectedRecords).toBe(model.rejected);
  expect(report.totals.pending).toBe(0);
  const paired = (e: ModelEntry): e is ModelEntry & { primary: DigestRecord; shadow: DigestRecord } =>
    e.primary !== undefined && e.shadow !== undefined;
  expect(report.totals.coverage).toMatchObject({
    pairs: model.count(paired),
    shadowMissing: model.count((e) => e.shadow === undefined),
    primaryMissing: model.count((e) => e.primary === undefined),
    evicted: 0,
  });
  expect(report.totals.diverged).toBe(model.count((e) => paired(e) && diverged(e.primary, e.shadow)));
  expect(report.totals.matched).toBe(model.count((e) => paired(e) && !diverged(e.primary, e.shadow)));
  // No re-delivery, however conflicting, replaced the leg a pair was judged on.
  for (const [id, entry] of model.entries) {
    const view = (await t.get(`/v1/pairs/${id}`)).json<PairView>();
    expect(view.primary).toEqual(entry.primary ?? null);
    expect(view.shadow).toEqual(entry.shadow ?? null);
    if (paired(entry)) {
      expect(view.diff?.diverged).toBe(diverged(entry.primary, entry.shadow));
      if (Math.floor(entry.primary.status / 100) !== Math.floor(entry.shadow.status / 100))
        expect(view.diff?.kinds).toContain('status_class');
    }
  }
}

describe('POST /v1/batches under fuzzing', () => {
  it('answers every request with a coded 4xx or an accept, and keeps totals equal to a model of the valid records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const t = testApp((c) => {
          c.bodyLimitBytes = BODY_LIMIT;
          c.join.windowMs = WINDOW_MS;
        });
        const model = new Model();
        try {
          for (const s of steps) await run(t, model, s);
          t.clock.advance(WINDOW_MS);
          model.tick();
          await expectReportMatchesModel(t, model);
          expect((await t.get('/healthz')).statusCode).toBe(200);
        } finally {
          await t.app.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 180_000);

  it('refuses a batch over the 1024-record limit whole, with a bounded list of details', async () => {
    const t = testApp();
    const records = Array.from({ length: 5000 }, (_, i) => ({ ...record('primary', { id: `r${i}` }), status: -1 }));
    const response = await send(t, JSON.stringify(batch(records as DigestRecord[])), JSON_TYPE);
    const body = expectCodedError(response, INVALID);
    expect(body.error.details!.length).toBeLessThanOrEqual(100);
    expect(body.error.moreDetails).toBeGreaterThan(0);
    expect(body.error.details!.some((d) => d.field === 'records')).toBe(true);
    await t.app.close();
  });
});
