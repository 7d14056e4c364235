// One request: both legs side by side, the properties, headers and fields that differed
// highlighted (a mark and the difference in words, never colour alone).

import { Link, Problem } from '../common.js';
import { utcTime } from '../format.js';
import { filterSearch, routeHref } from '../location.js';
import { DIFFERENCE_LABELS, pairRows, type PairRow } from '../pairRows.js';
import { usePolled, useSession } from '../session.js';
import type { PairView } from '../../report/reportSchema.js';

export function PairPage(props: { id: string }) {
  const session = useSession();
  const { filters } = session;
  const polled = usePolled(`pair ${props.id} ${session.token}`, (signal) =>
    session.get<PairView>(`/v1/pairs/${encodeURIComponent(props.id)}`, {}, signal),
  );
  const result = polled.value;
  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href={`/${filterSearch(filters)}`}>All routes</Link>
        {result?.kind === 'ok' && result.value.route !== null ? (
          <>
            {' '}
            › <Link href={routeHref(result.value.route, filters)}>{result.value.route}</Link>
          </>
        ) : null}{' '}
        › <span aria-current="page">pair {props.id}</span>
      </nav>
      <h1 tabIndex={-1}>Pair {props.id}</h1>
      {result?.kind !== 'ok' ? <Problem result={result} what={`the pair ${props.id}`} /> : <Pair pair={result.value} />}
    </>
  );
}

function Pair(props: { pair: PairView }) {
  const { pair } = props;
  const rows = pairRows(pair);
  const differing = [...rows.summary, ...rows.headers, ...rows.fields].filter((row) => row.difference !== null).length;
  return (
    <>
      <p>
        State: <strong>{pair.state.replaceAll('_', ' ')}</strong>
        {pair.diff === null ? '; not compared yet.' : `; ${pair.diff.diverged ? 'diverged' : 'matched'} (${differing} rows differ).`}
        {pair.resolvedAtUnixMs === null ? '' : ` Resolved ${utcTime(pair.resolvedAtUnixMs)}.`}
        {pair.diff?.fallback == null ? '' : ` Decided by the body hash: ${pair.diff.fallback.replaceAll('_', ' ')}.`}
      </p>
      <LegTable id="pair-summary" title="Response" keyLabel="Property" rows={rows.summary} />
      <LegTable id="pair-headers" title="Headers" keyLabel="Header" rows={rows.headers} />
      <LegTable id="pair-fields" title="Fields" keyLabel="Field" rows={rows.fields} />
    </>
  );
}

function LegTable(props: { id: string; title: string; keyLabel: string; rows: readonly PairRow[] }) {
  return (
    <section aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p>None on either leg.</p>
      ) : (
        <div class="table-scroll">
          <table class="legs" id={props.id}>
            <caption>Primary and shadow side by side; rows that differ are marked.</caption>
            <thead>
              <tr>
                <th scope="col">{props.keyLabel}</th>
                <th scope="col">Primary</th>
                <th scope="col">Shadow</th>
                <th scope="col">Difference</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr key={row.key} class={row.difference === null ? undefined : `differs ${row.difference}`} data-key={row.key}>
                  <th scope="row">
                    <code>{row.key}</code>
                  </th>
                  <td>
                    <code>{row.primary ?? '(absent)'}</code>
                  </td>
                  <td>
                    <code>{row.shadow ?? '(absent)'}</code>
                  </td>
                  <td>{row.difference === null ? '–' : <mark>{DIFFERENCE_LABELS[row.difference]}</mark>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
