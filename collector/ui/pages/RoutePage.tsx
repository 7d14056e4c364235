// One route: its divergence and coverage, latency per leg (with its distribution), divergence
// over time, the fields ranked by rate (kind of change, noise flag and the ignore rule it
// suggests, magnitude and values when captured), headers and body fallbacks.

import { LatencyHistogram } from '../charts/LatencyHistogram.js';
import { RateTimeline } from '../charts/RateTimeline.js';
import { Link, NotAvailable, Problem, Updated } from '../common.js';
import type { FilteredReport } from '../contract.js';
import { FilterBar } from '../FilterBar.js';
import { count, difference, interval, ms, percent, signedMs } from '../format.js';
import { filterSearch, pairHref } from '../location.js';
import { loadPageData } from '../pageData.js';
import { usePolled, useSession } from '../session.js';
import type { FieldReport, HeaderReport, RouteReport } from '../../report/reportSchema.js';

/** Fields asked for per route: every tracked one a page can reasonably list. */
const FIELDS_SHOWN = 100;

export function RoutePage(props: { route: string }) {
  const session = useSession();
  const { filters } = session;
  const polled = usePolled(`route ${props.route} ${JSON.stringify(filters)} ${session.token}`, (signal) =>
    loadPageData(session.get, filters, { route: props.route, top: FIELDS_SHOWN }, Date.now(), signal),
  );
  const data = polled.value;
  const report = data?.report ?? null;
  const route = report?.kind === 'ok' ? report.value.routes.find((r) => r.route === props.route) : undefined;
  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href={`/${filterSearch(filters)}`}>All routes</Link> › <span aria-current="page">{props.route}</span>
      </nav>
      <h1 tabIndex={-1}>{props.route}</h1>
      {report?.kind !== 'ok' || data === null ? (
        <Problem result={report} what={`the route ${props.route}`} />
      ) : route === undefined ? (
        <p role="alert">No pairs of this route{filters.segment === undefined ? '' : ' in this segment'}.</p>
      ) : (
        <>
          <Updated generatedAtUnixMs={report.value.generatedAtUnixMs} loadedAt={polled.loadedAt} />
          <FilterBar
            options={{
              experiments: data.experiments,
              segments: report.value.segments ?? null,
              timeRanges: data.timeline !== null,
              refused: data.refused,
            }}
          />
          <Summary route={route} />
          <section aria-labelledby="over-time-heading">
            <h2 id="over-time-heading">Divergence over time</h2>
            {data.timeline === null ? (
              <NotAvailable what={data.timelineProblem ?? 'Divergence over time'} />
            ) : (
              <RateTimeline timeline={data.timeline} label={route.route} />
            )}
          </section>
          <Latency route={route} />
          <Fields route={route} report={report.value} />
          <Headers headers={route.headers} />
          <BodyFallbacks route={route} />
        </>
      )}
    </>
  );
}

function Summary(props: { route: RouteReport }) {
  const { route } = props;
  const kinds = Object.entries(route.kinds).filter(([, n]) => n > 0);
  return (
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading">Divergence</h2>
      <dl class="coverage">
        <div>
          <dt>Divergence</dt>
          <dd class="rate">{percent(route.divergenceRate)}</dd>
        </div>
        <div>
          <dt>95% interval</dt>
          <dd class="interval">{interval(route.divergenceCi95)}</dd>
        </div>
        <div>
          <dt>Pairs</dt>
          <dd>{count(route.pairs)}</dd>
        </div>
        <div>
          <dt>Diverged</dt>
          <dd>{count(route.diverged)}</dd>
        </div>
        <div>
          <dt>Shadow coverage</dt>
          <dd>{percent(route.coverage.shadowCoverage)}</dd>
        </div>
        <div>
          <dt>Errors primary / shadow</dt>
          <dd>
            {count(route.errors.primary.count)} ({percent(route.errors.primary.rate)}) / {count(route.errors.shadow.count)} (
            {percent(route.errors.shadow.rate)})
          </dd>
        </div>
      </dl>
      <p>
        Kinds of divergence: {kinds.length === 0 ? 'none' : kinds.map(([kind, n]) => `${kind.replace('_', ' ')} ${n}`).join(', ')}.
        {route.gate === undefined
          ? ''
          : ` The rollout gate counts ${route.gate.diverged} of them (${route.gate.noiseOnly} differed only in secondary-proven noise): ${percent(route.gate.rate)}, 95% ${interval(route.gate.ci95)}.`}
      </p>
    </section>
  );
}

