// Optional bearer-token checks: one token for the ingest endpoint, another for the read
// endpoints. Both sides are hashed first so the comparison is constant-time and does not reveal
// the token's length. Neither the token nor the presented header is ever logged.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CollectorError } from './errors.js';

const BEARER = /^Bearer[ \t]+(.+)$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Returns a checker for `authorization` header values; an empty token accepts everything. */
export function bearerTokenChecker(token: string): (authorization: string | undefined) => boolean {
  if (token === '') return () => true;
  const expected = digest(token);
  return (authorization) => {
    const presented = authorization === undefined ? null : BEARER.exec(authorization.trim());
    // Hash something even when the header is absent, so timing does not tell the cases apart.
    const actual = digest(presented?.[1] ?? '');
    return timingSafeEqual(actual, expected) && presented !== null;
  };
}

/**
 * An onRequest hook refusing requests without the token: it runs before the body is read, so an
 * unauthenticated client cannot make the collector parse megabytes.
 */
export function requireBearerToken(token: string, what: string): (request: FastifyRequest) => Promise<void> {
  const authorized = bearerTokenChecker(token);
  return async (request) => {
    if (!authorized(request.headers.authorization)) {
      throw new CollectorError('UNAUTHORIZED', `missing or wrong bearer token for ${what} (authorization: Bearer <token>)`);
    }
  };
}
