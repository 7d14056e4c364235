import { describe, expect, it } from 'vitest';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { IgnoreRules, type RouteIgnore } from '../../../collector/compare/ignoreRules.js';
import { comparePair, fallbackReason } from '../../../collector/compare/pairCompare.js';
import { globReach, globTokens } from '../../../collector/compare/subtreeIgnore.js';
import { parseSubtreePath } from '../../../collector/compare/subtreePath.js';
import type { IngestedRecord } from '../../../collector/types.js';
import { legs } from '../fixtures.js';

const HEADERS = ['content-type'];
/** The root object's scalar members, in one key-hash share. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a subtree name (`$` then `{0/1}`), not a template
const ROOT_SHARE = '${0/1}';
const NOTHING_IGNORED = ignoring([]);

function ignoring(fields: string[]): RouteIgnore {
  return new IgnoreRules({ fields, headers: [], routes: {} }).forRoute('GET /search');
}

/** A large document's subtree digest as the filter sends it: the root, the nodes, the entries below them. */
const BASE: Record<string, string> = {
  '$.meta': 'aaaa0001',
  [ROOT_SHARE]: 'aaaa0002',
  '$.results[0..35]': 'bbbb0001',
  '$.results[36..71]': 'bbbb0002',
  '$.results[72]': 'bbbb0003',
  '$.results[73].id': 'cccc0001',
  '$.results[73].segments': 'cccc0002',
  '$.results[73]{0/1}': 'cccc0003',
  '$.results[73]': 'cccc00ff',
  '$.results[74..99]': 'bbbb0004',
  '$.results': 'bbbb00ff',
  $: 'ffff0000',
};

