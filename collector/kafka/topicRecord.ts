// What the legs and verdicts topics have in common: a value is JSON that must match its schema
// before a consumer acts on it, and a record that does not is refused with the field named, so a
// bad record on a topic is reported, never poured into a join window or a scoreboard.

import type { ValidateFunction } from 'ajv';
import { formatFieldPath, locateSchemaError } from '../schema/schemaErrors.js';

/** A record read from a topic that is not what its encoder writes; `field` names where. */
export class TopicRecordError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'TopicRecordError';
  }
}

/** Parses a record's value and validates it; `what` names the schema in the message ("leg record"). */
export function decodeTopicValue<T>(value: Buffer | undefined, isValid: ValidateFunction<T>, what: string): T {
  if (value === undefined) throw new TopicRecordError('the record has no value', '(value)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new TopicRecordError(`the value is not JSON: ${(error as Error).message}`, '(value)');
  }
  if (!isValid(parsed)) {
    const first = (isValid.errors ?? []).map(locateSchemaError).find((located) => located !== null);
    const field = first === undefined ? '(value)' : formatFieldPath(first.path) || '(value)';
    throw new TopicRecordError(`the value does not match the ${what} schema: ${field}: ${first?.message ?? 'invalid'}`, field);
  }
  return parsed;
}
