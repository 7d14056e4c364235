import { filterBootstrap, withoutMirroring, type EnvoyWiring } from '../benchBootstraps.js';
import { documentPath, type BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { FILTER_COUNTERS, rssRows, startEnvoyBed, type LatencySample } from '../envoyBed.js';
import { absoluteRow, comparedRow, runsOf, type LineResult } from '../results.js';
import { saturationOf } from '../saturation.js';

const OFF = 'mirroring off';
const ON = 'mirroring 100%';
const DELAYED = 'shadow delayed 200 ms';
const STOPPED = 'shadow stopped';

/** Envoy's view of the mirrored copies: how many reached the internal listener and the shadow, and how many it gave up on. */
const MIRROR_COUNTERS = [
  'cluster.shadowdiff_shadow_internal.upstream_rq_completed',
  'cluster.shadowdiff_shadow.upstream_rq_completed',
  'cluster.shadowdiff_shadow.upstream_cx_connect_fail',
  'cluster.shadowdiff_shadow.upstream_rq_pending_overflow',
  'cluster.shadowdiff_shadow_internal.upstream_rq_pending_overflow',
  'http.edge.downstream_rq_5xx',
] as const;

/**
 * Line 4: the primary's latency while every request is also mirrored through the internal listener
 * (shadow-role filter, shadow upstream), against the same Envoy without the mirror policy; then with
 * the shadow upstream answering 200 ms late, and with nothing listening where the shadow should be.
 */
export async function measureMirroring(context: BenchContext): Promise<LineResult> {
  const path = documentPath('1k');
  const withMirror = { bootstrap: (wiring: EnvoyWiring) => filterBootstrap(wiring, { json: true }) };
  const bed = await startEnvoyBed(context, [
    { label: OFF, bootstrap: (wiring) => withoutMirroring(filterBootstrap(wiring, { json: true })) },
    { label: ON, ...withMirror },
    { label: DELAYED, shadow: context.delayedShadow, ...withMirror },
    { label: STOPPED, shadow: context.stoppedShadow, ...withMirror },
  ]);
  const line = 4;
  try {
    await bed.warm(path);
    // The rate is a share of this line's own baseline (the filter runs on the primary leg, and on the
    // shadow leg too once mirroring is on), not of the no-filter Envoy: that rate overloads these Envoys,
    // and the line would measure a client queue instead of mirroring.
    const baseline = await saturationOf(bed, OFF, path, context.plan.calibrationRuns);
    const noFilterPerSecond = context.saturationPerSecond.get('1k') ?? 0;
    const rate = context.plan.latencyLoad * baseline.perSecond;
    context.log(`  ${OFF} saturation: ${Math.round(baseline.perSecond)} req/s; latency runs at ${Math.round(rate)} req/s`);
    const runs = await alternate<string, LatencySample>(bed.labels, context.plan.runs, (label) => bed.latency(label, path, rate));
    const p99 = (label: string): number[] => runsOf(runs, label, (s) => s.p99Ms);
    const allRuns = (label: string, count: (sample: LatencySample) => number): number[] => [
      runsOf(runs, label, count).reduce((sum, n) => sum + n, 0),
    ];
    // Every failed primary request counts: the sum over all runs must be zero.
    const errors = (label: string): number[] => allRuns(label, (s) => s.errors);
    const notSentInTime = (label: string): number[] => allRuns(label, (s) => s.notSentInTime);
    const counters: Record<string, unknown> = {};
    for (const label of bed.labels)
      counters[label] = { ...(await bed.stats(label, MIRROR_COUNTERS)), ...(await bed.stats(label, FILTER_COUNTERS)) };
    return {
      line,
      title: 'Mirroring 100% through the internal-listener shadow leg: primary latency',
      method:
        `Four Envoys with the filter (full JSON digest, 100% sampled, 1 KB document) at ${Math.round(rate)} req/s: ` +
        `${Math.round(context.plan.latencyLoad * 100)}% of the saturation rate of the "off" Envoy itself (${Math.round(baseline.perSecond)} req/s, ` +
        `measured first in this run), not of the no-filter Envoy (${Math.round(noFilterPerSecond)} req/s), because with mirroring on ` +
        'the filter runs on both legs and a share of the no-filter rate overloads it. "Off" is the ' +
        'same bootstrap with the mirror policy removed. The shadow upstream is nginx, a Node server answering 200 ms late, ' +
        'or a port nothing listens on. Errors are primary requests answered non-2xx, connection errors or resets, or left ' +
        'unanswered; requests the client still had queued at the end (not sent in time: the rate overloaded Envoy) are counted apart.',
      rows: [
        comparedRow(line, 'primary p99, mirroring on', 'ms', { bound: 'atMost', limit: 1.1, on: 'ratio' }, p99(OFF), p99(ON)),
        comparedRow(
          line,
          'primary p99, shadow delayed 200 ms',
          'ms',
          { bound: 'atMost', limit: 1.15, on: 'ratio' },
          p99(OFF),
          p99(DELAYED),
        ),
        comparedRow(line, 'primary p99, shadow stopped', 'ms', { bound: 'atMost', limit: 1.15, on: 'ratio' }, p99(OFF), p99(STOPPED)),
        absoluteRow(
          line,
          'primary errors, shadow delayed 200 ms (all runs)',
          'requests',
          { bound: 'atMost', limit: 0, on: 'measured' },
          errors(DELAYED),
        ),
        absoluteRow(
          line,
          'primary errors, shadow stopped (all runs)',
          'requests',
          { bound: 'atMost', limit: 0, on: 'measured' },
          errors(STOPPED),
        ),
        ...bed.labels.map((label) =>
          absoluteRow(line, `requests not sent in time, ${label} (all runs)`, 'requests', null, notSentInTime(label)),
        ),
        comparedRow(
          line,
          'Envoy CPU per request, mirroring on',
          'µs',
          null,
          runsOf(runs, OFF, (s) => s.cpuUsPerRequest),
          runsOf(runs, ON, (s) => s.cpuUsPerRequest),
        ),
        ...(await rssRows(line, bed, OFF, ON)),
        ...(await rssRows(line, bed, OFF, DELAYED)),
      ],
      details: {
        rateTarget: rate,
        baselineSaturation: { label: OFF, ...baseline },
        noFilterSaturationPerSecond: noFilterPerSecond,
        runs: Object.fromEntries(runs),
        counters,
      },
    };
  } finally {
    await bed.stop();
  }
}
