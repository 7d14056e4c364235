// What the `kafka` section must satisfy beyond its schema (configSchema.ts): a legs topic that
// keeps legs longer than a join window lasts, a stall bound above the session timeout, two
// distinct topics, broker ports in range. Pure; config.ts reports the problems with the fields they name.

import type { CollectorConfig } from '../configSchema.js';

export interface FieldProblem {
  field: string;
  message: string;
}

export function kafkaConfigProblems(config: CollectorConfig): FieldProblem[] {
  const { kafka } = config;
  if (kafka === undefined) return [];
  const problems: FieldProblem[] = [];
  kafka.brokers.forEach((broker, i) => {
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
    if (!(port >= 1 && port <= 65535)) problems.push({ field: `kafka.brokers[${i}]`, message: `port ${port} is not between 1 and 65535` });
  });
  // A join worker that takes over partitions rebuilds its pending window from the log: a leg
  // deleted before its window closed would be counted missing although it was acknowledged.
  if (kafka.legsRetentionMs <= config.join.windowMs) {
    problems.push({
      field: 'kafka.legsRetentionMs',
      message:
        `${kafka.legsRetentionMs} ms does not exceed join.windowMs (${config.join.windowMs} ms): ` +
        'Kafka would delete legs whose join window is still open, and a join worker rebuilding its window from the log would count them missing',
    });
  }
  // A fenced worker waits a session timeout before it joins the group again by itself: a bound
  // below that reports a worker that is recovering as it should as stalled.
  if (kafka.joinStallMs !== undefined && kafka.joinStallMs <= kafka.sessionTimeoutMs) {
    problems.push({
      field: 'kafka.joinStallMs',
      message:
        `${kafka.joinStallMs} ms does not exceed kafka.sessionTimeoutMs (${kafka.sessionTimeoutMs} ms): ` +
        'a join worker waiting out a rebalance would be reported stalled',
    });
  }
  if (kafka.topics.legs === kafka.topics.verdicts) {
    problems.push({
      field: 'kafka.topics.verdicts',
      message: `must differ from kafka.topics.legs (both are ${JSON.stringify(kafka.topics.legs)})`,
    });
  }
  return problems;
}
