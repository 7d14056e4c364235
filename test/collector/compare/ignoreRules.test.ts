import { describe, expect, it } from 'vitest';
import { fieldGlobProblem, headerGlobProblem, IgnoreRules } from '../../../collector/compare/ignoreRules.js';
import type { IgnoreConfig } from '../../../collector/types.js';

function rules(config: Partial<IgnoreConfig>): IgnoreRules {
  return new IgnoreRules({ fields: [], headers: [], routes: {}, ...config });
}

describe('IgnoreRules', () => {
  it('matches exact paths and everything below them', () => {
    const ignore = rules({ fields: ['$.meta.timestamp', '$.debug'] }).forRoute('GET /a');
    expect(ignore.field('$.meta.timestamp')).toBe(true);
    expect(ignore.field('$.debug.host')).toBe(true);
    expect(ignore.field('$.debug[0]')).toBe(true);
    expect(ignore.field('$.meta.timestamps')).toBe(false);
    expect(ignore.field('$.debugging')).toBe(false);
    expect(ignore.field('$.meta')).toBe(false);
  });

  it('matches any array index with [*]', () => {
    const ignore = rules({ fields: ['$.items[*].traceId'] }).forRoute('GET /a');
    expect(ignore.field('$.items[0].traceId')).toBe(true);
    expect(ignore.field('$.items[12].traceId')).toBe(true);
    expect(ignore.field('$.items.traceId')).toBe(false);
    expect(ignore.field('$.items[0].price')).toBe(false);
  });

  it('matches within one key with * and across keys with **', () => {
    const ignore = rules({ fields: ['$.meta.*At', '$.**.etag'] }).forRoute('GET /a');
    expect(ignore.field('$.meta.createdAt')).toBe(true);
    expect(ignore.field('$.meta.sub.createdAt')).toBe(false);
    expect(ignore.field('$.a.b[3].etag')).toBe(true);
    expect(ignore.field('$.etagged')).toBe(false);
  });

  it('treats regex characters in globs literally', () => {
    const ignore = rules({ fields: ['$["a.b"]', '$.x+y'] }).forRoute('GET /a');
    expect(ignore.field('$["a.b"]')).toBe(true);
    expect(ignore.field('$["aXb"]')).toBe(false);
    expect(ignore.field('$.x+y')).toBe(true);
    expect(ignore.field('$.xxy')).toBe(false);
  });

  it('adds per-route rules by exact route or by template for every method', () => {
    const ignore = rules({
      fields: ['$.global'],
      headers: ['date'],
      routes: {
        'GET /orders/{id}': { fields: ['$.getOnly'], headers: [] },
        '/orders/{id}': { fields: ['$.anyMethod'], headers: ['x-served-*'] },
      },
    });
    const get = ignore.forRoute('GET /orders/{id}');
    const put = ignore.forRoute('PUT /orders/{id}');
    const other = ignore.forRoute('GET /users/{id}');
    expect([get.field('$.global'), get.field('$.getOnly'), get.field('$.anyMethod')]).toEqual([true, true, true]);
    expect([put.field('$.global'), put.field('$.getOnly'), put.field('$.anyMethod')]).toEqual([true, false, true]);
    expect([other.field('$.global'), other.field('$.getOnly'), other.field('$.anyMethod')]).toEqual([true, false, false]);
    expect(put.header('x-served-by')).toBe(true);
    expect(put.header('date')).toBe(true);
    expect(other.header('x-served-by')).toBe(false);
  });

  it('ignores nothing without rules, and survives prototype-like route keys', () => {
    const ignore = rules({}).forRoute('constructor');
    expect(ignore.field('$.a')).toBe(false);
    expect(ignore.header('etag')).toBe(false);
  });

  it('validates globs', () => {
    expect(fieldGlobProblem('$.a[*].b')).toBeNull();
    expect(fieldGlobProblem('meta.timestamp')).toMatch(/start with "\$"/);
    expect(headerGlobProblem('x-served-*')).toBeNull();
    expect(headerGlobProblem('X-Upper')).toMatch(/lower-case/);
  });
});
