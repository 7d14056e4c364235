// Large JSON bodies are parsed in a thread (jsonBodyParser.ts): the batch is the one the body
// holds, a malformed or poisoned body gets the same 400 as a small one, and the event loop never
// runs JSON.parse over a large body itself.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OFF_THREAD_BYTES } from '../../../collector/http/jsonBodyParser.js';
import type { DigestRecord, PairView } from '../../../collector/types.js';
import { batch, record, testApp, type TestApp } from '../fixtures.js';

let current: TestApp | null = null;

function start(): TestApp {
  current = testApp();
  return current;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await current?.app.close();
  current = null;
});

function withFields(id: string, leg: 'primary' | 'shadow', fields: number): DigestRecord {
  const entries = Array.from({ length: fields }, (_, i) => [`$.items[${i}].sku`, ((i * 2654435761) >>> 0).toString(16).padStart(8, '0')]);
  return { ...record(leg, { id }), fields: Object.fromEntries(entries) };
}

/** A version 1 batch well past OFF_THREAD_BYTES: 40 records of 200 fields. */
const records = Array.from({ length: 40 }, (_, i) => withFields(`big-${i >> 1}`, i % 2 === 0 ? 'primary' : 'shadow', 200));
const large = JSON.stringify(batch(records));

function post(t: TestApp, payload: string) {
  return t.app.inject({ method: 'POST', url: '/v1/batches', payload, headers: { 'content-type': 'application/json' } });
}

/** A string `bytes` long of padding, as a JSON member that makes a body large. */
const padding = (bytes: number): string => `"pad":"${'x'.repeat(bytes)}"`;

describe('a large JSON body', () => {
  it('is parsed off the event loop into the batch it holds', async () => {
    expect(large.length).toBeGreaterThan(OFF_THREAD_BYTES);
    const t = start();
    const parse = vi.spyOn(JSON, 'parse');
    const response = await post(t, large);
    const parsedHere = parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length >= OFF_THREAD_BYTES);
    parse.mockRestore();
    expect(parsedHere).toEqual([]);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: 40, duplicates: 0 });
    const pair = (await t.get('/v1/pairs/big-7')).json<PairView>();
    expect(pair.primary).toEqual(records[14]);
    expect(pair.shadow).toEqual(records[15]);
  });

  it.each([
    ['malformed', '{"v":1,', (small: string) => `{${padding(OFF_THREAD_BYTES)},${small.slice(1)}`],
    ['prototype poisoning', '{"__proto__":{"polluted":true}}', (small: string) => `{${padding(OFF_THREAD_BYTES)},${small.slice(1)}`],
    [
      'constructor poisoning',
      '{"constructor":{"prototype":{"polluted":true}}}',
      (small: string) => `{${padding(OFF_THREAD_BYTES)},${small.slice(1)}`,
    ],
    // Spelled with escapes, so that neither name appears in the text as such.
    [
      'prototype poisoning, escaped',
      String.raw`{"\u005f_pr\u006fto__":{"polluted":true}}`,
      (small: string) => `{${padding(OFF_THREAD_BYTES)},${small.slice(1)}`,
    ],
    [
      'constructor poisoning, escaped',
      String.raw`{"c\u006fnstructor":{"prot\u006ftype":{"polluted":true}}}`,
      (small: string) => `{${padding(OFF_THREAD_BYTES)},${small.slice(1)}`,
    ],
  ])('that is %s gets the answer a small one gets', async (_name, small, enlarge) => {
    const t = start();
    const body = enlarge(small);
    expect(body.length).toBeGreaterThan(OFF_THREAD_BYTES);
    const [smallAnswer, largeAnswer] = [await post(t, small), await post(t, body)];
    expect(smallAnswer.statusCode).toBe(400);
    expect(smallAnswer.json().error.code).toBe('MALFORMED_JSON');
    expect(largeAnswer.statusCode).toBe(smallAnswer.statusCode);
    expect(largeAnswer.json()).toEqual(smallAnswer.json());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('many at once: each parsed into its own batch', async () => {
    const t = start();
    const bodies = Array.from({ length: 6 }, (_, n) => JSON.stringify(batch(records.map((r) => ({ ...r, id: `${r.id}-${n}` })))));
    const answers = await Promise.all(bodies.map((body) => post(t, body)));
    expect(answers.map((a) => a.json().accepted)).toEqual([40, 40, 40, 40, 40, 40]);
    expect((await t.get('/v1/report')).json().totals).toMatchObject({ matched: 120 });
  });
});
