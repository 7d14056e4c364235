// Noise: fields that differ between two answers to the same request from the same version. They
// must differ (or the demo would show nothing for the ignore rules to do), and the collector's
// rules in examples/orders/collector.yaml must drop exactly them.

import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../devkit/waitUntil.js';
import { ask, buildVersionPair, closeVersionPair, isIgnoredField, type Answer } from './versionPair.js';

const pair = buildVersionPair();
afterAll(() => closeVersionPair(pair));

function changedPaths(a: Answer, b: Answer): string[] {
  return [...a.fields.keys()].filter((path) => a.fields.get(path) !== b.fields.get(path)).sort();
}

describe.each(['v1', 'v2'] as const)('%s', (version) => {
  it('two answers to the same order read differ in the timestamp and every trace id', async () => {
    const first = await ask(pair[version], { method: 'GET', url: '/orders/ord-1001' });
    // generatedAt has millisecond resolution: ask again once the clock has moved past it.
    const firstGeneratedAt = JSON.parse(first.fields.get('$.meta.generatedAt') ?? '""') as string;
    await waitUntil(
      "the clock to pass the first answer's millisecond",
      () => (new Date().toISOString() > firstGeneratedAt ? true : undefined),
      { intervalMs: 1 },
    );
    const second = await ask(pair[version], { method: 'GET', url: '/orders/ord-1001' });
    expect(changedPaths(first, second)).toEqual([
      '$.items[0].traceId',
      '$.items[1].traceId',
      '$.meta.generatedAt',
      '$.meta.requestTraceId',
    ]);
  });

  it('every route carries the noise under meta', async () => {
    for (const url of ['/orders/ord-1002/shipping?country=DE', '/catalog/items/SKU-1003']) {
      const answer = await ask(pair[version], { method: 'GET', url });
      expect(Date.parse(JSON.parse(answer.fields.get('$.meta.generatedAt') ?? '""'))).not.toBeNaN();
      expect(JSON.parse(answer.fields.get('$.meta.requestTraceId') ?? '""')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('the collector ignore rules of the example', () => {
  it('drop the noise fields and nothing that carries meaning', () => {
    for (const path of ['$.meta.generatedAt', '$.meta.requestTraceId', '$.items[0].traceId', '$.items[17].traceId']) {
      expect(isIgnoredField(path), path).toBe(true);
    }
    for (const path of ['$.totals.converted', '$.items[0].lineTotal', '$.charge', '$.meta', '$.id']) {
      expect(isIgnoredField(path), path).toBe(false);
    }
  });
});
