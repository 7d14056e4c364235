// Memory readings taken at a fixed period while a soak runs, and the comparison a soak asserts:
// after warm-up, the second half of the run against the first. Growth that continues past the
// point where every cache and cap has filled is what a leak looks like.

export interface MemorySample {
  /** Milliseconds since sampling started. */
  atMs: number;
  bytes: Record<string, number>;
}

export interface MemorySampler {
  /** Stops sampling and returns every sample taken, the last one taken at the time of the call. */
  stop(): Promise<MemorySample[]>;
}

/** Calls `read` now and every `periodMs` until stopped. A failed reading fails the soak at stop(). */
export function sampleMemory(periodMs: number, read: () => Promise<Record<string, number>>): MemorySampler {
  const start = Date.now();
  const samples: MemorySample[] = [];
  let failure: unknown;
  const take = async (): Promise<void> => {
    try {
      samples.push({ atMs: Date.now() - start, bytes: await read() });
    } catch (error) {
      failure ??= error;
    }
  };
  let pending = take();
  const timer = setInterval(() => {
    pending = pending.then(take);
  }, periodMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await pending;
      await take();
      if (failure !== undefined) throw failure;
      return samples;
    },
  };
}

/**
 * How a reading summarises a half: `median` for memory that moves little (RSS), `floor` for a
 * garbage-collected heap, whose samples swing with allocation between collections while what is
 * retained shows in the lowest reading.
 */
export type Summary = 'median' | 'floor';

export interface HalvesComparison {
  first: number;
  second: number;
  growth: number;
}

/** `key` summarised over the samples after `warmUpMs`, first half against second half. */
export function compareHalves(samples: readonly MemorySample[], key: string, warmUpMs: number, summary: Summary): HalvesComparison {
  const steady = samples.filter((sample) => sample.atMs >= warmUpMs).map((sample) => sample.bytes[key]);
  if (steady.some((value) => value === undefined) || steady.length < 4) {
    throw new Error(`need at least 4 readings of ${key} after ${warmUpMs} ms, got ${JSON.stringify(steady)}`);
  }
  const values = steady as number[];
  const middle = Math.floor(values.length / 2);
  const first = summarise(values.slice(0, middle), summary);
  const second = summarise(values.slice(values.length - middle), summary);
  return { first, second, growth: second - first };
}

function summarise(values: number[], summary: Summary): number {
  const sorted = [...values].sort((a, b) => a - b);
  return summary === 'floor' ? sorted[0]! : sorted[Math.floor(sorted.length / 2)]!;
}
