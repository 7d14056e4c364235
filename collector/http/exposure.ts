// Whether the collector may listen where it is told to. Beyond loopback, an open side serves
// batches (anyone can skew the verdicts) or the report, metrics and pairs (paths, authorities,
// request ids of production traffic) to whoever reaches the port. That is refused unless both
// tokens are set or `listen.allowUnauthenticatedExposure` says it is intended, and then warned
// about. Pure: the addresses are resolved by the caller.

import { isLoopback, wildcardScope } from './listenAddresses.js';
import type { CollectorConfig } from '../types.js';

export type ExposureVerdict =
  | { kind: 'loopback' }
  | { kind: 'authenticated'; exposed: string[] }
  | { kind: 'refused'; message: string }
  | { kind: 'allowed'; exposed: string[]; open: string[]; warning: string };

/** The endpoints each token guards, named in the refusal and the warning. */
const OPEN_WITHOUT = {
  token: 'POST /v1/batches',
  reportToken: 'GET /v1/report, /v1/pairs/:id and /metrics',
} as const;

export function exposureVerdict(addresses: readonly string[], config: Pick<CollectorConfig, 'listen' | 'token' | 'reportToken'>): ExposureVerdict {
  const exposed = addresses.filter((address) => !isLoopback(address));
  if (exposed.length === 0) return { kind: 'loopback' };
  const missing = (['token', 'reportToken'] as const).filter((name) => config[name] === '');
  if (missing.length === 0) return { kind: 'authenticated', exposed };
  const where = `${config.listen.host} is beyond loopback (${exposed.map((a) => wildcardScope(a) ?? a).join(', ')})`;
  const open = missing.map((name) => `${OPEN_WITHOUT[name]} (no ${name})`);
  if (!config.listen.allowUnauthenticatedExposure) {
    return {
      kind: 'refused',
      message:
        `${where} and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set, so anyone who reaches it could use ${open.join(' and ')}: ` +
        'set both token and reportToken, or listen.allowUnauthenticatedExposure: true (--allow-unauthenticated-exposure) if that is intended',
    };
  }
  return {
    kind: 'allowed',
    exposed,
    open,
    warning: `${where} without authentication, as listen.allowUnauthenticatedExposure allows: anyone who reaches it can use ${open.join(' and ')}`,
  };
}