/** The legs of a pair of truncated documents; `shadow` replaces or (undefined) removes entries of BASE. */
function truncatedPair(
  shadow: Record<string, string | undefined>,
  fields: { primary?: Record<string, string>; shadow?: Record<string, string> } = {},
): [IngestedRecord, IngestedRecord] {
  const shadowSubtrees = Object.fromEntries(
    Object.entries({ ...BASE, ...shadow }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  // the root differs whenever anything else does, as the filter's hashes do
  if (Object.keys(shadow).length > 0 && shadow.$ === undefined) shadowSubtrees.$ = 'ffff0001';
  const [p, s] = legs('big', { bodyHash: '99999999aaaaaaaa' }, { fieldsTruncated: true, subtreesTruncated: false });
  return [
    { ...p, subtrees: { ...BASE }, fields: fields.primary ?? p.fields },
    { ...s, subtrees: shadowSubtrees, fields: fields.shadow ?? s.fields },
  ];
}

function compare(pair: [IngestedRecord, IngestedRecord], ignore = NOTHING_IGNORED) {
  return comparePair(pair[0], pair[1], ignore, HEADERS);
}

describe('comparing documents beyond the leaf budget by their subtrees', () => {
  it('finds equal documents equal by their roots, whatever their bytes (key order, whitespace, spelling)', () => {
    const diff = compare(truncatedPair({}));
    expect(diff).toMatchObject({ diverged: false, basis: 'subtrees', fallback: null, bodyHashDiffers: true, fields: [], inconclusive: [] });
  });

  it('names the item range of a node array that holds the one changed leaf, not the body', () => {
    const diff = compare(truncatedPair({ '$.results[36..71]': 'bbbb1002', '$.results': 'bbbb10ff' }));
    expect(diff.diverged).toBe(true);
    expect(diff.kinds).toEqual(['field']);
    expect(diff.fields).toEqual([{ path: '$.results[36..71]', change: 'changed', primary: 'bbbb0002', shadow: 'bbbb1002' }]);
  });

  it('descends into every differing node down to the deepest differing subtree', () => {
    const diff = compare(
      truncatedPair({ '$.results[73].segments': 'cccc1002', '$.results[73]': 'cccc10ff', '$.results': 'bbbb10ff', '$.meta': 'aaaa1001' }),
    );
    expect(diff.fields.map((f) => f.path)).toEqual(['$.meta', '$.results[73].segments']);
  });

  it('names the node itself when its ranges no longer line up (items inserted or removed)', () => {
    const diff = compare(truncatedPair({ '$.results[74..99]': undefined, '$.results[74..100]': 'bbbb1004', '$.results': 'bbbb10ff' }));
    expect(diff.fields).toEqual([{ path: '$.results', change: 'changed', primary: 'bbbb00ff', shadow: 'bbbb10ff' }]);
  });

  it('reports a member subtree that only one leg has as missing or extra', () => {
    const diff = compare(truncatedPair({ '$.results[73].extra': 'dddd0001', '$.results[73]': 'cccc10ff', '$.results': 'bbbb10ff' }));
    expect(diff.fields).toEqual([{ path: '$.results[73].extra', change: 'extra_in_shadow', primary: null, shadow: 'dddd0001' }]);
  });

  it('names the node when it differs though all of its entries agree (entries were dropped at the bound)', () => {
    const diff = compare(truncatedPair({ '$.results': 'bbbb10ff' }));
    expect(diff.fields.map((f) => f.path)).toEqual(['$.results']);
  });

  it('refines a differing subtree to the changed leaves the records list', () => {
    const diff = compare(
      truncatedPair(
        { '$.meta': 'aaaa1001' },
        {
          primary: { '$.meta.version': '00000001', '$.meta.generatedAt': '00000002' },
          shadow: { '$.meta.version': '00000009', '$.meta.generatedAt': '00000003' },
        },
      ),
      ignoring(['$.meta.generatedAt']),
    );
    expect(diff.fields).toEqual([{ path: '$.meta.version', change: 'changed', primary: '00000001', shadow: '00000009' }]);
    expect(diff.ignoredFields).toBe(1);
    expect(diff.diverged).toBe(true);
  });

  it('falls back to the body hash when only one leg carries a subtree digest', () => {
    const [p, s] = truncatedPair({});
    const { subtrees: _subtrees, ...withoutSubtrees } = s;
    expect(fallbackReason(p, withoutSubtrees)).toBe('fields_truncated');
    expect(fallbackReason(p, { ...s, subtrees: { '$.meta': 'aaaa0001' } })).toBe('fields_truncated');
    expect(compare([p, withoutSubtrees]).basis).toBe('body');
  });
});

describe('ignore rules on subtrees', () => {
  it('ignores a differing subtree that a glob covers', () => {
    const diff = compare(truncatedPair({ '$.meta': 'aaaa1001' }), ignoring(['$.meta']));
    expect(diff).toMatchObject({ diverged: false, fields: [], inconclusive: [], ignoredFields: 1 });
  });

  it('calls a differing subtree that a glob reaches into inconclusive, not diverged', () => {
    const diff = compare(truncatedPair({ '$.meta': 'aaaa1001' }), ignoring(['$.meta.generatedAt']));
    expect(diff.diverged).toBe(false);
    expect(diff.inconclusive).toEqual([{ path: '$.meta', change: 'changed', primary: 'aaaa0001', shadow: 'aaaa1001' }]);
  });

  it('calls a subtree inconclusive when the only changed leaf the records list under it is ignored', () => {
    const diff = compare(
      truncatedPair(
        { '$.meta': 'aaaa1001' },
        { primary: { '$.meta.generatedAt': '00000002' }, shadow: { '$.meta.generatedAt': '00000003' } },
      ),
      ignoring(['$.meta.generatedAt']),
    );
    expect(diff).toMatchObject({ diverged: false, fields: [], ignoredFields: 1 });
    expect(diff.inconclusive?.map((f) => f.path)).toEqual(['$.meta']);
  });

  it('applies an index glob to the ranges that hold that index only', () => {
    const diff = compare(
      truncatedPair({ '$.results[0..35]': 'bbbb1001', '$.results[36..71]': 'bbbb1002', '$.results': 'bbbb10ff' }),
      ignoring(['$.results[40].debug']),
    );
    expect(diff.fields.map((f) => f.path)).toEqual(['$.results[0..35]']);
    expect(diff.inconclusive?.map((f) => f.path)).toEqual(['$.results[36..71]']);
    expect(diff.diverged).toBe(true);
  });

  it('applies [*], * and ** globs, and report-row globs, to ranges and groups', () => {
    const changed = truncatedPair({ '$.results[0..35]': 'bbbb1001', '$.results': 'bbbb10ff', [ROOT_SHARE]: 'aaaa1002' });
    expect(compare(changed, ignoring(['$.results[*].score', '$.generatedAt'])).inconclusive?.map((f) => f.path)).toEqual([
      ROOT_SHARE,
      '$.results[0..35]',
    ]);
    expect(compare(changed, ignoring(['$.results[*]', '$.*'])).ignoredFields).toBe(2);
    expect(compare(changed, ignoring(['**.score'])).diverged).toBe(false);
    expect(compare(changed, ignoring(['$.results[99].x'])).fields.map((f) => f.path)).toEqual([ROOT_SHARE, '$.results[0..35]']);
    // a group's scalar members are not named: a glob on any top-level key may match one of them
    expect(compare(changed, ignoring(['$.other'])).inconclusive?.map((f) => f.path)).toEqual([ROOT_SHARE]);
  });

  it('tells covered, reaches and none apart', () => {
    const reach = (glob: string, name: string) => globReach([globTokens(glob)], [name]);
    expect(reach('$.a', '$.a.b[0..9]')).toBe('covered');
    expect(reach('$.a.b[*]', '$.a.b[0..9]')).toBe('covered');
    expect(reach('$.a.b[3]', '$.a.b[0..9]')).toBe('reaches');
    expect(reach('$.a.b[30]', '$.a.b[0..9]')).toBe('none');
    expect(reach('$.a.b[3]', '$.a.b[3]')).toBe('covered');
    expect(reach('$.a.b[*].c', '$.a.b[0..9]')).toBe('reaches');
    expect(reach('$.a.x', '$.a{1/4}')).toBe('reaches');
    expect(reach('$.b.x', '$.a{1/4}')).toBe('none');
    expect(reach('$.a.x.y', '$.a{1/4}')).toBe('none');
    expect(reach('$.a.*', '$.a{1/4}')).toBe('covered');
    expect(reach('$.a.*', '$.a{0..4}')).toBe('covered');
    expect(reach('$.a*', '$.abc')).toBe('covered');
    expect(reach('$.ab', '$.abc')).toBe('none');
    expect(reach('$.abcd', '$.abc')).toBe('none');
    expect(reach('$.abc.d', '$.abc')).toBe('reaches');
    expect(reach('**.ts', '$.x[0..3]')).toBe('reaches');
  });
});

describe('subtree names', () => {
  it('parses ranges, groups and quoted keys', () => {
    expect(parseSubtreePath('$.a["k\\"]"][3..9]')).toEqual([
      { kind: 'key', text: '.a' },
      { kind: 'key', text: '["k\\"]"]' },
      { kind: 'index', text: '[3..9]', first: 3, last: 9 },
    ]);
    expect(parseSubtreePath('$.a{3/8}')?.at(-1)).toEqual({ kind: 'group', text: '{3/8}' });
    expect(parseSubtreePath('$.a{0..4}')?.at(-1)).toEqual({ kind: 'group', text: '{0..4}' });
    expect(parseSubtreePath('$.a{0/4}.b')).toBeNull();
    expect(parseSubtreePath('a')).toBeNull();
  });

  it('gives a range or a group the report row of its items', () => {
    const rows = FieldRows.INDICES_ONLY;
    expect(rows.row('$.results[0..35]')).toBe('$.results[*]');
    expect(rows.row('$.results[73].segments')).toBe('$.results[*].segments');
    expect(rows.row('$.results[73]{1/4}')).toBe('$.results[*]{*}');
    expect(rows.row('$.prices{0..9}')).toBe('$.prices{*}');
    expect(rows.row('$.a[1.5]')).toBe('$.a[1.5]');
  });
});
