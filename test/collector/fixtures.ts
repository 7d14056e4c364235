// Builders shared by the collector tests: valid records and batches, a fake clock, a test app.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../collector/http/app.js';
import { defaultConfig } from '../../collector/config.js';
import type { DigestBatchV2, HashAlgorithm } from '../../collector/ingest/wireSchemaV2.js';
import { encodeBatchV2 } from '../../devkit/wireFormat.js';
import type { Clock, CollectorConfig, DigestBatch, DigestRecord, IngestedRecord, WireLeg } from '../../collector/types.js';

export const T0 = 1_700_000_000_000;

/** A clock the test moves by hand; the join window never waits for real time. */
export class FakeClock implements Clock {
  constructor(public t: number = T0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const EMPTY_BODY_HASH = 'cbf29ce484222325';

/** A valid record (`hash` only as the version 2 decoder sets it: not on a version 1 batch's records). */
export function record(leg: WireLeg, overrides: Partial<IngestedRecord> = {}): IngestedRecord {
  return {
    id: 'req-1',
    leg,
    segment: 'default',
    reason: 'default',
    method: 'GET',
    path: '/orders/42',
    authority: 'shop.example',
    startUnixMs: T0,
    firstByteUs: leg === 'primary' ? 8_000 : 9_000,
    lastByteUs: leg === 'primary' ? 12_000 : 15_000,
    status: 200,
    complete: true,
    respBytes: 120,
    headers: { 'content-type': '1a2b3c4d' },
    bodyHash: '00112233445566aa',
    json: 'ok',
    fields: { '$.id': '0000002a', '$.total': '11111111' },
    fieldsTruncated: false,
    ...overrides,
  };
}

/** Both legs of one request; `shadow` overrides apply to the shadow leg only. */
export function legs(
  id: string,
  shadow: Partial<IngestedRecord> = {},
  both: Partial<IngestedRecord> = {},
): [IngestedRecord, IngestedRecord] {
  return [record('primary', { id, ...both }), record('shadow', { id, ...both, ...shadow })];
}

/**
 * The three legs of one request the edge also mirrored to a secondary: the primary announcing it
 * (`withSecondary`), the shadow and the secondary; `shadow` and `secondary` overrides apply to that leg only.
 */
export function triple(
  id: string,
  shadow: Partial<IngestedRecord> = {},
  secondary: Partial<IngestedRecord> = {},
  both: Partial<IngestedRecord> = {},
): [IngestedRecord, IngestedRecord, IngestedRecord] {
  return [
    record('primary', { id, withSecondary: true, ...both }),
    record('shadow', { id, ...both, ...shadow }),
    record('secondary', { id, ...both, ...secondary }),
  ];
}

/**
 * Triple `n` of a route whose `$.meta.at` differs on every leg (the two primaries too: noise) and
 * whose `$.total` the shadow alone sets to `shadowTotal` (a regression when it differs from
 * `11111111`, the primaries' value).
 */
export function noisyTriple(n: number, shadowTotal = '11111111'): [IngestedRecord, IngestedRecord, IngestedRecord] {
  const fields = (at: number, total: string) => ({ '$.id': '0000002a', '$.total': total, '$.meta.at': at.toString(16).padStart(8, '0') });
  return triple(
    `t-${n}`,
    { fields: fields(3 * n + 1, shadowTotal) },
    { fields: fields(3 * n + 2, '11111111') },
    { fields: fields(3 * n, '11111111') },
  );
}

export function batch(records: DigestRecord[]): DigestBatch {
  return { v: 1, source: 'edge', sentUnixMs: T0, records };
}

export function config(overrides: (c: CollectorConfig) => void = () => {}): CollectorConfig {
  const c = defaultConfig();
  // Memory only: a test must never pick up the state another run left in the default store.
  c.store.path = '';
  overrides(c);
  return c;
}

export interface TestApp {
  app: FastifyInstance;
  clock: FakeClock;
  post(body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  get(url: string): Promise<LightMyRequestResponse>;
}

export function testApp(overrides: (c: CollectorConfig) => void = () => {}): TestApp {
  const clock = new FakeClock();
  const app = buildApp({ config: config(overrides), clock, defaultMetrics: false });
  return {
    app,
    clock,
    post: (body, headers = {}) => app.inject({ method: 'POST', url: '/v1/batches', payload: body as object, headers }),
    get: (url) => app.inject({ method: 'GET', url }),
  };
}

/** `records` as a wire format 2 batch from the edge, built the way the filter builds one (devkit's encoder). */
export function batchV2(records: DigestRecord[], hash: HashAlgorithm = 'fnv1a'): DigestBatchV2 {
  return encodeBatchV2(records, { source: 'edge', sentUnixMs: T0, hash });
}
