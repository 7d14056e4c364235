// The JSON API the pages read, and what each answer means to them: the value, a token to ask for
// (401), an endpoint or query parameter this collector does not have (the page degrades: "not
// available from this collector"), a thing that is not there (an unknown route or pair), or a
// failure to show. Fetch is injected, so the classification is tested without a browser.

export type ApiResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'unauthorized'; message: string }
  /** no such endpoint (404 NOT_FOUND), or a query parameter it refuses (400 QUERY_INVALID naming the query string) */
  | { kind: 'unavailable'; message: string }
  /** the endpoint exists, the thing asked for does not (ROUTE_NOT_FOUND, PAIR_NOT_FOUND, VERSION_NOT_FOUND) */
  | { kind: 'not_found'; message: string }
  | { kind: 'failed'; message: string };

export type Query = Readonly<Record<string, string | number | undefined>>;

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: Array<{ field?: unknown }> };
}

/** What a non-200 answer means to a page. */
export function classify(status: number, body: unknown): Exclude<ApiResult<never>, { kind: 'ok' }> {
  const error = (body as ErrorBody | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : '';
  const message = typeof error?.message === 'string' ? error.message : `the collector answered ${status}`;
  if (status === 401) return { kind: 'unauthorized', message };
  if (status === 404) return code === 'NOT_FOUND' || code === '' ? { kind: 'unavailable', message } : { kind: 'not_found', message };
  if (status === 400 && code === 'QUERY_INVALID' && (error?.details ?? []).some((d) => String(d.field).startsWith('querystring')))
    return { kind: 'unavailable', message };
  return { kind: 'failed', message };
}

export function apiPath(path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

export type Fetch = (input: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

/** GET one endpoint of this collector (same origin), with the report token when there is one. */
export async function apiGet<T>(
  fetcher: Fetch,
  path: string,
  query: Query,
  token: string | null,
  signal?: AbortSignal,
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null && token !== '') headers['authorization'] = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetcher(apiPath(path, query), { headers, ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    if (signal?.aborted === true) throw error;
    return { kind: 'failed', message: `the collector could not be reached (${error instanceof Error ? error.message : String(error)})` };
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 200)
    return body === null ? { kind: 'failed', message: 'the collector answered 200 without JSON' } : { kind: 'ok', value: body as T };
  return classify(response.status, body);
}
