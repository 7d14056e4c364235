import { describe, expect, it } from 'vitest';
import { diffFields } from '../../../collector/compare/fieldDiff.js';
import { IgnoreRules, type RouteIgnore } from '../../../collector/compare/ignoreRules.js';
import { comparePair, fallbackReason, isError, statusClass } from '../../../collector/compare/pairCompare.js';
import type { DigestRecord, IngestedRecord } from '../../../collector/types.js';
import { legs, record } from '../fixtures.js';

const NOTHING_IGNORED: RouteIgnore = { field: () => false, header: () => false, subtree: () => 'none' };
const HEADERS = ['content-type', 'location'];

function compare(shadow: Partial<DigestRecord>, both: Partial<DigestRecord> = {}, ignore = NOTHING_IGNORED) {
  const [p, s] = legs('x', shadow, both);
  return comparePair(p, s, ignore, HEADERS);
}

describe('comparePair: completion alone', () => {
  it('reports a leg cut short as a divergence even when status, headers and body match', () => {
    const diff = compare({ complete: false });
    expect(diff.diverged).toBe(true);
    expect(diff.kinds).toEqual(['completion']);
    expect(diff.completionChanged).toBe(true);
    expect(diff.bodyHashDiffers).toBe(false);
    expect(compare({ complete: false }, {}).fields).toEqual([]);
  });

  it('reports a cut-short primary the same way', () => {
    const [p, s] = legs('x', {}, {});
    const diff = comparePair({ ...p, complete: false }, s, NOTHING_IGNORED, HEADERS);
    expect(diff.kinds).toEqual(['completion']);
  });

  it('does not call two equally cut-short legs a divergence', () => {
    expect(compare({}, { complete: false }).diverged).toBe(false);
  });
});

describe('diffFields', () => {
  it('classifies changed, missing in shadow and extra in shadow', () => {
    const result = diffFields(
      { '$.a': '00000001', '$.b': '00000002', '$.c': '00000003' },
      { '$.a': '00000001', '$.b': '0000000f', '$.d': '00000004' },
      NOTHING_IGNORED,
    );
    expect(result.ignored).toBe(0);
    expect(result.diffs).toEqual([
      { path: '$.b', change: 'changed', primary: '00000002', shadow: '0000000f' },
      { path: '$.c', change: 'missing_in_shadow', primary: '00000003', shadow: null },
      { path: '$.d', change: 'extra_in_shadow', primary: null, shadow: '00000004' },
    ]);
  });

  it('counts ignored differences instead of reporting them', () => {
    const ignore = new IgnoreRules({ fields: ['$.meta'], headers: [], routes: {} }).forRoute('GET /');
    const result = diffFields(
      { '$.meta.ts': '00000001', '$.x': '00000001' },
      { '$.meta.ts': '00000002', '$.meta.new': '00000003', '$.x': '00000001' },
      ignore,
    );
    expect(result.diffs).toEqual([]);
    expect(result.ignored).toBe(2);
  });
});

