// A check of a large batch (1,024 records of 4,096 fields at most) runs for tens of milliseconds;
// written as a generator that yields after each record, it either runs to its end (check) or lets
// the event loop turn whenever a slice has taken SLICE_MS (checkInSlices), so a batch being
// validated and decoded never holds up the requests behind it for more than a slice. One
// implementation, two drivers.

/** A check in progress: yields between records, returns its verdict. */
export type Checking<T> = Generator<void, T, void>;

/** How long one turn of the event loop may spend checking before it lets others run. */
export const SLICE_MS = 2;

export function toEnd<T>(checking: Checking<T>): T {
  for (;;) {
    const step = checking.next();
    if (step.done === true) return step.value;
  }
}

export async function inSlices<T>(checking: Checking<T>): Promise<T> {
  let sliceStarted = performance.now();
  for (;;) {
    const step = checking.next();
    if (step.done === true) return step.value;
    if (performance.now() - sliceStarted >= SLICE_MS) {
      await new Promise(setImmediate);
      sliceStarted = performance.now();
    }
  }
}
