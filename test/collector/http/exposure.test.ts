import { describe, expect, it } from 'vitest';
import { exposureVerdict } from '../../../collector/http/exposure.js';
import { describeListening, isLoopback } from '../../../collector/http/listenAddresses.js';
import { config } from '../fixtures.js';

const listening = (host: string, token: string, reportToken: string, allow = false) =>
  config((c) => {
    c.listen.host = host;
    c.listen.allowUnauthenticatedExposure = allow;
    c.token = token;
    c.reportToken = reportToken;
  });

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('%s is loopback', (address) => expect(isLoopback(address)).toBe(true));
  it.each(['0.0.0.0', '::', '10.0.0.5', '192.0.2.1', 'fe80::1', '::ffff:10.0.0.5', '128.0.0.1'])('%s is not', (address) => expect(isLoopback(address)).toBe(false));
});

describe('exposureVerdict', () => {
  it('loopback needs no token', () => {
    expect(exposureVerdict(['127.0.0.1', '::1'], listening('localhost', '', ''))).toEqual({ kind: 'loopback' });
  });

  it('beyond loopback with both tokens is fine', () => {
    expect(exposureVerdict(['0.0.0.0'], listening('0.0.0.0', 'a', 'b'))).toEqual({ kind: 'authenticated', exposed: ['0.0.0.0'] });
  });

  it('a host name resolving to one non-loopback address among loopback ones is exposure', () => {
    const verdict = exposureVerdict(['127.0.0.1', '10.0.0.5'], listening('collector.internal', 'a', ''));
    expect(verdict).toMatchObject({ kind: 'refused' });
    expect(verdict.kind === 'refused' && verdict.message).toMatch(/^collector\.internal is beyond loopback \(10\.0\.0\.5\) and reportToken is not set/);
  });

  it('is refused without both tokens, and allowed (with a warning) when the flag says so', () => {
    for (const [token, reportToken] of [['', ''], ['a', ''], ['', 'b']] as const) {
      expect(exposureVerdict(['::'], listening('::', token, reportToken)).kind).toBe('refused');
      const allowed = exposureVerdict(['::'], listening('::', token, reportToken, true));
      expect(allowed.kind).toBe('allowed');
      expect(allowed.kind === 'allowed' && allowed.warning).toMatch(/^:: is beyond loopback \(every IPv4 and IPv6 interface\) without authentication/);
    }
  });
});

describe('describeListening', () => {
  it('names every bound address and what a wildcard covers', () => {
    expect(describeListening([{ address: '127.0.0.1', port: 1 }, { address: '::1', port: 1 }])).toBe('http://127.0.0.1:1 and http://[::1]:1');
    expect(describeListening([{ address: '0.0.0.0', port: 2 }])).toBe('http://0.0.0.0:2 (every IPv4 interface)');
    expect(describeListening([{ address: '::', port: 3 }])).toBe('http://[::]:3 (every IPv4 and IPv6 interface)');
  });
});
