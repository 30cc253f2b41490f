/**
 * The dashboard: the login form until a token is saved, then the shell (navigation, the page of
 * the current hash route, toasts). Logging out drops the token and closes the connection.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorText } from './api.js';
import type { Me } from './api-types.js';
import { ChatStore } from './chat-store.js';
import { type Dashboard, DashboardContext } from './context.js';
import { AgentsPage } from './pages/agents.js';
import { ApprovalsPage } from './pages/approvals.js';
import { AuditPage } from './pages/audit.js';
import { BudgetsPage } from './pages/budgets.js';
import { ChannelsPage } from './pages/channels.js';
import { ChatPage } from './pages/chat.js';
import { CheckpointsPage } from './pages/checkpoints.js';
import { ConfigPage } from './pages/config.js';
import { CostsPage } from './pages/costs.js';
import { HealthPage } from './pages/health.js';
import { MemoryPage } from './pages/memory.js';
import { SchedulesPage } from './pages/schedules.js';
import { SessionsPage } from './pages/sessions.js';
import { href, type Route, useRoute } from './router.js';
import {
  answerOffer,
  currentToken,
  dropToken,
  lastDropReason,
  offeredToken,
  onTokenChange,
  saveToken,
} from './session-token.js';
import { useStore } from './store.js';
import { dismissToast, toasts } from './toasts.js';

const PAGES: { id: string; label: string; render: (route: Route) => JSX.Element }[] = [
  { id: 'chat', label: 'Chat', render: () => <ChatPage /> },
  { id: 'sessions', label: 'Sessions', render: (route) => <SessionsPage selected={route.params[0]} /> },
  { id: 'agents', label: 'Agents', render: () => <AgentsPage /> },
  { id: 'approvals', label: 'Approvals', render: () => <ApprovalsPage /> },
  { id: 'schedules', label: 'Schedules', render: (route) => <SchedulesPage selected={route.params[0]} /> },
  { id: 'memory', label: 'Memory', render: () => <MemoryPage /> },
  { id: 'channels', label: 'Channels', render: () => <ChannelsPage /> },
  { id: 'audit', label: 'Audit log', render: () => <AuditPage /> },
  { id: 'checkpoints', label: 'Checkpoints', render: () => <CheckpointsPage /> },
  { id: 'budgets', label: 'Budgets', render: () => <BudgetsPage /> },
  { id: 'costs', label: 'Costs', render: () => <CostsPage /> },
  { id: 'health', label: 'Health', render: () => <HealthPage /> },
  { id: 'config', label: 'Configuration', render: () => <ConfigPage /> },
];

export function App() {
  const [token, setToken] = useState(currentToken);
  const [offered, setOffered] = useState(offeredToken);
  useEffect(
    () =>
      onTokenChange(() => {
        setToken(currentToken());
        setOffered(offeredToken());
      }),
    [],
  );
  if (token) return <Shell key={token} token={token} />;
  return offered ? <ConfirmLogin key={offered} token={offered} /> : <Login />;
}

/**
 * A login link's token, before the tab takes it: who it signs in as, and a button to go on. A
 * link opened by another web page (its maker's code) would otherwise sign this tab in as its
 * maker, who then reads whatever is typed here.
 */
function ConfirmLogin(props: { token: string }) {
  const { me, problem } = useMe(props.token);
  const who = me ? `${me.user ?? 'no user'} (${me.role} token)` : 'this token';
  return (
    <main class="login" id="main">
      <div class="login-card" role="dialog" aria-labelledby="confirm-title">
        <h1 id="confirm-title">Oxydra</h1>
        {problem ? (
          <p class="error-text" role="alert">
            Cannot check the login link: {problem}
          </p>
        ) : (
          <p>
            A login link signs this tab in as <strong>{me === undefined ? '…' : who}</strong>. Continue only
            if you opened it yourself (<code>oxydra dashboard</code>).
          </p>
        )}
        <button
          type="button"
          class="primary"
          disabled={me === undefined || problem !== undefined}
          onClick={() => answerOffer(true)}
        >
          Continue
        </button>
        <button type="button" onClick={() => answerOffer(false)}>
          Cancel
        </button>
      </div>
    </main>
  );
}

