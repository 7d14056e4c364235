// The roles of Kafka mode, defined once: the configuration's `kafka.roles` enumerates them.

export const KAFKA_ROLES = ['ingest', 'join', 'report'] as const;
export type KafkaRole = (typeof KAFKA_ROLES)[number];
