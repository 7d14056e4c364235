// How long ago a join worker last stepped on its partitions, and whether that makes it stalled.
// A worker whose loop stops for any reason (a client call that never answers, a membership the
// client silently gave up, a bug) keeps its partitions, its last healthy status and its last lag:
// only the age of its last step shows it. Pure: the clock is injected (milliseconds, monotonic).

import type { KafkaConfig } from '../configSchema.js';

/** How long the group coordinator waits for every member to join a rebalance (the join worker's consumer setting). */
export const REBALANCE_TIMEOUT_MS = 20_000;

/**
 * The longest a join worker with partitions assigned may go without a step before it counts as
 * stalled: `kafka.joinStallMs`, or by default twice the session timeout plus the rebalance
 * timeout. A worker that recovers as it should stays below that: fenced by a rebalance it waits up
 * to a session timeout before it joins again by itself, the join may wait the rebalance timeout
 * for the other members, and the rebuild that follows gets one more session timeout.
 */
export function joinStallMs(kafka: Pick<KafkaConfig, 'sessionTimeoutMs' | 'joinStallMs'>): number {
  return kafka.joinStallMs ?? 2 * kafka.sessionTimeoutMs + REBALANCE_TIMEOUT_MS;
}

export class StepAge {
  private lastMs: number;

  constructor(
    private readonly now: () => number,
    /** past this, a worker with partitions assigned is stalled */
    readonly stallMs: number,
  ) {
    this.lastMs = now();
  }

  /** The worker stepped on every partition it owns (fetched, and committed what the fetch settled), or has none assigned: it is not behind. */
  stepped(): void {
    this.lastMs = this.now();
  }

  get seconds(): number {
    return (this.now() - this.lastMs) / 1000;
  }

  /** Why a worker with these partitions assigned counts as stalled, or null when it does not. */
  stall(assigned: readonly number[]): string | null {
    const ageMs = this.now() - this.lastMs;
    if (assigned.length === 0 || ageMs <= this.stallMs) return null;
    return (
      `the join worker has not stepped for ${(ageMs / 1000).toFixed(1)} s with legs partitions [${assigned.join(', ')}] assigned ` +
      `(kafka.joinStallMs: ${this.stallMs} ms): their legs are not being judged`
    );
  }
}
