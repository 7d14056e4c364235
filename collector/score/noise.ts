// Flags fields that look like noise (timestamps, generated ids, host names): they differ in almost
// every pair AND either their values rarely repeat or their name says they are volatile. Such
// fields are flagged with the reason and an ignore rule to copy, never hidden: a field that
// differs everywhere can also be a real regression. Whether values repeat is judged on the
// field's differing pairs of smallest id hash (bottomK.ts), not its first ones, so it is a
// function of the pairs counted, whatever their order.

import { keepInSample, spacedKeys } from './bottomK.js';

/** How many primary values of a field are sampled to judge whether values repeat. */
export const VALUE_SAMPLE_SIZE = 16;
/** Fewer samples than this say nothing about repetition. */
const MIN_VALUE_SAMPLES = 8;
const DISTINCT_SHARE = 0.9;

const VOLATILE_WORDS = new Set([
  'time',
  'timestamp',
  'ts',
  'date',
  'datetime',
  'created',
  'updated',
  'modified',
  'generated',
  'expires',
  'expiry',
  'expiration',
  'now',
  'nonce',
  'trace',
  'span',
  'etag',
  'served',
  'host',
  'hostname',
  'pod',
  'instance',
  'server',
  'node',
  'took',
  'elapsed',
  'duration',
  'latency',
  'uptime',
]);

/** What noise assessment needs to know about one field of one route. */
export interface NoiseEvidence {
  path: string;
  divergentPairs: number;
  /** the primary value (hash) of each sampled differing pair: at most VALUE_SAMPLE_SIZE, repeats kept */
  valueSample: readonly number[];
}

/** A field's value sample: the values of its differing pairs of smallest key (idHash of the id), by key. */
export interface ValueSample {
  valueSample: number[];
  valueKeys: number[];
}

export interface NoiseSettings {
  threshold: number;
  minPairs: number;
}

/** Offers one differing pair's value hash (8 hex); `key`: idHash of its correlation id. Cheap and bounded. */
export function sampleValue(sample: ValueSample, hash: string, key: number): void {
  keepValue(sample, key, Number.parseInt(hash, 16));
}

/** Adds `from`'s sample to `into`'s: the smallest keys of both. */
export function mergeValueSample(into: ValueSample, from: ValueSample): void {
  from.valueSample.forEach((value, i) => keepValue(into, from.valueKeys[i]!, value));
}

/**
 * A sample as a snapshot of a release that kept the first pairs' distinct values holds it
 * (`valueSamples` pairs, `valueSample` distinct): the distinct values and as many repeats of the
 * first as make up the count, so the judgement reads the same; with keys spaced as a bottom-k
 * sample of the field's `pairs` would be (bottomK.ts).
 */
export function restoredValueSample(
  snapshot: { valueSample: number[]; valueKeys?: number[] | undefined; valueSamples?: number | undefined },
  pairs: number,
): ValueSample {
  if (snapshot.valueKeys !== undefined && snapshot.valueKeys.length === snapshot.valueSample.length)
    return { valueSample: [...snapshot.valueSample], valueKeys: [...snapshot.valueKeys] };
  const values = [...snapshot.valueSample];
  const first = values[0];
  if (first !== undefined) while (values.length < Math.min(VALUE_SAMPLE_SIZE, snapshot.valueSamples ?? 0)) values.push(first);
  return { valueSample: values, valueKeys: spacedKeys(values.length, pairs) };
}

function keepValue({ valueSample, valueKeys }: ValueSample, key: number, value: number): void {
  keepInSample(valueKeys, valueSample, VALUE_SAMPLE_SIZE, key, value, (kept, offered) => kept - offered);
}

/** The reason a field is likely noise, or null. `comparedPairs` is the rate's denominator. */
export function noiseReason(evidence: NoiseEvidence, comparedPairs: number, settings: NoiseSettings): string | null {
  if (comparedPairs < settings.minPairs || comparedPairs === 0) return null;
  const rate = evidence.divergentPairs / comparedPairs;
  if (rate < settings.threshold) return null;
  const share = `differs in ${(rate * 100).toFixed(1)}% of compared pairs`;
  const samples = evidence.valueSample.length;
  const distinct = new Set(evidence.valueSample).size;
  if (samples >= MIN_VALUE_SAMPLES && distinct >= samples * DISTINCT_SHARE) {
    return `${share} and its values rarely repeat (${distinct} of ${samples} sampled values distinct)`;
  }
  const word = volatileWord(evidence.path);
  if (word !== null) return `${share} and its name looks volatile ("${word}")`;
  return null;
}

/** The first word of the last key of `path` that suggests a volatile value, e.g. `generatedAt` -> "generated". */
export function volatileWord(path: string): string | null {
  const key = lastKey(path);
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  for (const word of words) if (VOLATILE_WORDS.has(word)) return word;
  return null;
}

function lastKey(path: string): string {
  const trimmed = path.replace(/(\[\*\]|\[\d+\])+$/, '');
  const quoted = /\["((?:[^"\\]|\\.)*)"\]$/.exec(trimmed);
  if (quoted !== null) return quoted[1] ?? '';
  const dot = trimmed.lastIndexOf('.');
  return dot < 0 ? trimmed : trimmed.slice(dot + 1);
}
