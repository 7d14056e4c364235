// Client traffic whose every response byte is checked: the proof that a fault behind the proxy
// (collector, shadow service, filter) changed nothing a client sees.
import type { Stack } from '../support/shadowdiffStack.js';
import type { UpstreamHandler } from '../support/upstream.js';

/** Leaf fields per body: enough that each digest record is ~14 KB, so an unbounded queue would show in memory. */
const LEAVES = 200;

/**
 * A JSON body unique to `path`, with LEAVES long-named leaf fields: the filter digests every
 * field, which makes its export records large.
 */
export function wideJsonBody(path: string): string {
  const lineItems = Array.from({ length: LEAVES / 4 }, (_, index) => ({
    warehouseLocationCode: `${path}#${index}`,
    quantityReservedForOrder: index,
    unitPriceIncludingTaxes: (index * 7.25).toFixed(2),
    estimatedDeliveryWindow: { start: index, end: index + 3 },
  }));
  return JSON.stringify({ path, lineItems });
}

/** The primary (and a healthy shadow): the wide JSON body of the requested path. */
export const wideJsonService: UpstreamHandler = (request) => ({
  headers: { 'content-type': 'application/json', 'x-served-by': 'primary' },
  body: wideJsonBody(request.path),
});

/** Headers that put a request in the `always` cohort (100% mirrored in these suites). */
export function mirroredRequestHeaders(path: string): Record<string, string> {
  return { 'x-cohort': 'always', 'x-user-id': `user-${path}` };
}

/**
 * Sends a request for each path (at most `concurrency` at a time) and returns a description of
 * every response that was not exactly the primary's: status, the primary's header, and the body.
 */
export async function sendChecked(stack: Stack, paths: readonly string[], concurrency = 16): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      try {
        const response = await stack.send(path, mirroredRequestHeaders(path));
        const body = await response.text();
        if (response.status !== 200) problems.push(`${path}: status ${response.status}`);
        else if (response.headers.get('x-served-by') !== 'primary')
          problems.push(`${path}: x-served-by ${response.headers.get('x-served-by')}`);
        else if (body !== wideJsonBody(path)) problems.push(`${path}: body differs (${body.length} bytes)`);
      } catch (error) {
        problems.push(`${path}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return problems;
}

/** `count` distinct paths under `prefix`. */
export function pathsOf(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}/${index}`);
}
