import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The shared JSON corpus beside the project; read in place, never copied into the repository. */
export const CORPUS_DIR = resolve(import.meta.dirname, '../../shared/corpus/json');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON response body the benchmark serves and digests. */
export interface CutDocument {
  /** e.g. "1k": also the served file name (`/1k.json`). */
  name: string;
  source: string;
  bytes: Buffer;
}

/** Target sizes of the served documents, and the corpus file each is cut from (one shape per size). */
const CUTS = [
  { name: '1k', targetBytes: 1024, source: 'amazon_cellphones.ndjson' },
  { name: '16k', targetBytes: 16 * 1024, source: 'twitter.json' },
  { name: '64k', targetBytes: 64 * 1024, source: 'citm_catalog.json' },
] as const;

export type CutName = (typeof CUTS)[number]['name'];
export const CUT_NAMES: readonly CutName[] = CUTS.map((cut) => cut.name);

function readCorpus(file: string): string {
  const path = resolve(CORPUS_DIR, file);
  if (!existsSync(path)) throw new Error(`corpus file ${path} is missing (the benchmark expects ../shared/ beside the project)`);
  return readFileSync(path, 'utf8');
}

/** The ndjson file is a header row of field names and then one array per product: an API's product list. */
function productList(ndjson: string): Json {
  const [header, ...rows] = ndjson
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json[]);
  if (header === undefined) throw new Error('amazon_cellphones.ndjson is empty');
  const names = header.map(String);
  return { products: rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i] ?? null]))) };
}

export function parseCorpus(file: string): Json {
  const text = readCorpus(file);
  return file.endsWith('.ndjson') ? productList(text) : (JSON.parse(text) as Json);
}

/**
 * The longest prefix of `value`, in document order, whose minified JSON fits in `budget` bytes: whole
 * members and items while they fit, then a cut of the first one that does not, then nothing.
 * Returns undefined when not even an empty container fits.
 */
function cutToFit(value: Json, budget: number): Json | undefined {
  const size = (v: Json): number => Buffer.byteLength(JSON.stringify(v));
  if (size(value) <= budget) return value;
  if (typeof value === 'string') {
    // Drop characters (not bytes, so no code point is split) until the quoted string fits.
    let cut = value.slice(0, Math.max(0, budget - 2));
    while (cut.length > 0 && size(cut) > budget) cut = cut.slice(0, -1);
    return size(cut) <= budget ? cut : undefined;
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const room = budget - size(out) - (out.length > 0 ? 1 : 0);
      const fitted = cutToFit(item, room);
      if (fitted === undefined) break;
      out.push(fitted);
      if (fitted !== item) break;
    }
    return size(out) <= budget ? out : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) {
      const room = budget - size(out) - Buffer.byteLength(JSON.stringify(key)) - 1 - (Object.keys(out).length > 0 ? 1 : 0);
      const fitted = cutToFit(item, room);
      if (fitted === undefined) break;
      out[key] = fitted;
      if (fitted !== item) break;
    }
    return size(out) <= budget ? out : undefined;
  }
  return undefined;
}

/**
 * The served documents, cut at run time from the corpus. Parsing and re-serialising minifies them
 * (as most APIs send JSON) and rounds integers beyond 2^53 (twitter ids); they stay valid JSON.
 */
export function cutDocuments(): CutDocument[] {
  return CUTS.map(({ name, targetBytes, source }) => {
    const cut = cutToFit(parseCorpus(source), targetBytes);
    if (cut === undefined) throw new Error(`cannot cut ${source} to ${targetBytes} bytes`);
    return { name, source, bytes: Buffer.from(JSON.stringify(cut)) };
  });
}

/** Whole corpus documents, for the digest engine's throughput beside JSON.parse (the ndjson file is not one document). */
export function wholeCorpusDocuments(): CutDocument[] {
  return ['twitter.json', 'citm_catalog.json'].map((source) => ({
    name: source.replace(/\.json$/, ''),
    source,
    bytes: Buffer.from(readCorpus(source)),
  }));
}
