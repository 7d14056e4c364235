// The legs topic's record encoding, defined once: what ingest writes decodes to the same leg, and
// what a join worker must refuse (not JSON, not the schema, a key that is not the id) is refused
// naming the problem.

import { describe, expect, it } from 'vitest';
import { decodeLeg, encodeLeg } from '../../../collector/kafka/legRecord.js';
import { refusal } from './topicRecordRefusal.js';
import { record } from '../fixtures.js';

describe('leg record', () => {
  it('round-trips a record, keyed by its correlation id', () => {
    const leg = record('shadow', { id: 'r-42', hash: 'xxh64', upstreamUs: 900 });
    const { key, value } = encodeLeg(leg, 1_700_000_000_123);
    expect(key.toString('utf8')).toBe('r-42');
    expect(decodeLeg(key, value)).toEqual({ v: 1, arrivedUnixMs: 1_700_000_000_123, record: leg });
  });

  it('refuses a value that is missing, not JSON, or not a leg record, naming the field', () => {
    const { key, value } = encodeLeg(record('primary'), 1);
    expect(refusal(() => decodeLeg(key, undefined))).toMatchObject({ field: '(value)', message: 'the record has no value' });
    expect(refusal(() => decodeLeg(key, Buffer.from('{'))).message).toMatch(/^the value is not JSON: /);
    const parsed = JSON.parse(value.toString('utf8')) as { record: Record<string, unknown> };
    parsed.record['status'] = 5000;
    const bad = refusal(() => decodeLeg(key, Buffer.from(JSON.stringify(parsed))));
    expect(bad.field).toBe('record.status');
    expect(bad.message).toBe('the value does not match the leg record schema: record.status: must be <= 999');
    expect(refusal(() => decodeLeg(key, Buffer.from(JSON.stringify({ ...parsed, v: 2 })))).field).toBe('v');
  });

  it('refuses a key that is not the record’s correlation id', () => {
    const { value } = encodeLeg(record('primary', { id: 'r-1' }), 1);
    expect(refusal(() => decodeLeg(Buffer.from('r-2'), value))).toMatchObject({
      field: '(key)',
      message: 'the key "r-2" is not the record\'s correlation id "r-1"',
    });
    expect(refusal(() => decodeLeg(undefined, value)).message).toBe('the key null is not the record\'s correlation id "r-1"');
  });
});
