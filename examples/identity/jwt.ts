// ES256 JSON Web Tokens for the demo and the tests: what an identity provider would issue, and
// the JWKS Envoy's jwt_authn verifies them with.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The issuer the demo's tokens name and the shipped bootstraps require. */
export const DEMO_ISSUER = 'https://identity.shadowdiff.invalid';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** The public half as a JWKS document, as Envoy reads it. */
  jwks: string;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  group?: string;
}

/** A fresh P-256 key pair: tests use one per run, so no token they sign works anywhere else. */
export function generateSigningKey(kid: string): SigningKey {
  return signingKey(kid, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** A signing key from a private JWK (with `kid`). */
export function signingKeyFromJwk(jwk: JsonWebKey): SigningKey {
  if (typeof jwk['kid'] !== 'string') throw new Error('the private JWK has no kid');
  return signingKey(jwk['kid'], createPrivateKey({ key: jwk, format: 'jwk' }));
}

function signingKey(kid: string, privateKey: KeyObject): SigningKey {
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kid, privateKey, jwks: `${JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] }, null, 2)}\n` };
}

/** A compact JWS (ES256). No `exp`: the demo's tokens are long-lived on purpose, and Envoy checks `exp` only when present. */
export function signToken(key: SigningKey, claims: TokenClaims): string {
  const header = base64Url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: key.kid }));
  const payload = base64Url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

function base64Url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
