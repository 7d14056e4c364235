// Small pieces every page uses: links that navigate without reloading, the "updated N s ago"
// line, and the messages for what a page could not show.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { ApiResult } from './api.js';
import { ago } from './format.js';
import { useNow, useSession } from './session.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  const { navigate } = useSession();
  return (
    <a
      href={props.href}
      class={props.class}
      onClick={(event) => {
        // A new tab or window is the browser's business.
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export function Updated(props: { generatedAtUnixMs: number; loadedAt: number | null }) {
  const now = useNow();
  return (
    <p class="updated" aria-live="off">
      Updated {ago(props.loadedAt ?? props.generatedAtUnixMs, now)}; reloads every few seconds while this tab is visible.
    </p>
  );
}

/** A part of the page this collector cannot give (its endpoint or parameter is missing). */
export function NotAvailable(props: { what: string }) {
  return <p class="not-available">{props.what}: not available from this collector.</p>;
}

/** What a failed load says instead of the page; null when there is a value to show. */
export function Problem<T>(props: { result: ApiResult<T> | null; what: string }) {
  const { unauthorized } = useSession();
  const { result } = props;
  useEffect(() => {
    if (result?.kind === 'unauthorized') unauthorized(result.message);
  }, [result]);
  if (result === null)
    return (
      <p class="loading" role="status">
        Loading {props.what}…
      </p>
    );
  if (result.kind === 'ok') return null;
  if (result.kind === 'unauthorized') return null;
  return (
    <p class="problem" role="alert">
      {result.kind === 'not_found' ? 'Not found' : 'Could not load'} {props.what}: {result.message}
    </p>
  );
}
