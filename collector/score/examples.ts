// A field's or header's example correlation ids: the latest `max` by resolution time, of equal
// times the greatest id, newest first, with each one's time (and, for a field with value parts,
// both its values, at the same index). Chosen by that total order instead of by arrival, so the
// examples are a function of the pairs counted: two report instances that read the verdicts
// partitions interleaved differently, or a route folded into `other`, keep the same ids. The
// latest are also the ones the pair store still holds (store/pairStore.ts keeps by the same order).

export type ExampleValues = [primary: string | null, shadow: string | null];

export interface Examples {
  /** newest first */
  examples: string[];
  /** when each example resolved (Unix ms); negative for those restored from a ring of a previous release, oldest last */
  exampleTimes: number[];
}

/** A field with value parts has the values of the example at the same index. */
type WithValues = Examples & { exampleValues?: ExampleValues[] };

const NO_VALUES: ExampleValues = [null, null];

/** Keeps `id` (resolved at `atUnixMs`) if it is among the latest `max`; `values` go with it when the tally keeps values. */
export function keepExample(tally: WithValues, id: string, atUnixMs: number, max: number, values: ExampleValues = NO_VALUES): void {
  const { examples, exampleTimes } = tally;
  let slot = 0;
  // Few (report.examplesPerField ≤ 20), newest first: the first older one is where it goes.
  while (slot < examples.length && (exampleTimes[slot]! > atUnixMs || (exampleTimes[slot] === atUnixMs && examples[slot]! >= id))) {
    if (exampleTimes[slot] === atUnixMs && examples[slot] === id) return;
    slot++;
  }
  if (slot >= max) return;
  examples.splice(slot, 0, id);
  exampleTimes.splice(slot, 0, atUnixMs);
  tally.exampleValues?.splice(slot, 0, values);
  if (examples.length > max) {
    examples.pop();
    exampleTimes.pop();
    tally.exampleValues?.pop();
  }
}

/** Adds `from`'s examples to `into`'s: the latest `max` of both. */
export function mergeExamples(into: WithValues, from: WithValues, max: number): void {
  from.examples.forEach((id, i) => keepExample(into, id, from.exampleTimes[i]!, max, from.exampleValues?.[i] ?? NO_VALUES));
}

/** A tally as a snapshot holds its examples: a previous release's ring (write position `nextExample`, no times) or this one's list. */
export interface ExamplesSnapshot {
  examples: string[];
  exampleTimes?: number[] | undefined;
  nextExample?: number | undefined;
  exampleValues?: ExampleValues[] | undefined;
}

/** The examples of a snapshot, newest first with their times; a ring of a previous release gets times -1, -2…: older than any counted since, in its order. */
export function restoredExamples(snapshot: ExamplesSnapshot): WithValues {
  const { examples, exampleTimes, exampleValues } = snapshot;
  if (exampleTimes !== undefined && exampleTimes.length === examples.length) {
    const restored: WithValues = { examples: [...examples], exampleTimes: [...exampleTimes] };
    if (exampleValues !== undefined) restored.exampleValues = examples.map((_, i) => exampleValues[i] ?? NO_VALUES);
    return restored;
  }
  const n = examples.length;
  const next = snapshot.nextExample ?? 0;
  const order = Array.from({ length: n }, (_, i) => (((next - 1 - i) % n) + n) % n);
  const restored: WithValues = { examples: order.map((index) => examples[index] ?? ''), exampleTimes: order.map((_, i) => -1 - i) };
  if (exampleValues !== undefined) restored.exampleValues = order.map((index) => exampleValues[index] ?? NO_VALUES);
  return restored;
}
