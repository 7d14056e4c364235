// The same JSON spelled differently, through a real Envoy and the filter's default configuration,
// into the real collector: the shadow answers each document with its keys in another order (deep
// objects too), other whitespace, `\u` escapes instead of literal UTF-8, or numbers spelled
// `8.50` for `8.5` — one way at a time, then all four at once — and every such pair is equal:
// for a document within the leaf budget (decided by its leaves), one far beyond it (by its subtree
// digest) and both gzip-encoded. The control: the shadow's answer spelled all four ways *and* one
// value changed is found, and named, in each of them.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PairView, RouteReport } from '../../collector/types.js';
import { comparedStackPerBlock } from '../support/comparedStack.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Spelling {
  keyOrder?: boolean;
  whitespace?: boolean;
  escapes?: boolean;
  numbers?: boolean;
}

/** Request n's shadow answer: n 1–4 one spelling each, 5 all of them, 6 all of them and a changed value. */
const SPELLINGS: ReadonlyArray<{ name: string; spelling: Spelling }> = [
  { name: 'key order', spelling: { keyOrder: true } },
  { name: 'whitespace', spelling: { whitespace: true } },
  { name: '\\u escapes', spelling: { escapes: true } },
  { name: 'number spelling', spelling: { numbers: true } },
  { name: 'all four', spelling: { keyOrder: true, whitespace: true, escapes: true, numbers: true } },
];
const CHANGED = SPELLINGS.length + 1;
const ALL_FOUR = SPELLINGS.at(-1)!.spelling;

/** Writes `value` as JSON the way `spelling` says; with no spelling, exactly as JSON.stringify does. */
function spell(value: Json, spelling: Spelling, depth = 0): string {
  const gap = spelling.whitespace ? `\r\n${'\t'.repeat(depth + 1)}` : '';
  const close = spelling.whitespace ? `\r\n${'\t'.repeat(depth)}` : '';
  if (typeof value === 'string') return spellString(value, spelling);
  if (typeof value === 'number') return spellNumber(value, spelling);
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((item) => gap + spell(item, spelling, depth + 1)).join(spelling.whitespace ? ' ,' : ',')}${close}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  if (spelling.keyOrder) entries.reverse();
  const colon = spelling.whitespace ? ' :\t' : ':';
  const members = entries.map(([key, member]) => `${gap}${spellString(key, spelling)}${colon}${spell(member, spelling, depth + 1)}`);
  return `{${members.join(',')}${close}}`;
}

/** Escapes: every non-ASCII character as `\uXXXX` (surrogate pairs for the emoji), and every `e` as `\u0065`. */
function spellString(text: string, spelling: Spelling): string {
  const json = JSON.stringify(text);
  if (!spelling.escapes) return json;
  return json.replaceAll('e', '\\u0065').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Numbers: `8.5` as `8.50`, `3` as `3.0` (the documents hold no exponents). */
function spellNumber(n: number, spelling: Spelling): string {
  const json = JSON.stringify(n);
  if (!spelling.numbers) return json;
  return Number.isInteger(n) ? `${json}.0` : `${json}0`;
}

/** 84 leaves (within the default maxFields of 256), with text in several scripts and decimal prices. */
function smallDocument(changed: boolean): Json {
  return {
    order: 1042,
    placed: '2026-03-01T10:00:00Z',
    shop: { name: 'Café Müller', city: changed ? 'Zurich' : 'Zürich', größe: 'XL', note: 'naïve “quoted” — 😀' },
    totals: { net: 8.5, vat: 0.65, gross: 9.15, currency: 'EUR', paid: true, voucher: null },
    items: Array.from({ length: 12 }, (_, i) => ({
      sku: `sku-${i}`,
      name: `Crème brûlée ${i}`,
      qty: 1 + (i % 3),
      price: (250 + i * 5) / 100,
      tags: ['dessert', i % 2 === 0 ? 'süß' : 'sweet'],
    })),
  };
}

/** The leaves of one of largeDocument's results. */
const LEAVES_PER_RESULT = 14;

/** 2,103 leaves (far beyond the leaf budget), objects nested three deep in an array of 150. */
function largeDocument(changed: boolean): Json {
  return {
    meta: { page: 3, currency: 'CHF', source: 'Fahrplan Zürich → Genève' },
    results: Array.from({ length: 150 }, (_, i) => ({
      id: 5_000 + i,
      title: `Fahrt ${i} über Bern`,
      minutes: 170 + (i % 40),
      fare: { amount: (850 + (i % 7) * 5) / 100, currency: 'CHF', class: i % 3 === 0 ? 'première' : 'second' },
      stops: Array.from({ length: 3 }, (_, s) => ({
        name: changed && i === 97 && s === 1 ? 'Lausanne' : `Halt ${s} — Genève`,
        at: 10.5 + s,
      })),
      flags: { accessible: i % 2 === 0, bikes: i % 5 === 0 },
    })),
  };
}

const DOCUMENTS = { small: smallDocument, large: largeDocument };
type DocumentKind = keyof typeof DOCUMENTS;

/** `/<kind>/<n>` or `/<kind>-gzip/<n>`: the primary answers the document as JSON.stringify writes it, the shadow spelled as request n says. */
function answer(leg: 'primary' | 'shadow') {
  return (request: RecordedRequest): StubResponse => {
    const [, route = '', n = ''] = request.path.split('/');
    const kind = route.replace('-gzip', '') as DocumentKind;
    const number = Number(n);
    const document = DOCUMENTS[kind](leg === 'shadow' && number === CHANGED);
    const spelling = number === CHANGED ? ALL_FOUR : SPELLINGS[number - 1]!.spelling;
    const spelled = spell(document, spelling);
    const text = leg === 'primary' ? JSON.stringify(document) : spelling.whitespace ? ` \t${spelled}\r\n ` : spelled;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!route.endsWith('-gzip')) return { headers, body: text, chunkBytes: 977 };
    headers['content-encoding'] = 'gzip';
    // compressed differently on each leg, so that even the spelled-alike bytes differ
    return { headers, body: zlib.gzipSync(text, { level: leg === 'primary' ? 9 : 1 }), chunkBytes: 977 };
  };
}

