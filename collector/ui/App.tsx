// The app: which page the address names, the token, and navigation between pages without a
// reload (History API). On a page change the new page's heading takes the focus, so keyboard and
// screen-reader users land on it as they would after a full load.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link } from './common.js';
import { filtersOf, pageOf } from './location.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { PairPage } from './pages/PairPage.js';
import { RoutePage } from './pages/RoutePage.js';
import { makeSession, SessionContext, TOKEN_KEY } from './session.js';
import { TokenForm } from './TokenForm.js';

const currentAddress = (): { pathname: string; search: string } => ({ pathname: window.location.pathname, search: window.location.search });

export function App() {
  const [address, setAddress] = useState(currentAddress);
  const [token, setToken] = useState<string | null>(() => window.sessionStorage.getItem(TOKEN_KEY));
  const [refusal, setRefusal] = useState<string | null>(null);

  useEffect(() => {
    const onPop = (): void => setAddress(currentAddress());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const page = pageOf(address.pathname);
  const filters = useMemo(() => filtersOf(address.search), [address.search]);
  const session = useMemo(
    () =>
      makeSession(
        token,
        filters,
        (href) => {
          const samePage = new URL(href, window.location.href).pathname === window.location.pathname;
          window.history.pushState(null, '', href);
          setAddress(currentAddress());
          if (!samePage) {
            window.scrollTo(0, 0);
            // After the new page rendered.
            window.setTimeout(() => document.querySelector<HTMLElement>('main h1')?.focus(), 0);
          }
        },
        (message) => setRefusal(message),
      ),
    [token, filters],
  );

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header class="banner">
        <Link href="/" class="brand">
          shadowdiff
        </Link>
        <span class="tagline">the shadow version against live traffic</span>
        {token === null ? null : (
          <button
            type="button"
            class="forget"
            onClick={() => {
              window.sessionStorage.removeItem(TOKEN_KEY);
              setToken(null);
            }}
          >
            Forget the token
          </button>
        )}
      </header>
      <main id="main">
        {refusal !== null ? (
          <TokenForm
            message={refusal}
            onToken={(value) => {
              window.sessionStorage.setItem(TOKEN_KEY, value);
              setToken(value);
              setRefusal(null);
            }}
          />
        ) : page.kind === 'overview' ? (
          <OverviewPage />
        ) : page.kind === 'route' ? (
          <RoutePage key={page.route} route={page.route} />
        ) : page.kind === 'pair' ? (
          <PairPage key={page.id} id={page.id} />
        ) : (
          <>
            <h1 tabIndex={-1}>No such page</h1>
            <p>
              Nothing at <code>{page.path}</code>. <Link href="/">See all routes</Link>.
            </p>
          </>
        )}
      </main>
    </SessionContext.Provider>
  );
}
