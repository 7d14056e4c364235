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
 * Why a refused `authorization` header was refused, in words. Called only once the constant-time
 * check has said no, and it looks only at the header's shape, never at the configured token; it
 * never repeats what was presented either (a client's "scheme" may be its token).
 */
export function authorizationProblem(authorization: string | undefined): string {
  const header = authorization?.trim() ?? '';
  if (header === '') return 'no authorization header';
  if (/^Bearer$/i.test(header)) return 'the authorization header says Bearer but carries no token';
  const presented = BEARER.exec(header);
  if (presented === null) return /[ \t]/.test(header) ? 'the authorization header uses another scheme than Bearer' : 'the authorization header has no scheme';
  if (/[^ -~]/.test(presented[1] ?? '')) return 'the bearer token has characters other than printable ASCII, which no token can have';
  return 'wrong bearer token';
}

/**
 * An onRequest hook refusing requests without the token: it runs before the body is read, so an
 * unauthenticated client cannot make the collector parse megabytes.
 */
export function requireBearerToken(token: string, what: string): (request: FastifyRequest) => Promise<void> {
  const authorized = bearerTokenChecker(token);
  return async (request) => {
    const { authorization } = request.headers;
    if (!authorized(authorization)) {
      throw new CollectorError('UNAUTHORIZED', `${authorizationProblem(authorization)} for ${what}; send authorization: Bearer <token>`);
    }
  };
}
