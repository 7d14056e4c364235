// Checking a large batch (1,024 records of 4,096 fields at most), or joining and scoring it, runs
// for tens of milliseconds. Written as a generator that yields after each record, the work either
// runs to its end (toEnd: tests, a restart's replay) or lets the event loop turn whenever a slice
// has taken SLICE_MS (inSlices: the ingest route), so a batch never holds up the requests behind
// it for more than a slice. One implementation, two drivers.

/** Work in progress: yields between records, returns its result. */
export type Sliced<T> = Generator<void, T, void>;

/** How long one turn of the event loop may spend on one batch before it lets others run. */
export const SLICE_MS = 2;

export function toEnd<T>(work: Sliced<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
  }
}

/** `endOfSlice` runs before each turn given away (the store posts the slice's rows there). */
export async function inSlices<T>(work: Sliced<T>, endOfSlice?: () => void): Promise<T> {
  let sliceStarted = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
    if (performance.now() - sliceStarted >= SLICE_MS) {
      endOfSlice?.();
      await new Promise(setImmediate);
      sliceStarted = performance.now();
    }
  }
}