describe('comparePair', () => {
  it('finds identical legs equal', () => {
    const diff = compare({});
    expect(diff.diverged).toBe(false);
    expect(diff.kinds).toEqual([]);
    expect(diff.basis).toBe('fields');
  });

  it('decides on fields when both legs have a full structural digest: key order or whitespace do not matter', () => {
    const diff = compare({ bodyHash: 'ffffffffffffffff' });
    expect(diff.diverged).toBe(false);
    expect(diff.bodyHashDiffers).toBe(true);
  });

  it('reports field differences', () => {
    const diff = compare({ fields: { '$.id': '0000002a', '$.total': '22222222' } });
    expect(diff.kinds).toEqual(['field']);
    expect(diff.fields).toEqual([{ path: '$.total', change: 'changed', primary: '11111111', shadow: '22222222' }]);
  });

  it('turns a pair that only differs in ignored fields into a match, and says so', () => {
    const ignore = new IgnoreRules({ fields: ['$.total'], headers: [], routes: {} }).forRoute('GET /orders/{id}');
    const diff = compare({ fields: { '$.id': '0000002a', '$.total': '22222222' }, bodyHash: 'ffffffffffffffff' }, {}, ignore);
    expect(diff.diverged).toBe(false);
    expect(diff.ignoredFields).toBe(1);
  });

  it('separates a status class change from a status change', () => {
    expect(compare({ status: 503 }).kinds).toEqual(['status_class']);
    expect(compare({ status: 201 }).kinds).toEqual(['status']);
    expect(compare({ status: 503 }).statusClassChanged).toBe(true);
    expect(compare({ status: 0, complete: false }).kinds).toEqual(['status_class', 'completion']);
  });

  it('compares only the configured headers, by presence and hash', () => {
    const diff = compare({ headers: { 'content-type': 'ffffffff', location: '12345678', etag: 'abcdef01' } });
    expect(diff.kinds).toEqual(['header']);
    expect(diff.headers).toEqual([
      { name: 'content-type', change: 'changed', primary: '1a2b3c4d', shadow: 'ffffffff' },
      { name: 'location', change: 'extra_in_shadow', primary: null, shadow: '12345678' },
    ]);
  });

  it('compares every digested header in `all` mode, without trusting inherited properties', () => {
    const [p, s] = legs('x', { headers: { constructor: '00000001' } }, { headers: {} });
    const diff = comparePair(p, s, NOTHING_IGNORED, 'all');
    expect(diff.headers).toEqual([{ name: 'constructor', change: 'extra_in_shadow', primary: null, shadow: '00000001' }]);
    const same = comparePair(
      record('primary', { headers: { etag: 'aaaaaaaa' } }),
      record('shadow', { headers: { etag: 'aaaaaaaa' } }),
      NOTHING_IGNORED,
      'all',
    );
    expect(same.headers).toEqual([]);
  });

  it('ignores configured header names', () => {
    const ignore = new IgnoreRules({ fields: [], headers: ['content-type'], routes: {} }).forRoute('GET /');
    const diff = compare({ headers: { 'content-type': 'ffffffff' } }, {}, ignore);
    expect(diff.diverged).toBe(false);
    expect(diff.ignoredHeaders).toBe(1);
  });

  it.each([
    [{ json: 'malformed', fields: {} }, { json: 'malformed', fields: {} }, 'json_malformed'],
    [{ json: 'none', fields: {} }, { json: 'none', fields: {} }, 'json_none'],
    [{}, { json: 'malformed', fields: {} }, 'json_state_differs'],
    [{}, { fieldsTruncated: true }, 'fields_truncated'],
    [{ fields: {} }, { fields: {}, bodyHash: 'ffffffffffffffff' }, 'no_fields'],
  ] as const)('falls back to the body hash: %o vs %o -> %s', (primary, shadow, reason) => {
    const p = record('primary', primary);
    const s = record('shadow', { ...primary, ...shadow });
    expect(fallbackReason(p, s)).toBe(reason);
    const diff = comparePair(p, { ...s, bodyHash: 'eeeeeeeeeeeeeeee' }, NOTHING_IGNORED, HEADERS);
    expect(diff.basis).toBe('body');
    expect(diff.fallback).toBe(reason);
    expect(diff.kinds).toContain('body');
    expect(diff.fields).toEqual([]);
    expect(comparePair(p, { ...s, bodyHash: p.bodyHash }, NOTHING_IGNORED, HEADERS).kinds).not.toContain('body');
  });

  it('compares a decoded gzip leg with an identity leg by their fields: both digests are of the content', () => {
    const gzip = { encoding: 'gzip', decoding: 'ok', decodedBytes: 20, respBytes: 31 } as const;
    const [p, s] = legs('x', gzip);
    expect(fallbackReason(p, s)).toBeNull();
    const diff = comparePair(p, s, NOTHING_IGNORED, HEADERS);
    expect(diff).toMatchObject({ diverged: false, basis: 'fields', fallback: null });
  });

  it.each([
    [{ encoding: 'br', decoding: 'unsupported' }, {}, 'encoding_unsupported'],
    [{ encoding: 'gzip', decoding: 'ok' }, { encoding: 'zstd', decoding: 'unsupported' }, 'encoding_unsupported'],
    [{ encoding: 'gzip', decoding: 'corrupt' }, { encoding: 'gzip', decoding: 'ok' }, 'decoding_failed'],
    [{}, { encoding: 'deflate', decoding: 'truncated' }, 'decoding_failed'],
    [{}, { encoding: 'gzip', decoding: 'too_large' }, 'decoding_failed'],
    [{ encoding: 'gzip', decoding: 'too_large' }, { encoding: 'br', decoding: 'unsupported' }, 'encoding_unsupported'],
  ] as const)('compares a leg whose body did not decode by its body hash, visibly: %o vs %o -> %s', (primary, shadow, reason) => {
    const notDecoded = (leg: Partial<IngestedRecord>): Partial<IngestedRecord> =>
      leg.decoding === undefined ? {} : { ...leg, decodedBytes: 0, ...(leg.decoding === 'ok' ? {} : { json: 'none', fields: {} }) };
    const p = record('primary', notDecoded(primary));
    const s = record('shadow', notDecoded(shadow));
    expect(fallbackReason(p, s)).toBe(reason);
    const diff = comparePair(p, { ...s, bodyHash: 'eeeeeeeeeeeeeeee' }, NOTHING_IGNORED, HEADERS);
    expect(diff).toMatchObject({ basis: 'body', fallback: reason, fields: [] });
    expect(diff.kinds).toContain('body');
    expect(comparePair(p, { ...s, bodyHash: p.bodyHash }, NOTHING_IGNORED, HEADERS).kinds).not.toContain('body');
  });

  it('ignore rules cannot hide a body-hash difference (there are no fields to ignore)', () => {
    const ignore = new IgnoreRules({ fields: ['$'], headers: [], routes: {} }).forRoute('GET /');
    const diff = compare({ fieldsTruncated: true, bodyHash: 'ffffffffffffffff' }, {}, ignore);
    expect(diff.diverged).toBe(true);
    expect(diff.fallback).toBe('fields_truncated');
  });

  it('classifies errors and status classes', () => {
    expect(statusClass(0)).toBe(0);
    expect(statusClass(204)).toBe(2);
    expect(statusClass(599)).toBe(5);
    expect(isError(record('primary', { status: 0 }))).toBe(true);
    expect(isError(record('primary', { status: 502 }))).toBe(true);
    expect(isError(record('primary', { status: 200, complete: false }))).toBe(true);
    expect(isError(record('primary', { status: 404 }))).toBe(false);
  });
});
