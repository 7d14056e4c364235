// The demo's identity provider. DEMO ONLY: its private key is committed (demo-signing-key.jwk.json)
// so that the demo, docker-compose.yml's traffic service and the shipped bootstraps work out of
// the box; anyone can sign tokens with it. Production bootstraps verify against the keys of a real
// identity provider instead (README.md).

import { readFileSync } from 'node:fs';
import type { PlanUser } from '../traffic.js';
import { DEMO_ISSUER, signingKeyFromJwk, signToken, type SigningKey } from './jwt.js';

/** The demo's public keys, relative to the repository root (where Envoy is started). */
export const DEMO_JWKS_FILE = 'examples/identity/demo-jwks.json';
const DEMO_SIGNING_KEY_URL = new URL('./demo-signing-key.jwk.json', import.meta.url);

export function demoSigningKey(): SigningKey {
  return signingKeyFromJwk(JSON.parse(readFileSync(DEMO_SIGNING_KEY_URL, 'utf8')) as Record<string, unknown>);
}

/** The `authorization` header of each user, signed once per user. */
export function bearerCredentials(key: SigningKey, issuer = DEMO_ISSUER): (user: PlanUser) => Record<string, string> {
  const tokens = new Map<string, string>();
  return (user) => {
    const cacheKey = `${user.id}\u0000${user.group ?? ''}`;
    let token = tokens.get(cacheKey);
    if (token === undefined) {
      token = signToken(key, { iss: issuer, sub: user.id, ...(user.group === undefined ? {} : { group: user.group }) });
      tokens.set(cacheKey, token);
    }
    return { authorization: `Bearer ${token}` };
  };
}
