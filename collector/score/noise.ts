// Flags fields that look like noise (timestamps, generated ids, host names): they differ in almost
// every pair AND either their values rarely repeat or their name says they are volatile. Such
// fields are flagged with the reason and an ignore rule to copy, never hidden: a field that
// differs everywhere can also be a real regression.

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
  /** distinct primary values among the first VALUE_SAMPLE_SIZE differing pairs */
  valueSample: readonly number[];
  valueSamples: number;
}

export interface NoiseSettings {
  threshold: number;
  minPairs: number;
}

/** Adds one observed value hash (8 hex) to a field's sample; cheap and bounded. */
export function sampleValue(evidence: { valueSample: number[]; valueSamples: number }, hash: string): void {
  if (evidence.valueSamples >= VALUE_SAMPLE_SIZE) return;
  evidence.valueSamples++;
  const value = Number.parseInt(hash, 16);
  if (!evidence.valueSample.includes(value)) evidence.valueSample.push(value);
}

/** The reason a field is likely noise, or null. `comparedPairs` is the rate's denominator. */
export function noiseReason(evidence: NoiseEvidence, comparedPairs: number, settings: NoiseSettings): string | null {
  if (comparedPairs < settings.minPairs || comparedPairs === 0) return null;
  const rate = evidence.divergentPairs / comparedPairs;
  if (rate < settings.threshold) return null;
  const share = `differs in ${(rate * 100).toFixed(1)}% of compared pairs`;
  const distinct = evidence.valueSample.length;
  if (evidence.valueSamples >= MIN_VALUE_SAMPLES && distinct >= evidence.valueSamples * DISTINCT_SHARE) {
    return `${share} and its values rarely repeat (${distinct} of ${evidence.valueSamples} sampled values distinct)`;
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
