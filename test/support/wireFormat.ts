// The wire format for tests: the collector's types (the one TypeScript mirror of
// filter/wire-format.schema.json) and a strict validator compiled from the schema itself.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import type { DigestBatch } from '../../collector/types.js';
import { WIRE_FORMAT_SCHEMA } from '../../devkit/paths.js';

export type { DigestBatch, DigestRecord } from '../../collector/types.js';

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile<DigestBatch>(JSON.parse(readFileSync(WIRE_FORMAT_SCHEMA, 'utf8')) as object);

/** Null when `value` is a valid batch, else ajv's description of every violation. */
export function wireFormatErrors(value: unknown): string | null {
  return validate(value) ? null : ajv.errorsText(validate.errors);
}
