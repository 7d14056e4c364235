// A collector's /metrics read by the Kafka suites: one unlabelled series, and a wait until it holds a value.

import { waitUntil } from '../../../devkit/waitUntil.js';

/** An unlabelled series' value on a collector's /metrics (0 when absent). */
export async function metricOf(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

/** Waits until the series satisfies `wanted`. */
export async function untilMetric(url: string, name: string, wanted: (value: number) => boolean, timeoutMs = 60_000): Promise<void> {
  await waitUntil(`${name} on ${url}`, async () => (wanted(await metricOf(url, name)) ? true : undefined), {
    timeoutMs,
    intervalMs: 300,
  });
}

/** The join role's gauge of the partitions a worker owns and has rebuilt. */
export const PARTITIONS_OWNED = 'shadowdiff_collector_kafka_join_partitions';
