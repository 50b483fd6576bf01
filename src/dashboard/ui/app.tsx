import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { AccountAnswer, BindingAnswer, IdentityAnswer, Overview } from '../api-types.js';
import { ApiError, follow, getJson, type StreamState, token } from './api.js';
import { AccountPage, BindingPage, IdentityPage } from './detail.js';
import { type Filters, NO_FILTERS, OverviewPage } from './overview.js';

type Route =
  | { page: 'overview'; filters: Filters }
  | { page: 'identity' | 'binding' | 'account'; apiPath: string };

type Loaded =
  | { page: 'overview'; data: Overview }
  | { page: 'identity'; data: IdentityAnswer }
  | { page: 'binding'; data: BindingAnswer }
  | { page: 'account'; data: AccountAnswer };

function parseRoute(hash: string): Route {
  const [path = '/', query = ''] = hash.replace(/^#/, '').split('?');
  if (/^\/namespaces\/[^/]+\/workloadidentities\/[^/]+$/.test(path))
    return { page: 'identity', apiPath: path };
  if (/^\/namespaces\/[^/]+\/identitybindings\/[^/]+$/.test(path)) return { page: 'binding', apiPath: path };
  if (/^\/cloudaccounts\/[^/]+$/.test(path)) return { page: 'account', apiPath: path };
  const params = new URLSearchParams(query);
  const filters = { ...NO_FILTERS };
  for (const key of Object.keys(NO_FILTERS) as (keyof Filters)[]) filters[key] = params.get(key) ?? '';
  return { page: 'overview', filters };
}

function hashOf(filters: Filters): string {
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  const query = params.toString();
  return query ? `#/?${query}` : '#/';
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** Re-renders every `ms`, so relative times move on between updates. */
function useTick(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick;
}

function SignIn({ problem, onToken }: { problem?: string; onToken: (value: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <section class="panel sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in with a Kubernetes token</h2>
      <p>
        This dashboard shows what your RBAC lets you <code>list</code>. Paste a bearer token, for example from{' '}
        <code>kubectl create token SERVICEACCOUNT -n NAMESPACE</code>. It is kept in this tab only.
      </p>
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label for="token">Bearer token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={value}
          onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}

const STREAM_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Reconnecting…',
};

export function App() {
  const route = useRoute();
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [revision, setRevision] = useState(0);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [signedIn, setSignedIn] = useState(0);
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>();
  useTick(30_000);
  const heading = useRef<HTMLElement | null>(null);

  const routeKey = route.page === 'overview' ? hashOf(route.filters) : route.apiPath;

  useEffect(() => {
    const abort = new AbortController();
    const load = async (): Promise<Loaded> => {
      if (route.page === 'overview') {
        const query = new URLSearchParams(Object.entries(route.filters).filter(([, v]) => v !== ''));
        const data = await getJson<Overview>(`/overview${query.size ? `?${query}` : ''}`, abort.signal);
        return { page: 'overview', data };
      }
      if (route.page === 'identity')
        return { page: 'identity', data: await getJson<IdentityAnswer>(route.apiPath, abort.signal) };
      if (route.page === 'binding')
        return { page: 'binding', data: await getJson<BindingAnswer>(route.apiPath, abort.signal) };
      return { page: 'account', data: await getJson<AccountAnswer>(route.apiPath, abort.signal) };
    };
    load().then(
      (result) => {
        setLoaded(result);
        setError(undefined);
        setUpdatedAt(new Date());
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(String(err), 0));
      },
    );
    return () => abort.abort();
  }, [routeKey, revision, signedIn]);

  const authorized = error?.status !== 401 && error?.status !== 403;
  useEffect(() => {
    if (!authorized) return;
    return follow(setRevision, setStream, setError);
  }, [authorized, signedIn]);

  // Keyboard and screen-reader users land on the new page's heading.
  useEffect(() => {
    if (route.page !== 'overview') heading.current?.querySelector<HTMLElement>('#detail-title')?.focus();
  }, [routeKey, loaded?.page]);

  const onFilter = useCallback(
    (name: keyof Filters, value: string) => {
      if (route.page !== 'overview') return;
      history.replaceState(null, '', hashOf({ ...route.filters, [name]: value }));
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
    [routeKey],
  );

  const signIn = (value: string) => {
    token.set(value);
    setError(undefined);
    setSignedIn((n) => n + 1);
  };
  const signOut = () => {
    token.clear();
    setLoaded(undefined);
    setError(new ApiError('Signed out.', 401));
  };

  const user = loaded?.page === 'overview' ? loaded.data.user : undefined;
  const now = Date.now();
  let body = null;
  if (error?.status === 401) {
    body = <SignIn problem={token.get() ? error.message : undefined} onToken={signIn} />;
  } else if (error?.status === 403) {
    body = (
      <section class="panel" aria-labelledby="forbidden-title">
        <h2 id="forbidden-title">Nothing to show</h2>
        <p class="error" role="alert">
          {error.message}
        </p>
        <button type="button" onClick={signOut}>
          Use another token
        </button>
      </section>
    );
  } else if (error && !loaded) {
    body = (
      <p class="error" role="alert">
        {error.message}
      </p>
    );
  } else if (!loaded || loaded.page !== route.page) {
    body = <p class="muted">Loading…</p>;
  } else if (loaded.page === 'overview' && route.page === 'overview') {
    body = <OverviewPage overview={loaded.data} now={now} filters={route.filters} onFilter={onFilter} />;
  } else if (loaded.page === 'identity') {
    body = <IdentityPage answer={loaded.data} now={now} />;
  } else if (loaded.page === 'binding') {
    body = <BindingPage answer={loaded.data} now={now} />;
  } else if (loaded.page === 'account') {
    body = <AccountPage answer={loaded.data} now={now} />;
  }

  return (
    <>
      <a href="#main" class="skip">
        Skip to content
      </a>
      <header class="top">
        <h1>
          <a href="#/">Keyless</a>
        </h1>
        <span class="subtitle">identities, grants and drift</span>
        <div class="top-right">
          {authorized ? (
            <span class={`live live-${stream}`} role="status" aria-live="polite">
              <span class="dot" aria-hidden="true" />
              {STREAM_TEXT[stream]}
              {updatedAt ? <span class="muted"> · updated {updatedAt.toLocaleTimeString()}</span> : null}
            </span>
          ) : null}
          {user ? <span class="user">{user}</span> : null}
          {token.get() && authorized ? (
            <button type="button" class="link-button" onClick={signOut}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <main
        id="main"
        tabIndex={-1}
        ref={(el) => {
          heading.current = el;
        }}
      >
        {error && loaded && authorized ? (
          <p class="error" role="alert">
            {error.message}
          </p>
        ) : null}
        {body}
      </main>
    </>
  );
}
