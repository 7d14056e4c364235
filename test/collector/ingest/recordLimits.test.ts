import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECORD_LIMITS } from '../../../collector/ingest/recordLimits.js';
import { MAX_RECORD_PATHS, WIRE_SCHEMA_V2 } from '../../../collector/ingest/wireSchemaV2.js';
import { DigestRecordSchema } from '../../../collector/ingest/wireSchema.js';
import { BatchValidator } from '../../../collector/ingest/batchValidator.js';
import { WIRE_SCHEMA } from '../../../collector/ingest/wireSchema.js';
import { batch, record } from '../fixtures.js';

function filterSource(path: string): string {
  return readFileSync(new URL(`../../../filter/assembly/${path}`, import.meta.url), 'utf8');
}

function constant(source: string, pattern: RegExp): number {
  const match = pattern.exec(source);
  if (match?.[1] === undefined) throw new Error(`not found: ${pattern}`);
  return Number(match[1]);
}

describe('RECORD_LIMITS', () => {
  it('are what the filter itself never exceeds, so legitimate filter output is never refused', () => {
    const config = filterSource('config/pluginConfig.ts');
    expect(constant(config, /"digest\.maxFields", 0, (\d+)\)/)).toBe(RECORD_LIMITS.maxFields);
    expect(constant(config, /"export\.batchSize", 1, (\d+)\)/)).toBe(RECORD_LIMITS.maxRecordsPerBatch);
    expect(constant(filterSource('digest/jsonStructuralDigest.ts'), /MAX_PATH_BYTES: i32 = (\d+);/)).toBe(RECORD_LIMITS.maxFieldPathLength);
    expect(constant(filterSource('outbox/recordEncoder.ts'), /MAX_PATH_CHARS = (\d+);/)).toBe(RECORD_LIMITS.maxPathLength);
  });

  it('are the ones the wire schema enforces', () => {
    const fields = DigestRecordSchema.properties.fields as unknown as { maxProperties: number; propertyNames: { maxLength: number } };
    expect(fields.maxProperties).toBe(RECORD_LIMITS.maxFields);
    expect(fields.propertyNames.maxLength).toBe(RECORD_LIMITS.maxFieldPathLength);
    expect(DigestRecordSchema.properties.path.maxLength).toBe(RECORD_LIMITS.maxPathLength);
  });

  it('are the ones wire format 2 enforces too', () => {
    const v2 = WIRE_SCHEMA_V2 as unknown as {
      properties: { records: { maxItems: number }; paths: { maxItems: number; items: { maxLength: number } } };
      definitions: { record: { properties: { pathRuns: { maxItems: number }; path: { maxLength: number } } } };
    };
    expect(v2.properties.records.maxItems).toBe(RECORD_LIMITS.maxRecordsPerBatch);
    expect(v2.properties.paths.items.maxLength).toBe(RECORD_LIMITS.maxFieldPathLength);
    expect(MAX_RECORD_PATHS).toBe(RECORD_LIMITS.maxFields);
    expect(v2.definitions.record.properties.path.maxLength).toBe(RECORD_LIMITS.maxPathLength);
  });

  it('accept a record at every limit and refuse one past each', () => {
    const validator = new BatchValidator(WIRE_SCHEMA);
    const longest = `$.${'a'.repeat(RECORD_LIMITS.maxFieldPathLength - 2)}`;
    const atLimit = Object.fromEntries(Array.from({ length: RECORD_LIMITS.maxFields }, (_, i) => [`${longest.slice(0, -8)}${String(i).padStart(8, '0')}`, 'abcdef12']));
    const ok = record('primary', { fields: atLimit, path: `/${'p'.repeat(RECORD_LIMITS.maxPathLength - 1)}` });
    expect(validator.check(batch([ok])).rejectedRecords).toBe(0);
    const tooMany = record('primary', { id: 'too-many', fields: { ...atLimit, '$.one_more': 'abcdef12' } });
    const tooLong = record('primary', { id: 'too-long', fields: { [`${longest}x`]: 'abcdef12' } });
    const verdict = validator.check(batch([ok, tooMany, tooLong]));
    expect(verdict.recordErrors.map((e) => e.id)).toEqual(['too-many', 'too-long']);
  });
});
