// Optional bearer-token check for the ingest endpoint. Both sides are hashed first so the
// comparison is constant-time and does not reveal the token's length.

import { createHash, timingSafeEqual } from 'node:crypto';

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
