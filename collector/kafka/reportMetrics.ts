// The report role's Kafka series, on the collector's registry (only in Kafka mode with the
// report role): whether the verdicts topic is being read, and what became of each record read
// from it. The report's own series (pairs, divergences, records received…) are the embedded
// collector's, counted from the verdicts as they are from pairs judged in one process.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Health } from './legProducer.js';

/** What became of a record of the verdicts topic. */
export const VERDICT_RECORD_RESULTS = ['counted', 'repeated', 'tally', 'refused'] as const;
export type VerdictRecordResult = (typeof VERDICT_RECORD_RESULTS)[number];

export class KafkaReportMetrics {
  private readonly records: Counter<'result'>;

  constructor(registry: Registry, status: () => Health) {
    const registers = [registry];
    new Gauge({
      name: 'shadowdiff_collector_kafka_report_reading',
      help: '1 while the report role reads the verdicts topic, 0 while it cannot (/readyz answers 503 KAFKA_UNAVAILABLE).',
      registers,
      collect() {
        this.set(status().healthy ? 1 : 0);
      },
    });
    this.records = new Counter({
      name: 'shadowdiff_collector_kafka_verdict_records_total',
      help:
        'Records read from the verdicts topic, by result: counted (a verdict, into the report), repeated (a verdict for an id counted ' +
        'within join.rememberMs: not counted again), tally (legs received, duplicates and late legs, into the totals), refused (not a ' +
        'verdicts record: logged with the field, not applied).',
      labelNames: ['result'],
      registers,
    });
    for (const result of VERDICT_RECORD_RESULTS) this.records.inc({ result }, 0);
  }

  record(result: VerdictRecordResult): void {
    this.records.inc({ result });
  }
}
