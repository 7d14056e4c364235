// What every page shares: the report token (kept in sessionStorage: gone with the tab), the
// filters in the address, client-side navigation (History API), and a poller that reloads a
// page's data every few seconds while the tab is visible.

import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { apiGet, type ApiResult, type Query } from './api.js';
import { filterSearch, type Filters } from './location.js';

export const TOKEN_KEY = 'shadowdiff.reportToken';
/** How often the pages reload while the tab is visible. */
export const POLL_MS = 5000;

export interface Session {
  token: string | null;
  filters: Filters;
  navigate(href: string): void;
  setFilters(filters: Filters): void;
  /** A 401: the app asks for the token instead of the page. */
  unauthorized(message: string): void;
  get<T>(path: string, query: Query, signal?: AbortSignal): Promise<ApiResult<T>>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside the app');
  return session;
}

export function makeSession(
  token: string | null,
  filters: Filters,
  navigate: (href: string) => void,
  unauthorized: (message: string) => void,
): Session {
  return {
    token,
    filters,
    navigate,
    setFilters: (next) => navigate(`${window.location.pathname}${filterSearch(next)}`),
    unauthorized,
    get: (path, query, signal) => apiGet((input, init) => fetch(input, init), path, query, token, signal),
  };
}

export interface Polled<T> {
  value: T | null;
  /** when the value was loaded (browser clock) */
  loadedAt: number | null;
}

/**
 * Loads now, then every POLL_MS while the tab is visible (and at once when it becomes visible
 * again). A new `key` starts over. The value is replaced in place, so the page keeps its focus
 * and scroll while numbers change.
 */
export function usePolled<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ value: null, loadedAt: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    setState({ value: null, loadedAt: null });
    const controller = new AbortController();
    let timer: number | undefined;
    let running = false;
    const run = async (): Promise<void> => {
      window.clearTimeout(timer);
      if (document.hidden || running) return;
      running = true;
      try {
        const value = await loadRef.current(controller.signal);
        if (!controller.signal.aborted) setState({ value, loadedAt: Date.now() });
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        running = false;
      }
      if (!controller.signal.aborted) timer = window.setTimeout(() => void run(), POLL_MS);
    };
    const onVisible = (): void => {
      if (!document.hidden) void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key]);
  return state;
}

/** The current time, ticking every second: for "updated N s ago". */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}
