// The ingest role's Kafka series, on the collector's registry (only in Kafka mode, so the
// embedded collector's /metrics is unchanged): whether the brokers answer, and how long a send
// takes and how many legs it carries (a group commit gathers the batches that arrived meanwhile).

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LegProducer, SendOutcome } from './legProducer.js';

export function registerKafkaIngestMetrics(registry: Registry, producer: LegProducer): void {
  const registers = [registry];
  new Gauge({
    name: 'shadowdiff_collector_kafka_healthy',
    help: '1 while the last send and the last connection check to the Kafka brokers succeeded, 0 otherwise (/readyz answers 503 KAFKA_UNAVAILABLE).',
    registers,
    collect() {
      this.set(producer.status().healthy ? 1 : 0);
    },
  });
  const sendSeconds = new Histogram({
    name: 'shadowdiff_collector_kafka_send_seconds',
    help: 'One send of legs to the legs topic, until Kafka acknowledged it (acks=all) or it failed, by result.',
    labelNames: ['result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const sentLegs = new Counter({
    name: 'shadowdiff_collector_kafka_legs_total',
    help: 'Legs sent to the legs topic, by result: acknowledged, or failed (their batches answered 503).',
    labelNames: ['result'],
    registers,
  });
  for (const result of ['acknowledged', 'failed'] as const) {
    sendSeconds.zero({ result });
    sentLegs.inc({ result }, 0);
  }
  producer.onSend((outcome: SendOutcome) => {
    sendSeconds.observe({ result: outcome.result }, outcome.seconds);
    sentLegs.inc({ result: outcome.result }, outcome.legs);
  });
}
