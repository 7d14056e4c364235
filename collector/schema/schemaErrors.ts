// Turns ajv errors into "which field, what is wrong", shared by the wire format and the config so
// that both name fields the same way: `headers["x-a"]`, `routes.templates[2]`.

import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';

/** One located problem: which record (index, id) and which field. Answered in error bodies and in the ingest answer's `rejected`. */
export const ErrorDetailSchema = Type.Object(
  {
    /** index in `records`, absent for batch-level problems */
    index: Type.Optional(Type.Integer({ minimum: 0 })),
    /** the record's correlation id when it was readable */
    id: Type.Optional(Type.String()),
    /** where in the record (or batch) the problem is, e.g. `status`, `headers["x-a"]`, `records` */
    field: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type ErrorDetail = Static<typeof ErrorDetailSchema>;

export interface LocatedSchemaError {
  /** path segments from the validated root down to the offending value or property */
  path: string[];
  message: string;
}

/** Null for errors that only repeat another one (ajv reports a bad property name twice). */
export function locateSchemaError(error: ErrorObject): LocatedSchemaError | null {
  if (error.keyword === 'propertyNames') return null;
  const path = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescapePointer);
  const params = error.params as Record<string, unknown>;
  const property = params.missingProperty ?? params.additionalProperty ?? error.propertyName;
  if (typeof property === 'string') path.push(property);
  return { path, message: describe(error, params) };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatFieldPath(segments: readonly string[]): string {
  let out = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function describe(error: ErrorObject, params: Record<string, unknown>): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'pattern':
      return `${error.propertyName !== undefined ? 'name ' : ''}must match ${String(params.pattern)}`;
    default:
      return error.message ?? error.keyword;
  }
}
