// A join worker's last step age: it grows until the worker steps (or has nothing assigned), and
// past the bound a worker with partitions assigned is stalled, naming them and the setting; the
// default bound follows the session timeout.

import { describe, expect, it } from 'vitest';
import { joinStallMs, REBALANCE_TIMEOUT_MS, StepAge } from '../../../collector/kafka/stepAge.js';

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let ms = 5_000;
  return {
    now: () => ms,
    advance(by) {
      ms += by;
    },
  };
}

describe('StepAge', () => {
  it('counts from its creation, and again from each step', () => {
    const clock = manualClock();
    const age = new StepAge(clock.now, 30_000);
    expect(age.seconds).toBe(0);
    clock.advance(1_500);
    expect(age.seconds).toBe(1.5);
    age.stepped();
    expect(age.seconds).toBe(0);
    clock.advance(250);
    expect(age.seconds).toBe(0.25);
  });

  it('is stalled only past the bound and only with partitions assigned', () => {
    const clock = manualClock();
    const age = new StepAge(clock.now, 30_000);
    clock.advance(30_000);
    expect(age.stall([0, 2])).toBeNull();
    clock.advance(1);
    expect(age.stall([])).toBeNull();
    expect(age.stall([0, 2])).toBe(
      'the join worker has not stepped for 30.0 s with legs partitions [0, 2] assigned (kafka.joinStallMs: 30000 ms): their legs are not being judged',
    );
    age.stepped();
    expect(age.stall([0, 2])).toBeNull();
  });

  it('takes kafka.joinStallMs, or twice the session timeout plus the rebalance timeout', () => {
    expect(joinStallMs({ sessionTimeoutMs: 10_000 })).toBe(2 * 10_000 + REBALANCE_TIMEOUT_MS);
    expect(joinStallMs({ sessionTimeoutMs: 6_000 })).toBe(32_000);
    expect(joinStallMs({ sessionTimeoutMs: 10_000, joinStallMs: 12_000 })).toBe(12_000);
  });
});
