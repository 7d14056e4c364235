// The roles of Kafka mode, defined once: the configuration's `kafka.roles` enumerates them, and
// start-up refuses a role that is named here but not built yet rather than pretending to run it.

export const KAFKA_ROLES = ['ingest', 'join', 'report'] as const;
export type KafkaRole = (typeof KAFKA_ROLES)[number];

/** What each role does, for the messages that name it. */
export const ROLE_DUTIES: Record<KafkaRole, string> = {
  ingest: 'serves POST /v1/batches and produces every accepted leg to the legs topic',
  join: 'joins the legs of its partitions within the window and produces one verdict per correlation id',
  report: 'consumes the verdicts into the scoreboard and serves the report API',
};

/** The roles this release runs; the others are refused at start-up by name. */
export const BUILT_ROLES: ReadonlySet<KafkaRole> = new Set<KafkaRole>(['ingest', 'report']);