/** Whether a token is good: /api/v1/me answers with it (else /v1/models, on gateways without /api/v1). */
async function checkToken(token: string): Promise<Me | null> {
  try {
    return await api<Me>('/api/v1/me', { token });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  await api('/v1/models', { token });
  return null;
}

/** Who a token is (/api/v1/me; null on gateways without it; undefined while asked), or why that failed. */
function useMe(token: string): { me: Me | null | undefined; problem: string | undefined } {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>();
  useEffect(() => {
    checkToken(token).then(setMe, (error: unknown) => setProblem(errorText(error)));
  }, [token]);
  return { me, problem };
}

function Login() {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | undefined>(lastDropReason);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = value.trim();
    if (!token) {
      setProblem('Enter the gateway token.');
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await checkToken(token);
      saveToken(token);
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.status === 401
          ? 'The gateway refused this token.'
          : `Cannot sign in: ${errorText(error)}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Oxydra</h1>
        <p class="muted">
          Sign in with the gateway token. Local gateways write it to{' '}
          <code>~/.config/oxydra/gateway-token</code>.
        </p>
        <label for="token">Gateway token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          // biome-ignore lint/a11y/noAutofocus: the login form is the whole page; the token is all it asks
          autoFocus
          value={value}
          onInput={(event) => setValue((event.target as HTMLInputElement).value)}
          aria-describedby={problem ? 'login-problem' : undefined}
          aria-invalid={problem ? true : undefined}
          required
        />
        {problem ? (
          <p id="login-problem" class="error-text" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p class="muted small">The token is kept in this tab only and is never put in a URL.</p>
      </form>
    </main>
  );
}

function Shell(props: { token: string }) {
  const { me, problem } = useMe(props.token);
  if (problem)
    return (
      <main class="login" id="main">
        <div class="login-card" role="alert">
          <h1>Oxydra</h1>
          <p class="error-text">Cannot reach the gateway: {problem}</p>
          <button type="button" onClick={() => dropToken()}>
            Sign in again
          </button>
        </div>
      </main>
    );
  if (me === undefined)
    return (
      <p class="muted center" aria-live="polite">
        Connecting…
      </p>
    );
  return <DashboardShell token={props.token} me={me} />;
}

function DashboardShell(props: { token: string; me: Me | null }) {
  const chat = useMemo(
    () => new ChatStore(props.token, props.me?.user ?? undefined),
    [props.token, props.me],
  );
  useEffect(() => () => chat.close(), [chat]);
  const dashboard: Dashboard = useMemo(() => ({ me: props.me, chat }), [props.me, chat]);
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const page = PAGES.find((candidate) => candidate.id === route.page);
  const first = useRef(true);
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    // After a navigation, screen readers and keyboards start at the new page's heading.
    document.getElementById('page-title')?.focus();
    document.title = `${page?.label ?? 'Not found'} · Oxydra`;
  }, [route.page, page]);
  const skip = () => document.getElementById('main')?.focus();
  // Escape folds the phone menu away and gives the focus back to its button.
  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setMenuOpen(false);
      (document.querySelector('.nav-toggle') as HTMLElement | null)?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);
  return (
    <DashboardContext.Provider value={dashboard}>
      <div class={`shell${menuOpen ? ' menu-open' : ''}`}>
        <button type="button" class="skip-link" onClick={skip}>
          Skip to content
        </button>
        <header class="topbar">
          <button
            type="button"
            class="nav-toggle"
            aria-expanded={menuOpen}
            aria-controls="nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
          <a class="brand" href={href('chat')}>
            Oxydra
          </a>
          <span class="who">{props.me ? `${whoIs(props.me)} · ${props.me.role}` : 'signed in'}</span>
          <button type="button" class="logout" onClick={() => dropToken()}>
            Log out
          </button>
        </header>
        <nav id="nav" aria-label="Dashboard">
          <ul>
            {PAGES.map((item) => (
              <li key={item.id}>
                <a
                  href={href(item.id)}
                  aria-current={item.id === page?.id ? 'page' : undefined}
                  onClick={() => setMenuOpen(false)}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {page ? (
            page.render(route)
          ) : (
            <section>
              <h1 id="page-title" tabIndex={-1}>
                Not found
              </h1>
              <p>
                There is no page “{route.page}”. <a href={href('chat')}>Go to the chat</a>.
              </p>
            </section>
          )}
        </main>
        <Toasts />
      </div>
    </DashboardContext.Provider>
  );
}

/** The token's user; tokens that act for every user (the owner's, an admin's) by their id. */
function whoIs(me: Me): string {
  if (me.user) return me.user;
  return me.token_id === 'owner' || !me.token_id ? 'owner' : `token ${me.token_id}`;
}

function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" aria-live="polite" aria-atomic="false">
      {list.map((item) => (
        <div
          key={item.id}
          class={`toast toast-${item.tone}`}
          role={item.tone === 'error' ? 'alert' : 'status'}
        >
          <span>{item.text}</span>
          <button type="button" aria-label="Dismiss" onClick={() => dismissToast(item.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
