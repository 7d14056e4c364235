/**
 * Runs `measure` for every variant `runs` times, alternating them in ABBA order (A B C, C B A, A B C…)
 * so that load from whatever else runs on the machine, and any drift over the session, falls on
 * every variant alike.
 */
export async function alternate<V extends string, R>(
  variants: readonly V[],
  runs: number,
  measure: (variant: V, run: number) => Promise<R>,
): Promise<Map<V, R[]>> {
  const results = new Map<V, R[]>(variants.map((variant) => [variant, []]));
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) results.get(variant)?.push(await measure(variant, run));
  }
  return results;
}
