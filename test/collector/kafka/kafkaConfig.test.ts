// The kafka section: absent keeps the embedded collector; present, every bad field is named, a
// legs retention that does not outlast the join window is refused naming both fields, and a role
// this release does not run is refused rather than pretended; roles and brokers come from the
// environment and flags too.

import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, parseConfig } from '../../../collector/config.js';

/** The fields and messages `load` is refused with. */
function refused(load: () => unknown): Array<{ field: string; message: string }> {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.details;
    throw error;
  }
  throw new Error('expected a configuration error');
}

const problems = (raw: unknown) => refused(() => parseConfig(raw));

const ingest = { brokers: ['kafka-0.kafka:9092'], roles: ['ingest'] };

describe('kafka configuration', () => {
  it('is absent by default: the embedded single process', () => {
    expect(defaultConfig().kafka).toBeUndefined();
  });

  it('fills in the group, topics, partitions, replication, retention, the produce timeout and the session timeout', () => {
    expect(parseConfig({ kafka: ingest }).kafka).toEqual({
      brokers: ['kafka-0.kafka:9092'],
      roles: ['ingest'],
      clientId: 'shadowdiff-collector',
      groupId: 'shadowdiff-join',
      topics: { legs: 'shadowdiff.legs', verdicts: 'shadowdiff.verdicts' },
      partitions: 12,
      replicationFactor: 3,
      legsRetentionMs: 86_400_000,
      produceTimeoutMs: 1500,
      sessionTimeoutMs: 10_000,
    });
  });

  it('accepts IPv6 brokers and its own topic names', () => {
    const config = parseConfig({ kafka: { ...ingest, brokers: ['[::1]:9092', '10.0.0.1:19092'], topics: { legs: 'mesh_a.legs-v1' } } });
    expect(config.kafka?.topics).toEqual({ legs: 'mesh_a.legs-v1', verdicts: 'shadowdiff.verdicts' });
  });

  it('refuses a legs retention that does not exceed the join window, naming both fields', () => {
    const found = problems({ join: { windowMs: 30_000 }, kafka: { ...ingest, legsRetentionMs: 30_000 } });
    expect(found).toEqual([
      { field: 'kafka.legsRetentionMs', message: expect.stringContaining('does not exceed join.windowMs (30000 ms)') },
    ]);
    expect(found[0]?.message).toMatch(/^30000 ms does not exceed/);
    expect(() => parseConfig({ join: { windowMs: 30_000 }, kafka: { ...ingest, legsRetentionMs: 30_001 } })).not.toThrow();
    // The window is the configured one, not the default.
    expect(problems({ join: { windowMs: 600_000 }, kafka: { ...ingest, legsRetentionMs: 300_000 } })[0]?.message).toContain(
      'join.windowMs (600000 ms)',
    );
  });

  it('refuses a join stall bound that does not exceed the session timeout, naming both fields; absent, none is filled in', () => {
    expect(problems({ kafka: { ...ingest, sessionTimeoutMs: 10_000, joinStallMs: 10_000 } })).toEqual([
      {
        field: 'kafka.joinStallMs',
        message:
          '10000 ms does not exceed kafka.sessionTimeoutMs (10000 ms): a join worker waiting out a rebalance would be reported stalled',
      },
    ]);
    expect(parseConfig({ kafka: { ...ingest, sessionTimeoutMs: 10_000, joinStallMs: 10_001 } }).kafka?.joinStallMs).toBe(10_001);
    expect(parseConfig({ kafka: ingest }).kafka).not.toHaveProperty('joinStallMs');
  });

  it('runs every role, one or several in a process', () => {
    expect(parseConfig({ kafka: { ...ingest, roles: ['ingest', 'join', 'report'] } }).kafka?.roles).toEqual(['ingest', 'join', 'report']);
    expect(parseConfig({ kafka: { ...ingest, roles: ['report', 'ingest'] } }).kafka?.roles).toEqual(['report', 'ingest']);
  });

  it('takes the roles and brokers from comma-separated SHADOWDIFF_KAFKA_ROLES and SHADOWDIFF_KAFKA_BROKERS, flags winning', () => {
    const env = { SHADOWDIFF_KAFKA_ROLES: 'ingest, report', SHADOWDIFF_KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092' };
    expect(loadConfig({ env }).kafka).toMatchObject({ roles: ['ingest', 'report'], brokers: ['kafka-0:9092', 'kafka-1:9092'] });
    const flags = [
      { field: 'kafka.roles', value: 'report', origin: '--roles' },
      { field: 'kafka.brokers', value: '[::1]:9092', origin: '--kafka-brokers' },
    ];
    expect(loadConfig({ env, overrides: flags }).kafka).toMatchObject({ roles: ['report'], brokers: ['[::1]:9092'] });
    expect(refused(() => loadConfig({ env: { ...env, SHADOWDIFF_KAFKA_ROLES: 'ingest,reporter' } }))).toEqual([
      { field: 'kafka.roles[1]', message: expect.stringMatching(/^must be one of .*\(from SHADOWDIFF_KAFKA_ROLES\)$/) },
    ]);
  });

  it.each([
    [{ roles: ['ingest'] }, 'kafka.brokers', 'is required'],
    [{ brokers: ['k:9092'] }, 'kafka.roles', 'is required'],
    [{ ...ingest, brokers: [] }, 'kafka.brokers', 'must NOT have fewer than 1 items'],
    [{ ...ingest, brokers: ['kafka:9092/x'] }, 'kafka.brokers[0]', 'must match ^'],
    [{ ...ingest, brokers: ['kafka'] }, 'kafka.brokers[0]', 'must match ^'],
    [{ ...ingest, brokers: ['kafka:70000'] }, 'kafka.brokers[0]', 'port 70000 is not between 1 and 65535'],
    [{ ...ingest, roles: [] }, 'kafka.roles', 'must NOT have fewer than 1 items'],
    [{ ...ingest, roles: ['ingest', 'ingest'] }, 'kafka.roles', 'must NOT have duplicate items'],
    [{ ...ingest, roles: ['ingester'] }, 'kafka.roles[0]', 'must be one of ["ingest","join","report"]'],
    [{ ...ingest, topics: { legs: 'has space' } }, 'kafka.topics.legs', 'must match ^'],
    [{ ...ingest, topics: { verdicts: '..' } }, 'kafka.topics.verdicts', 'must match ^'],
    [{ ...ingest, topics: { legs: 'same', verdicts: 'same' } }, 'kafka.topics.verdicts', 'must differ from kafka.topics.legs'],
    [{ ...ingest, partitions: 0 }, 'kafka.partitions', 'must be >= 1'],
    [{ ...ingest, replicationFactor: 1.5 }, 'kafka.replicationFactor', 'must be integer'],
    [{ ...ingest, produceTimeoutMs: 10 }, 'kafka.produceTimeoutMs', 'must be >= 100'],
    [{ ...ingest, sessionTimeoutMs: 1000 }, 'kafka.sessionTimeoutMs', 'must be >= 6000'],
    [{ ...ingest, joinStallMs: 500 }, 'kafka.joinStallMs', 'must be >= 1000'],
    [{ ...ingest, joinStallMs: 7_000 }, 'kafka.joinStallMs', 'does not exceed kafka.sessionTimeoutMs (10000 ms)'],
    [{ ...ingest, clientId: '' }, 'kafka.clientId', 'must NOT have fewer than 1 characters'],
    [{ ...ingest, acks: 1 }, 'kafka.acks', 'is not a known field'],
  ])('names the bad field: %j', (kafka, field, message) => {
    const found = problems({ kafka });
    expect(
      found.some((p) => p.field === field && p.message.includes(message)),
      JSON.stringify(found),
    ).toBe(true);
  });
});