function Latency(props: { route: RouteReport }) {
  const { latencyMs, route } = props.route;
  const { verdict } = latencyMs;
  return (
    <section aria-labelledby="latency-heading">
      <h2 id="latency-heading">Latency</h2>
      <table class="compact">
        <caption>Latency per leg over this route's pairs</caption>
        <thead>
          <tr>
            <th scope="col">Leg</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
            <th scope="col">p99</th>
          </tr>
        </thead>
        <tbody>
          {(['primary', 'shadow'] as const).map((leg) => (
            <tr key={leg}>
              <th scope="row">{leg}</th>
              <td>{ms(latencyMs[leg].p50)}</td>
              <td>{ms(latencyMs[leg].p95)}</td>
              <td>{ms(latencyMs[leg].p99)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">shadow − primary</th>
            <td>{signedMs(latencyMs.delta.p50)}</td>
            <td>{signedMs(latencyMs.delta.p95)}</td>
            <td>{signedMs(latencyMs.delta.p99)}</td>
          </tr>
        </tbody>
      </table>
      <p>
        Latency finding: <strong>{verdict.finding.replaceAll('_', ' ')}</strong> (p95 difference {signedMs(verdict.deltaMs)}, 95%{' '}
        {verdict.ci95 === null ? '–' : `${signedMs(verdict.ci95.low)} to ${signedMs(verdict.ci95.high)}`}, threshold{' '}
        {ms(verdict.thresholdMs)}, over {verdict.pairs} pairs).
      </p>
      <LatencyHistogram data={props.route.latencyHistogram} route={route} />
    </section>
  );
}

function changeKinds(row: Pick<HeaderReport, 'changed' | 'missingInShadow' | 'extraInShadow'>): string {
  const parts: string[] = [];
  if (row.changed > 0) parts.push(`changed ${row.changed}`);
  if (row.missingInShadow > 0) parts.push(`missing in shadow ${row.missingInShadow}`);
  if (row.extraInShadow > 0) parts.push(`only in shadow ${row.extraInShadow}`);
  return parts.join(', ') || '–';
}

function Examples(props: { ids: readonly string[] }) {
  const { filters } = useSession();
  if (props.ids.length === 0) return <>–</>;
  return (
    <ul class="examples">
      {props.ids.map((id) => (
        <li key={id}>
          <Link href={pairHref(id, filters)}>{id}</Link>
        </li>
      ))}
    </ul>
  );
}

function Values(props: { field: FieldReport }) {
  const { field } = props;
  return (
    <>
      {field.magnitude === undefined ? null : (
        <p class="magnitude">
          differs by up to {difference(field.magnitude.maxAbs)} ({percent(field.magnitude.maxRel)}), typically{' '}
          {difference(field.magnitude.typicalAbs)} over {field.magnitude.measured} pairs
        </p>
      )}
      {field.exampleValues === undefined || field.exampleValues.length === 0 ? null : (
        <ul class="values">
          {field.exampleValues.map((e) => (
            <li key={e.id}>
              <code>{e.primary ?? '(none)'}</code> → <code>{e.shadow ?? '(none)'}</code>
            </li>
          ))}
        </ul>
      )}
      {field.magnitude === undefined && (field.exampleValues?.length ?? 0) === 0 ? '–' : null}
    </>
  );
}

function Fields(props: { route: RouteReport; report: FilteredReport }) {
  const { route, report } = props;
  return (
    <section aria-labelledby="fields-heading">
      <h2 id="fields-heading">Fields</h2>
      {report.filter?.fieldsFiltered === false ? <p>Fields are counted over every segment: the collector does not split them.</p> : null}
      {route.fields.length === 0 ? (
        <p>No field differed in the {count(route.structurallyCompared)} pairs compared field by field.</p>
      ) : (
        <div class="table-scroll">
          <table class="fields">
            <caption>
              Ranked by rate over the {count(route.structurallyCompared)} pairs compared field by field; {route.fieldsTracked} fields
              tracked.
            </caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Rate</th>
                <th scope="col">Pairs</th>
                <th scope="col">Kind</th>
                <th scope="col">Noise</th>
                <th scope="col">Magnitude and values</th>
                <th scope="col">Example pairs</th>
              </tr>
            </thead>
            <tbody>
              {route.fields.map((field) => (
                <tr key={field.path} data-field={field.path}>
                  <th scope="row">
                    <code>{field.path}</code>
                  </th>
                  <td class="rate">{percent(field.rate)}</td>
                  <td>{count(field.divergentPairs)}</td>
                  <td>{changeKinds(field)}</td>
                  <td>
                    {field.likelyNoise ? (
                      <>
                        <strong>likely noise</strong>: {field.noiseReason}
                        {field.suggestedIgnore === null ? null : (
                          <>
                            {' '}
                            — ignore with <code>ignore.fields: ["{field.suggestedIgnore}"]</code>
                          </>
                        )}
                      </>
                    ) : (
                      'no'
                    )}
                  </td>
                  <td>
                    <Values field={field} />
                  </td>
                  <td>
                    <Examples ids={field.examples} />
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

function Headers(props: { headers: readonly HeaderReport[] }) {
  return (
    <section aria-labelledby="headers-heading">
      <h2 id="headers-heading">Headers</h2>
      {props.headers.length === 0 ? (
        <p>No compared header differed.</p>
      ) : (
        <table class="compact">
          <caption>Response headers that differed</caption>
          <thead>
            <tr>
              <th scope="col">Header</th>
              <th scope="col">Pairs</th>
              <th scope="col">Kind</th>
              <th scope="col">Example pairs</th>
            </tr>
          </thead>
          <tbody>
            {props.headers.map((header) => (
              <tr key={header.name}>
                <th scope="row">
                  <code>{header.name}</code>
                </th>
                <td>{count(header.divergentPairs)}</td>
                <td>{changeKinds(header)}</td>
                <td>
                  <Examples ids={header.examples} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function BodyFallbacks(props: { route: RouteReport }) {
  const { bodyFallback } = props.route;
  const reasons = Object.entries(bodyFallback.reasons).filter(([, n]) => n > 0);
  return (
    <section aria-labelledby="fallback-heading">
      <h2 id="fallback-heading">Body fallbacks</h2>
      <p>
        {bodyFallback.pairs === 0
          ? 'Every pair was compared field by field.'
          : `${count(bodyFallback.pairs)} pairs were decided by the whole body's hash (ignore rules cannot apply to them): ${reasons
              .map(([reason, n]) => `${reason.replaceAll('_', ' ')} ${n}`)
              .join(', ')}.`}
      </p>
    </section>
  );
}
