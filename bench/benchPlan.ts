/** How long and how often everything runs: the full measurement, or the seconds-long smoke run. */
export interface BenchPlan {
  mode: 'full' | 'quick';
  /** Runs per variant, alternated. */
  runs: number;
  /** Closed-loop wrk run length. */
  throughputSeconds: number;
  /** Fixed-rate run length. */
  latencySeconds: number;
  /** wrk before any measurement, per Envoy: V8 tiers the module up and the pools fill (0: none). */
  warmupSeconds: number;
  /** Pause after the Envoys of a line started, before their idle RSS is read. */
  idleSettleMs: number;
  /** Runs of the no-filter saturation probe per document, median taken. */
  calibrationRuns: number;
  wrkConnections: number;
  latencyConnections: number;
  /** Fraction of the saturation throughput at which latency is measured (no-filter; line 4: its own mirroring-off Envoy). */
  latencyLoad: number;
  /** Time each document is digested for in the emulator (and parsed by JSON.parse). */
  digestEngineSeconds: number;
  /** Closed-loop collector ingest run length, per design. */
  collectorSeconds: number;
  /** The collector's steady-rate soak for its memory and join-to-score latency. */
  collectorSoakSeconds: number;
  /** RSS samples during the soak. */
  collectorSoakSamples: number;
  /** Closed-loop runs per Kafka-mode configuration (1 and 2 join workers), and of the embedded collector beside them. */
  kafkaRuns: number;
  /** The Kafka-mode fixed-rate run its end-to-end lag is measured in. */
  kafkaLagSeconds: number;
}

export const FULL_PLAN: BenchPlan = {
  mode: 'full',
  // About 30 minutes in all on the 2-core machine: 7 alternated runs (the issue asks for at least 5).
  runs: 7,
  throughputSeconds: 5,
  latencySeconds: 6,
  warmupSeconds: 3,
  idleSettleMs: 2000,
  calibrationRuns: 3,
  wrkConnections: 64,
  latencyConnections: 32,
  latencyLoad: 0.5,
  digestEngineSeconds: 2,
  collectorSeconds: 10,
  collectorSoakSeconds: 300,
  collectorSoakSamples: 30,
  // Not 7: each configuration runs its own role processes on one broker, not alternated.
  kafkaRuns: 3,
  kafkaLagSeconds: 20,
};

export const QUICK_PLAN: BenchPlan = {
  mode: 'quick',
  runs: 1,
  throughputSeconds: 1,
  latencySeconds: 1,
  warmupSeconds: 0,
  idleSettleMs: 200,
  calibrationRuns: 1,
  wrkConnections: 64,
  latencyConnections: 32,
  latencyLoad: 0.5,
  digestEngineSeconds: 0.1,
  collectorSeconds: 1,
  collectorSoakSeconds: 3,
  collectorSoakSamples: 3,
  kafkaRuns: 1,
  kafkaLagSeconds: 2,
};
