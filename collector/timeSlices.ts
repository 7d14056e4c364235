// Checking a large batch (1,024 records of 4,096 fields at most), or joining and scoring it, runs
// for tens of milliseconds. Written as a generator that yields after each record, the work either
// runs to its end (toEnd: tests, a restart's replay) or lets the event loop turn whenever a slice
// has taken SLICE_MS (inSlices: the ingest route), so a batch never holds up the requests behind
// it for more than a slice. One implementation, two drivers.
//
// The slice is one budget per turn of the event loop, shared by every piece of sliced work in the
// process, not one per piece: with 8 batches in flight (each being checked, serialised for the
// store, applied) and a checkpoint's rows, a budget each let one turn run a slice of every one of
// them, 20-70 ms in all (bench line 8). Work that finds this turn's budget spent waits in line and
// is resumed one at a time, in the order it gave its turn away.

/** Work in progress: yields between records, returns its result. */
export type Sliced<T> = Generator<void, T, void>;

/** How long one turn of the event loop may spend on sliced work, all of it together, before others run. */
export const SLICE_MS = 2;

export function toEnd<T>(work: Sliced<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
  }
}

/** Sliced work run since the event loop last turned (ms), by every inSlices together. */
let spentThisTurn = 0;
/** Work waiting for a slice, first come first resumed. */
const waiting: Array<() => void> = [];
let turnScheduled = false;

/** On the loop's next turn (after timers and I/O): a new budget, and the first in line resumes. */
function scheduleTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(() => {
    turnScheduled = false;
    spentThisTurn = 0;
    waiting.shift()?.();
  });
}

function waitForTurn(): Promise<void> {
  return new Promise((resume) => {
    waiting.push(resume);
    scheduleTurn();
  });
}

/** Work that ends with budget left gives the rest to the next in line; the budget is renewed next turn either way. */
function handOver(): void {
  if (spentThisTurn < SLICE_MS) waiting.shift()?.();
  scheduleTurn();
}

/** `endOfSlice` runs before each turn given away (the store posts the slice's rows there). */
export async function inSlices<T>(work: Sliced<T>, endOfSlice?: () => void): Promise<T> {
  // Behind whoever waits already, so that a stream of new work cannot starve it.
  if (spentThisTurn >= SLICE_MS || waiting.length > 0) await waitForTurn();
  let sliceStarted = performance.now();
  try {
    for (;;) {
      const step = work.next();
      if (step.done === true) return step.value;
      if (spentThisTurn + performance.now() - sliceStarted >= SLICE_MS) {
        endOfSlice?.();
        spentThisTurn += performance.now() - sliceStarted;
        await waitForTurn();
        sliceStarted = performance.now();
      }
    }
  } finally {
    spentThisTurn += performance.now() - sliceStarted;
    handOver();
  }
}
