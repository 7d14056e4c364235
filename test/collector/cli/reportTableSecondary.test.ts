// The CLI's tables with secondary legs: coverage, the gate's table, the fields' findings, a
// triple's pair view; and none of it without secondaries.

import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../collector/config.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { GATE_RULE, renderPair, renderReport } from '../../../collector/cli/reportTable.js';
import { FakeClock, legs, noisyTriple } from '../fixtures.js';

/** 20 triples whose `$.meta.at` differs on every leg, 8 of them with a `$.total` only the shadow changes, and one announced secondary that never came. */
function seeded(): { engine: Pipeline; clock: FakeClock } {
  const clock = new FakeClock();
  const engine = new Pipeline(defaultConfig(), clock, new CollectorMetrics({ defaultMetrics: false }));
  for (let n = 0; n < 21; n++) {
    const [primary, shadow, secondary] = noisyTriple(n, n < 8 ? '99999999' : '11111111');
    engine.ingest(n < 20 ? [primary, shadow, secondary] : [primary, shadow]);
  }
  clock.advance(30_000);
  return { engine, clock };
}

describe('reportTable with secondary legs', () => {
  it('prints secondary coverage, the gate counting regressions only, and each field with what the triples prove', () => {
    const text = renderReport(seeded().engine.report(), 'http://127.0.0.1:8090/');
    expect(text).toContain('records   primary 21  shadow 21  secondary 20  duplicates 0');
    expect(text).toContain('secondary triples 20  secondary missing 1  unusable 0  orphaned 0  secondary coverage 95.2%');
    expect(text).toContain(`rollout gate: ${GATE_RULE}`);
    expect(text).toMatch(/GET \/orders\/\{id\} +21 +21 +13 +8 +38\.1%/);
    expect(text).toMatch(
      /\$\.meta\.at .* noise, proven by the secondary: differs between the two primaries in 20 of 20 triples .*; ignore with \$\.meta\.at/,
    );
    expect(text).toMatch(/\$\.total .* regression: the primaries differ in 0 of 20 triples \(0\.0%\), primary and shadow in 38\.1%/);
  });

  it("prints a triple's three legs and what differed between the primaries; a missing secondary says so", () => {
    const { engine } = seeded();
    const text = renderPair(engine.pair('t-0')!);
    expect(text).toMatch(/^secondary +200 +true/m);
    expect(text).toContain('PRIMARY vs SECONDARY: field  (what non-determinism alone made differ)');
    expect(text).toMatch(/\$\.meta\.at +changed +00000000 +00000002/);
    expect(renderPair(engine.pair('t-20')!)).toMatch(/^secondary +\(announced, not received: judged as a pair\)/m);
  });

  it('counts a secondary that is down as unusable, in the coverage line and the gate table, and its pair view says it proves nothing', () => {
    const clock = new FakeClock();
    const engine = new Pipeline(defaultConfig(), clock, new CollectorMetrics({ defaultMetrics: false }));
    const [primary, shadow, secondary] = noisyTriple(0);
    engine.ingest([primary, shadow, { ...secondary, status: 503, json: 'none', fields: {} }]);
    clock.advance(30_000);
    const text = renderReport(engine.report(), 'http://127.0.0.1:8090/');
    expect(text).toContain('secondary triples 0  secondary missing 0  unusable 1  orphaned 0  secondary coverage 0.0%');
    expect(text).toMatch(/GET \/orders\/\{id\} +1 +1 +0 +1 +100\.0% .* +0 +0 +1 +0\.0%/);
    expect(renderPair(engine.pair('t-0')!)).toContain(
      'PRIMARY vs SECONDARY: status_class  (not comparable: another status than the primary',
    );
  });

  it('prints nothing of secondaries without them', () => {
    const engine = new Pipeline(defaultConfig(), new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
    engine.ingest(legs('a', { status: 201 }));
    const text = `${renderReport(engine.report(), 'http://127.0.0.1:8090/')}\n${renderPair(engine.pair('a')!)}`;
    for (const word of ['secondary', 'SECONDARY', 'gate', 'triples']) expect(text).not.toContain(word);
  });
});
