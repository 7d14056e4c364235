import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelay {
  /** the longest delay seen, ms */
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  /** how many times the histogram's timer ran */
  samples: number;
}

/**
 * The delay of this process's event loop while `during` runs (perf_hooks' histogram, sampled
 * every millisecond): what a request arriving then would have waited before it was read.
 */
export async function eventLoopDelayDuring<T>(during: () => Promise<T>): Promise<{ result: T; delay: EventLoopDelay }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    const result = await during();
    histogram.disable();
    const ms = (ns: number): number => ns / 1e6;
    return {
      result,
      delay: {
        maxMs: ms(histogram.max),
        p99Ms: ms(histogram.percentile(99)),
        p50Ms: ms(histogram.percentile(50)),
        samples: histogram.count,
      },
    };
  } finally {
    histogram.disable();
  }
}