const ROUTES = ['small', 'large', 'small-gzip', 'large-gzip'] as const;
const PATHS = ROUTES.flatMap((route) => Array.from({ length: CHANGED }, (_, i) => `/${route}/${i + 1}`));

describe('the same JSON spelled differently, through a real Envoy', () => {
  const compared = comparedStackPerBlock({ primaryHandler: answer('primary'), shadowHandler: answer('shadow'), paths: PATHS });

  async function routeOf(route: (typeof ROUTES)[number]): Promise<RouteReport> {
    const report = await compared().joined();
    expect(report.totals.rejectedRecords).toBe(0);
    const found = report.routes.find((candidate) => candidate.route === `GET /${route}/{id}`);
    expect(found, `route GET /${route}/{id} in ${report.routes.map((r) => r.route).join(', ')}`).toBeDefined();
    return found!;
  }

  async function pairOf(route: string, n: number): Promise<PairView> {
    const { collector, pairIdOf } = compared();
    const pair = await collector.pair(pairIdOf(`/${route}/${n}`));
    expect(pair?.state, `/${route}/${n}`).toBe('paired');
    return pair!;
  }

  for (const route of ROUTES) {
    const large = route.startsWith('large');
    const gzip = route.endsWith('-gzip');
    const basis = large ? 'subtrees' : 'fields';

    describe(`${large ? 'beyond' : 'within'} the leaf budget${gzip ? ', gzip-encoded' : ''} (${route})`, () => {
      for (const [index, { name }] of SPELLINGS.entries()) {
        it(`compares ${name} equal, by its ${basis}`, async () => {
          await routeOf(route);
          const pair = await pairOf(route, index + 1);
          expect(pair.diff, name).toMatchObject({ diverged: false, basis, fallback: null, kinds: [], fields: [] });
          // not equal bytes: the digest saw two spellings of one document
          expect(pair.diff!.bodyHashDiffers).toBe(true);
          expect(pair.primary!.fieldsTruncated).toBe(large);
          if (gzip) for (const leg of [pair.primary!, pair.shadow!]) expect(leg).toMatchObject({ encoding: 'gzip', decoding: 'ok' });
        });
      }

      it('finds the one changed value though the shadow spelled it all four ways (the control)', async () => {
        const report = await routeOf(route);
        expect(report).toMatchObject({ pairs: CHANGED, diverged: 1, structurallyCompared: CHANGED });
        expect(report.kinds).toMatchObject({ field: 1, body: 0 });
        expect(report.bodyFallback.pairs).toBe(0);
        const pair = await pairOf(route, CHANGED);
        expect(pair.diff).toMatchObject({ diverged: true, basis, kinds: ['field'] });
        const paths = pair.diff!.fields.map((field) => field.path);
        if (large) {
          // localised to the run of results holding results[97].stops[1].name, at most the budget's leaves
          expect(paths).toHaveLength(1);
          const [, first, last] = /^\$\.results\[(\d+)\.\.(\d+)\]$/.exec(paths[0]!) ?? [];
          expect(Number(first), paths[0]).toBeLessThanOrEqual(97);
          expect(Number(last), paths[0]).toBeGreaterThanOrEqual(97);
          expect((Number(last) - Number(first) + 1) * LEAVES_PER_RESULT).toBeLessThanOrEqual(256);
          expect(report.fields.map((field) => field.path)).toEqual(['$.results[*]']);
        } else {
          expect(paths).toEqual(['$.shop.city']);
          expect(report.fields.map((field) => field.path)).toEqual(['$.shop.city']);
        }
        expect(report.fields.map((field) => field.divergentPairs)).toEqual([1]);
      });
    });
  }
});
