// inSlices gives every piece of sliced work one budget per turn of the event loop, shared: with
// several batches in flight, a turn runs a slice of one of them, not one of each (which added up
// to tens of milliseconds per turn). Asserted on the order of steps and turns, not on time.
import { describe, expect, it } from 'vitest';
import { inSlices, SLICE_MS, toEnd, type Sliced } from '../../collector/timeSlices.js';

/** Steps that each take a whole slice: every step spends the turn's budget by itself. */
function* wholeSlices(name: string, steps: number, log: string[]): Sliced<string> {
  for (let step = 1; step <= steps; step++) {
    const started = performance.now();
    while (performance.now() - started < SLICE_MS) {
      // busy: a record that takes the whole slice
    }
    log.push(`${name}${step}`);
    yield;
  }
  return name;
}

/** Logs 'turn' once per turn of the event loop until stopped. */
function turns(log: string[]): () => void {
  let stopped = false;
  const turn = (): void => {
    if (stopped) return;
    log.push('turn');
    setImmediate(turn);
  };
  setImmediate(turn);
  return () => {
    stopped = true;
  };
}

describe('inSlices', () => {
  it('runs one slice per turn of the event loop across all the work in flight, taking turns in order', async () => {
    await new Promise(setImmediate);
    const log: string[] = [];
    const stop = turns(log);
    const done = await Promise.all([
      inSlices(wholeSlices('a', 3, log)),
      inSlices(wholeSlices('b', 3, log)),
      inSlices(wholeSlices('c', 2, log)),
    ]);
    stop();
    expect(done).toEqual(['a', 'b', 'c']);
    const steps = log.filter((entry) => entry !== 'turn');
    // Resumed in the order they gave their turn away: a ran its first slice before b and c came
    // (and waited), then each after the others.
    expect(steps).toEqual(['a1', 'a2', 'b1', 'c1', 'a3', 'b2', 'c2', 'b3']);
    // Never two slices in one turn.
    const together = log.flatMap((entry, index) =>
      entry !== 'turn' && log[index + 1] !== undefined && log[index + 1] !== 'turn' ? [entry] : [],
    );
    expect(together).toEqual([]);
  });

  it('gives the result toEnd gives; work that comes while others wait runs after them', async () => {
    const log: string[] = [];
    const first = inSlices(wholeSlices('x', 2, log));
    const second = inSlices(wholeSlices('y', 1, log));
    expect([await first, await second]).toEqual([toEnd(wholeSlices('x', 2, [])), toEnd(wholeSlices('y', 1, []))]);
    expect(log).toEqual(['x1', 'x2', 'y1']);
  });
});
