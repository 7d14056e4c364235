// The overview: the rollout verdict and coverage at the top, then the routes ranked as the report
// ranks them (surest divergence first), with rates, intervals, errors and latency per leg.

import { RateTimeline } from '../charts/RateTimeline.js';
import { Link, NotAvailable, Problem, Updated } from '../common.js';
import type { FilteredReport } from '../contract.js';
import { FilterBar } from '../FilterBar.js';
import { count, interval, ms, percent } from '../format.js';
import { routeHref } from '../location.js';
import { loadPageData } from '../pageData.js';
import { usePolled, useSession } from '../session.js';
import { rolloutVerdict } from '../verdict.js';

export function OverviewPage() {
  const session = useSession();
  const { filters } = session;
  const polled = usePolled(`overview ${JSON.stringify(filters)} ${session.token}`, (signal) =>
    loadPageData(session.get, filters, { top: 1 }, Date.now(), signal),
  );
  const data = polled.value;
  const report = data?.report ?? null;
  return (
    <>
      <h1 tabIndex={-1}>Shadow rollout</h1>
      {report?.kind !== 'ok' || data === null ? (
        <Problem result={report} what="the report" />
      ) : (
        <>
          <Updated generatedAtUnixMs={report.value.generatedAtUnixMs} loadedAt={polled.loadedAt} />
          <Verdict report={report.value} />
          <FilterBar
            options={{
              experiments: data.experiments,
              segments: report.value.segments ?? null,
              timeRanges: data.timeline !== null,
              refused: data.refused,
            }}
          />
          <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Divergence over time</h2>
            {data.timeline === null ? (
              <NotAvailable what={data.timelineProblem ?? 'Divergence over time'} />
            ) : (
              <RateTimeline timeline={data.timeline} label="all routes" />
            )}
          </section>
          <RoutesTable report={report.value} />
        </>
      )}
    </>
  );
}

function Verdict(props: { report: FilteredReport }) {
  const { report } = props;
  const { filters } = useSession();
  const verdict = rolloutVerdict(report);
  const { coverage } = report.totals;
  return (
    <section aria-labelledby="verdict-heading" class={`verdict ${verdict.kind}`}>
      <h2 id="verdict-heading">
        Rollout gate:{' '}
        <span class="verdict-word">{verdict.kind === 'open' ? 'open' : verdict.kind === 'closed' ? 'closed' : 'no data yet'}</span>
      </h2>
      {verdict.kind === 'no_data' ? (
        <p>
          No pairs judged yet: the gate stays closed until every route's divergence upper bound is at most {percent(verdict.threshold)}.
        </p>
      ) : (
        <p>
          Worst route <Link href={routeHref(verdict.worst.route, filters)}>{verdict.worst.route}</Link>: divergence upper bound{' '}
          {percent(verdict.upperBound)} {verdict.kind === 'closed' ? 'above' : 'within'} the threshold of {percent(verdict.threshold)}{' '}
          (report.gateMaxUpperBound)
          {verdict.routesOver > 1 ? `; ${verdict.routesOver} routes are above it` : ''}.
        </p>
      )}
      <dl class="coverage">
        <div>
          <dt>Shadow coverage</dt>
          <dd>{percent(coverage.shadowCoverage)}</dd>
        </div>
        <div>
          <dt>Pairs</dt>
          <dd>{count(coverage.pairs)}</dd>
        </div>
        <div>
          <dt>Diverged</dt>
          <dd>{count(report.totals.diverged)}</dd>
        </div>
        <div>
          <dt>Shadow missing</dt>
          <dd>{count(coverage.shadowMissing)}</dd>
        </div>
        <div>
          <dt>Primary missing</dt>
          <dd>{count(coverage.primaryMissing)}</dd>
        </div>
        {coverage.secondaryCoverage === undefined ? null : (
          <div>
            <dt>Secondary coverage</dt>
            <dd>{percent(coverage.secondaryCoverage)}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

function RoutesTable(props: { report: FilteredReport }) {
  const { filters } = useSession();
  const { routes } = props.report;
  return (
    <section aria-labelledby="routes-heading">
      <h2 id="routes-heading">Routes</h2>
      {routes.length === 0 ? (
        <p>No route has pairs yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="routes">
            <caption>Ranked by the lower bound of the divergence interval: a sure divergence first.</caption>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Pairs</th>
                <th scope="col">Diverged</th>
                <th scope="col">Divergence</th>
                <th scope="col">95% interval</th>
                <th scope="col">Errors primary</th>
                <th scope="col">Errors shadow</th>
                <th scope="col">p50 primary / shadow</th>
                <th scope="col">p99 primary / shadow</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((route) => (
                <tr key={route.route} data-route={route.route}>
                  <th scope="row">
                    <Link href={routeHref(route.route, filters)}>{route.route}</Link>
                  </th>
                  <td>{count(route.pairs)}</td>
                  <td>{count(route.diverged)}</td>
                  <td class="rate">{percent(route.divergenceRate)}</td>
                  <td class="interval">{interval(route.divergenceCi95)}</td>
                  <td>{percent(route.errors.primary.rate)}</td>
                  <td>{percent(route.errors.shadow.rate)}</td>
                  <td>
                    {ms(route.latencyMs.primary.p50)} / {ms(route.latencyMs.shadow.p50)}
                  </td>
                  <td>
                    {ms(route.latencyMs.primary.p99)} / {ms(route.latencyMs.shadow.p99)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
