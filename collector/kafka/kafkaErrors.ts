// The Kafka client reports a failed operation as nested errors ("Producing messages failed." >
// a response error > the broker's error per partition, or a connection error per broker); an
// operator needs the innermost reasons, once each, in one line.

const MAX_REASONS = 3;

export function kafkaErrorMessage(error: unknown): string {
  const reasons: string[] = [];
  const visit = (current: unknown, depth: number): void => {
    if (!(current instanceof Error) || depth > 8) return;
    const nested = [...(current instanceof AggregateError ? current.errors : []), ...(current.cause === undefined ? [] : [current.cause])];
    const before = reasons.length;
    for (const inner of nested) visit(inner, depth + 1);
    if (reasons.length === before) {
      const apiId = (current as { apiId?: unknown }).apiId;
      const reason = typeof apiId === 'string' ? `${current.message} (${apiId})` : current.message;
      if (!reasons.includes(reason)) reasons.push(reason);
    }
  };
  visit(error, 0);
  if (reasons.length === 0) return String(error);
  const shown = reasons.slice(0, MAX_REASONS).join('; ');
  return reasons.length > MAX_REASONS ? `${shown} (and ${reasons.length - MAX_REASONS} more)` : shown;
}

/** Whether the client's error, or one nested in it, has `property` set to `value` (findBy: the client's own search). */
function hasNested(error: unknown, property: string, value: unknown): boolean {
  const found = error as { findBy?: (property: string, value: unknown) => unknown } | null;
  return typeof found?.findBy === 'function' && found.findBy(property, value) != null;
}

/** Whether Kafka answered with this error (e.g. TOPIC_ALREADY_EXISTS), at any depth. */
export function hasApiError(error: unknown, apiId: string): boolean {
  return hasNested(error, 'apiId', apiId);
}

/** A consumer group error the client answers by rejoining (rebalance in progress, illegal generation, unknown member). */
export function needsRejoin(error: unknown): boolean {
  return hasNested(error, 'needsRejoin', true);
}

/**
 * Answers that mean another producer took this one's transactional id (a newer epoch: the
 * partition's new owner), or the coordinator aborted its transaction on its own (the transaction
 * timeout bumps the epoch too): whatever this producer still sends under that epoch is refused.
 */
const FENCED = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING'] as const;

export function isFenced(error: unknown): boolean {
  return FENCED.some((apiId) => hasApiError(error, apiId));
}
