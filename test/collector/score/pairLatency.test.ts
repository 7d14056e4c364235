import { describe, expect, it } from 'vitest';
import { pairLatency } from '../../../collector/score/pairLatency.js';
import { legs } from '../fixtures.js';

describe('pairLatency', () => {
  it('times both legs by upstreamUs when both have it', () => {
    const [primary, shadow] = legs('a', { lastByteUs: 90_000, upstreamUs: 20_000 }, { lastByteUs: 30_000, upstreamUs: 25_000 });
    expect(pairLatency({ ...primary, upstreamUs: 21_000 }, shadow)).toEqual({ primaryUs: 21_000, shadowUs: 20_000 });
  });

  it('times both legs by lastByteUs when either lacks it, never one span against the other', () => {
    const [primary, shadow] = legs('a', { lastByteUs: 90_000, upstreamUs: 20_000 }, { lastByteUs: 30_000 });
    expect(pairLatency(primary, shadow)).toEqual({ primaryUs: 30_000, shadowUs: 90_000 });
    const { upstreamUs: _dropped, ...shadowWithout } = shadow;
    expect(pairLatency({ ...primary, upstreamUs: 1_000 }, shadowWithout)).toEqual({ primaryUs: 30_000, shadowUs: 90_000 });
  });
});
