// The join role's Kafka series, on the collector's registry (only when the process runs the join
// role): what the worker owns and holds, how far behind the legs it is, how long ago it last
// stepped, what it judged, and how long taking partitions over took.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PAIR_OUTCOMES } from '../join/outcomes.js';
import type { PairView } from '../report/reportSchema.js';
import type { JoinWorker } from './joinWorker.js';

/** How a verdict ended, as the outcome label says it: a pair's outcome, evicted, or an orphaned secondary (its own record). */
const VERDICT_OUTCOMES = [...PAIR_OUTCOMES, 'evicted', 'secondary_orphaned'] as const;
type VerdictOutcome = (typeof VERDICT_OUTCOMES)[number];

function verdictOutcome(pair: PairView): VerdictOutcome {
  if (pair.state === 'paired') return pair.diff?.diverged === true ? 'diverged' : 'match';
  if (pair.state === 'pending') throw new Error(`the verdict for ${pair.id} is pending`);
  return pair.state;
}

export function registerKafkaJoinMetrics(registry: Registry, worker: JoinWorker): void {
  const registers = [registry];
  new Gauge({
    name: 'shadowdiff_collector_kafka_join_healthy',
    help: '1 while the join worker’s last step (fetch, then each partition’s transaction) or rebuild succeeded, 0 otherwise (/readyz answers 503 KAFKA_UNAVAILABLE).',
    registers,
    collect() {
      this.set(worker.status().healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'shadowdiff_collector_kafka_join_last_step_age_seconds',
    help: 'Seconds since the join worker last stepped on its partitions (fetched them, and committed what the fetch settled), or last had none assigned; past kafka.joinStallMs with partitions assigned, /readyz answers 503 JOIN_STALLED.',
    registers,
    collect() {
      this.set(worker.lastStepAgeSeconds);
    },
  });
  new Gauge({
    name: 'shadowdiff_collector_kafka_join_partitions',
    help: 'Legs partitions this worker owns and has rebuilt.',
    registers,
    collect() {
      this.set(worker.partitions.length);
    },
  });
  new Gauge({
    name: 'shadowdiff_collector_kafka_join_pending_legs',
    help: 'Correlation ids waiting for their partner in the owned partitions.',
    registers,
    collect() {
      this.set(worker.pendingLegs);
    },
  });
  new Gauge({
    name: 'shadowdiff_collector_kafka_join_lag_records',
    help: 'Records on the owned legs partitions not consumed yet, as of the last fetch.',
    registers,
    collect() {
      this.set(worker.lagRecords);
    },
  });
  const verdicts = new Counter({
    name: 'shadowdiff_collector_kafka_verdicts_total',
    help: 'Verdicts produced to the verdicts topic in a committed transaction, by outcome (secondary_orphaned: a secondary leg whose pair never came).',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of VERDICT_OUTCOMES) verdicts.inc({ outcome }, 0);
  const legs = new Counter({
    name: 'shadowdiff_collector_kafka_join_legs_total',
    help: 'Legs consumed and counted by a tally (replayed legs a tally already counted are not), duplicates and late legs included.',
    registers,
  });
  const skipped = new Counter({
    name: 'shadowdiff_collector_kafka_join_skipped_records_total',
    help: 'Records skipped because they do not decode: on the legs topic (not a leg record) or, in a rebuild, on the verdicts topic.',
    labelNames: ['topic'],
    registers,
  });
  for (const topic of ['legs', 'verdicts']) skipped.inc({ topic }, 0);
  const fenced = new Counter({
    name: 'shadowdiff_collector_kafka_join_fenced_transactions_total',
    help: 'Transactions Kafka refused because another worker took the partition’s transactional id (or the coordinator aborted them on timeout): nothing of them is visible, their sends are not retried, and the partitions are taken again from the log if the group still assigns them.',
    registers,
  });
  const rebuild = new Histogram({
    name: 'shadowdiff_collector_kafka_join_rebuild_seconds',
    help: 'Taking an assignment over: each assigned partition’s transactional id taken (fencing its previous owner), then the committed offsets and the verdicts read back (the legs are then replayed as they are consumed).',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  worker.onStep({
    produced(outputs) {
      for (const output of outputs) {
        for (const verdict of output.verdicts) verdicts.inc({ outcome: verdictOutcome(verdict.pair) });
        if (output.orphaned.length > 0) verdicts.inc({ outcome: 'secondary_orphaned' }, output.orphaned.length);
        if (output.tally !== null) {
          const { records } = output.tally;
          legs.inc(records.primary + records.shadow + (records.secondary ?? 0));
        }
        if (output.undecodable > 0) skipped.inc({ topic: 'legs' }, output.undecodable);
      }
    },
    rebuilt(_partitions, seconds) {
      rebuild.observe(seconds);
    },
    verdictRecordSkipped() {
      skipped.inc({ topic: 'verdicts' });
    },
    fenced(transactions) {
      fenced.inc(transactions);
    },
  });
}
