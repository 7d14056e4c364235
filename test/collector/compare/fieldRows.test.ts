import { describe, expect, it } from 'vitest';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { IgnoreRules } from '../../../collector/compare/ignoreRules.js';
import { defaultConfig } from '../../../collector/config.js';

const rows = new FieldRows(defaultConfig().compare);

describe('FieldRows', () => {
  it.each([
    ['$.prices["sku-123"].amount', '$.prices[{key}].amount'],
    ['$.users["42"].name', '$.users[{key}].name'],
    ['$.byId["550e8400-e29b-41d4-a716-446655440000"]', '$.byId[{key}]'],
    ['$.blobs.deadbeefdeadbeef01', '$.blobs[{key}]'],
    ['$.m.user_42.email', '$.m[{key}].email'],
    ['$.long["#1a2b3c4d"]', '$.long[{key}]'],
    ['$.items[3].prices["sku-9"]', '$.items[*].prices[{key}]'],
    ['$.escaped["sku\\u002d7"]', '$.escaped[{key}]'],
  ])('collapses id-like keys: %s -> %s', (path, row) => {
    expect(rows.row(path)).toBe(row);
  });

  it.each(['$.meta.generatedAt', '$.v2.total', '$["content-type"]', '$.deadbeef', '$.address1', '$["a[1]"].b'])('keeps names: %s', (path) => {
    expect(rows.row(path)).toBe(path);
  });

  it('uses the same classifier as route segments, plus the configured patterns only', () => {
    const custom = new FieldRows({ collapseKeys: true, keyPatterns: ['^tenant-[a-z]+$'] });
    expect(custom.row('$.t["tenant-acme"].plan')).toBe('$.t[{key}].plan');
    expect(custom.row('$.p["sku-123"]')).toBe('$.p["sku-123"]');
    expect(custom.row('$.p["123"]')).toBe('$.p[{key}]');
  });

  it('can be turned off: then only array indices collapse', () => {
    const off = new FieldRows({ collapseKeys: false, keyPatterns: ['.*'] });
    expect(off.row('$.prices["sku-123"].list[0]')).toBe('$.prices["sku-123"].list[*]');
    expect(FieldRows.INDICES_ONLY.row('$.a["99"][2]')).toBe('$.a["99"][*]');
  });
});

describe('ignore rules match field rows', () => {
  it('a glob written against the collapsed row ignores every key it stands for, and [*] matches either spelling', () => {
    const ignore = new IgnoreRules({ fields: ['$.prices[{key}].updatedAt', '$.items[*].prices[{key}]'], headers: [], routes: {} }, rows).forRoute('GET /');
    expect(ignore.field('$.prices["sku-1"].updatedAt')).toBe(true);
    expect(ignore.field('$.prices["sku-77"].updatedAt')).toBe(true);
    expect(ignore.field('$.prices["sku-1"].amount')).toBe(false);
    expect(ignore.field('$.items[4].prices["sku-2"].amount')).toBe(true);
    expect(ignore.field('$.items[4].other')).toBe(false);
  });

  it('shares one compiled matcher between routes without rules of their own, so client-chosen routes cannot grow it', () => {
    const rules = new IgnoreRules({ fields: ['$.a'], headers: [], routes: { '/special': { fields: ['$.b'], headers: [] } } }, rows);
    expect(rules.forRoute('GET /x1')).toBe(rules.forRoute('GET /x2'));
    expect(rules.forRoute('GET /special').field('$.b')).toBe(true);
    expect(rules.forRoute('GET /x1').field('$.b')).toBe(false);
  });
});
