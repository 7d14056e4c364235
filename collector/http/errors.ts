// The HTTP error catalogue: every error a client of the collector's API can see has a stable
// code and status here, so scripts can match on the code and people can read the message.
// (The CLI's own categories live in cli/cliErrors.ts, the configuration's in config.ts.)

import type { ErrorDetail } from '../schema/schemaErrors.js';

export type { ErrorDetail } from '../schema/schemaErrors.js';

export const ERRORS = {
  UNAUTHORIZED: { status: 401, summary: 'missing or wrong bearer token' },
  BODY_TOO_LARGE: { status: 413, summary: 'request body exceeds bodyLimitBytes' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'batches must be sent as application/json' },
  MALFORMED_JSON: { status: 400, summary: 'request body is not valid JSON' },
  BATCH_INVALID: { status: 400, summary: 'the batch does not match the wire format; nothing was accepted' },
  QUERY_INVALID: { status: 400, summary: 'a query or path parameter is invalid' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'no such route in the report' },
  PAIR_NOT_FOUND: { status: 404, summary: 'correlation id unknown or no longer retained' },
  NOT_FOUND: { status: 404, summary: 'no such endpoint' },
  NOT_READY: { status: 503, summary: 'the collector is shutting down' },
  UI_NOT_BUILT: { status: 503, summary: 'the web UI was not built: run `npm run build:ui`, then restart the collector' },
  STORE_UNAVAILABLE: { status: 503, summary: 'the store cannot be written; the batch was not kept' },
  KAFKA_UNAVAILABLE: { status: 503, summary: 'Kafka did not acknowledge every record of the batch; count it as not kept' },
  JOIN_STALLED: { status: 503, summary: 'a join worker with partitions assigned has not stepped for longer than kafka.joinStallMs' },
  // Nobody reads this answer: the client has gone (typically a filter whose collector.timeoutMs
  // ran out mid-upload). It is in the catalogue so rejects_total counts it; 499 as nginx says it.
  CLIENT_ABORTED: { status: 499, summary: 'the client closed the connection before its request was received' },
  INTERNAL: { status: 500, summary: 'unexpected error' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[]; moreDetails?: number };
}

export class CollectorError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'CollectorError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

/** Upper bound on details echoed in one response, so a 1024-record batch of garbage gets a bounded answer. */
export const MAX_ERROR_DETAILS = 100;

export function errorBody(code: ErrorCode, message: string, details: ErrorDetail[] = []): ErrorBody {
  const body: ErrorBody = { error: { code, message } };
  if (details.length > 0) {
    body.error.details = details.slice(0, MAX_ERROR_DETAILS);
    if (details.length > MAX_ERROR_DETAILS) body.error.moreDetails = details.length - MAX_ERROR_DETAILS;
  }
  return body;
}
