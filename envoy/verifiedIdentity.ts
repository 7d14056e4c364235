// Who a request is, as the edge Envoy itself establishes it: the segment and the sampling key the
// edge filter reads must come from a verified token, never from a header the client chose.
import type { JsonObject } from './json.js';

/** Written by jwt_authn from the token's `sub` claim: the edge filter's sticky sampling key. */
export const VERIFIED_USER_ID_HEADER = 'x-verified-user-id';
/** Written by jwt_authn from the token's `group` claim: what the shipped segments match. */
export const VERIFIED_USER_GROUP_HEADER = 'x-verified-user-group';
/** The token claims behind the headers above. */
export const USER_ID_CLAIM = 'sub';
export const USER_GROUP_CLAIM = 'group';
/** The jwt_authn provider's name in the bootstrap. */
export const IDENTITY_PROVIDER = 'shadowdiff_identity';

/** Where Envoy reads the public keys tokens are verified with. */
export type JwksSource =
  /** A JWKS file Envoy reads at startup; a relative path resolves against Envoy's working directory. */
  | { filename: string }
  /** The JWKS text itself (tests generate a key pair per run). */
  | { inline: string };

export interface IdentityOptions {
  /** The `iss` every token must carry. */
  issuer: string;
  jwks: JwksSource;
}

/** The claims jwt_authn copies into request headers, as [header, claim]. */
export const CLAIM_HEADERS: ReadonlyArray<readonly [header: string, claim: string]> = [
  [VERIFIED_USER_ID_HEADER, USER_ID_CLAIM],
  [VERIFIED_USER_GROUP_HEADER, USER_GROUP_CLAIM],
];

/**
 * The filter that writes the claim headers for a token it verified, before the edge filter. A
 * missing or invalid token never fails the request (`allow_missing_or_failed`): verification here
 * only decides whom shadowdiff may mirror, and must not change what the primary serves. `forward`
 * keeps the token on the request, for the primary's own authentication.
 */
export function jwtAuthnFilter(options: IdentityOptions): JsonObject {
  return {
    name: 'envoy.filters.http.jwt_authn',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
      providers: {
        [IDENTITY_PROVIDER]: {
          issuer: options.issuer,
          forward: true,
          local_jwks: 'filename' in options.jwks ? { filename: options.jwks.filename } : { inline_string: options.jwks.inline },
          claim_to_headers: CLAIM_HEADERS.map(([header, claim]) => ({ header_name: header, claim_name: claim })),
        },
      },
      rules: [
        {
          match: { prefix: '/' },
          requires: { requires_any: { requirements: [{ provider_name: IDENTITY_PROVIDER }, { allow_missing_or_failed: {} }] } },
        },
      ],
    },
  };
}

/**
 * The request headers only the edge Envoy may write, removed from every request as it arrives:
 * the claim headers, and `<headerPrefix>sampled`, the header the mirroring route matches.
 *
 * jwt_authn writes the claim headers only for a token it verified. Envoy 1.40 also drops a
 * client's copy when no token verifies, but older Envoys forwarded it under an `allow_missing`
 * rule (envoyproxy/envoy#35553, fixed filter-wide by #46586). The edge filter strips a client's
 * sampled header too, but a skipped edge filter (FAIL_OPEN after its module failed to load) would
 * let any client pick the mirroring route, past every cap.
 */
export function edgeWrittenHeaders(headerPrefix: string): string[] {
  return [...CLAIM_HEADERS.map(([header]) => header), `${headerPrefix}sampled`];
}

/**
 * An HTTP connection manager's early header mutation removing `headers`: it runs before the route
 * is chosen and before any HTTP filter, so neither routing nor a filter ever sees a client's copy.
 * (An HTTP header_mutation filter would run after the route was chosen, and keep that route.)
 */
export function earlyHeaderRemoval(headers: readonly string[]): JsonObject {
  return {
    name: 'envoy.http.early_header_mutation.header_mutation',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation',
      mutations: headers.map((header) => ({ remove: header })),
    },
  };
}
