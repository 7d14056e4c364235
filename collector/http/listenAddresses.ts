// Where the collector listens, told as it is: the addresses the sockets are bound to (not the
// first interface address Fastify picks for its own log line), and whether each is loopback.

import { BlockList, isIPv6 } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
// An IPv4 loopback address written as IPv6 (::ffff:127.0.0.1) is still loopback.
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

export function isLoopback(address: string): boolean {
  return LOOPBACK.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}

/** `http://127.0.0.1:8090`, `http://[::1]:8090`. */
export function addressUrl(address: string, port: number): string {
  return `http://${isIPv6(address) ? `[${address}]` : address}:${port}`;
}

/** What a wildcard address covers, for the start-up line; null for a single interface. */
export function wildcardScope(address: string): string | null {
  if (address === '0.0.0.0') return 'every IPv4 interface';
  // Node binds `::` dual-stack unless ipv6Only is set, which the collector never does.
  if (address === '::') return 'every IPv4 and IPv6 interface';
  return null;
}

/** One line naming every bound address: `http://0.0.0.0:8090 (every IPv4 interface)`. */
export function describeListening(bound: ReadonlyArray<{ address: string; port: number }>): string {
  return bound
    .map(({ address, port }) => {
      const scope = wildcardScope(address);
      return scope === null ? addressUrl(address, port) : `${addressUrl(address, port)} (${scope})`;
    })
    .join(' and ');
}
