import { useCallback, useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { client, errorText, permissionsOf, Permissions, statusOf, type Me } from './api';
import { Loading, ErrorMessage } from './components';
import { BASE, currentPath, NavigateContext, useNavigate } from './router';
import { SignIn } from './pages/SignIn';
import { ConnectionList } from './pages/ConnectionList';
import { CreateConnection } from './pages/CreateConnection';
import { AcceptInvitation } from './pages/AcceptInvitation';
import { EditConnection } from './pages/EditConnection';
import { Invitations } from './pages/Invitations';
import { PermissionsPage } from './pages/Permissions';
import { useLiveConnection } from './live';

interface Session {
  me: Me;
  permissions: Set<string>;
}

export function App() {
  const [path, setPath] = useState(currentPath());
  const [session, setSession] = useState<Session | null>();
  const [loadError, setLoadError] = useState<string>();
  const live = useLiveConnection(!!session);

  const navigate = useCallback((to: string) => {
    window.history.pushState(null, '', `${BASE}${to}`);
    setPath(currentPath());
    window.scrollTo(0, 0);
  }, []);

  useEffect(() => {
    const onPop = () => setPath(currentPath());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const loadSession = useCallback(async () => {
    try {
      const me = (await client.getMe()) as unknown as Me;
      setSession({ me, permissions: await permissionsOf(me) });
      setLoadError(undefined);
    } catch (err) {
      if (statusOf(err) === 401) setSession(null);
      else setLoadError(errorText(err));
    }
  }, []);

  useEffect(() => {
    void loadSession();
  }, [loadSession]);

  const signOut = async () => {
    try {
      await client.logout();
    } finally {
      setSession(null);
      navigate('/');
    }
  };

  let body: ReactNode;
  if (loadError) body = <ErrorMessage>Could not reach the server: {loadError}</ErrorMessage>;
  else if (session === undefined) body = <Loading what="your session" />;
  else if (session === null) body = <SignIn onSignedIn={loadSession} />;
  else body = <Page path={path} session={session} />;

  return (
    <NavigateContext.Provider value={navigate}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Connected Workspaces</span>
        {session && (
          <nav aria-label="Console">
            <ul>
              {session.permissions.has(Permissions.secureConnections) && <NavLink to="/" label="Connections" path={path} />}
              {session.permissions.has(Permissions.sharedChannels) && <NavLink to="/invitations" label="Channel invitations" path={path} />}
              {session.permissions.has(Permissions.system) && <NavLink to="/permissions" label="Permissions" path={path} />}
            </ul>
          </nav>
        )}
        {session && (
          <div className="user">
            <span className="live" role="status" title="Changes from the server appear at once; otherwise pages refresh every few seconds">
              {live ? 'Live' : 'Refreshing every 5 s'}
            </span>
            <span>
              Signed in as <strong>{session.me.username}</strong>
            </span>
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </NavigateContext.Provider>
  );
}

function NavLink({ to, label, path }: { to: string; label: string; path: string }) {
  const navigate = useNavigate();
  const current =
    to === '/' ? path === '/' || path.startsWith('/connections') || path === '/new' || path === '/accept' : path.startsWith(to);
  return (
    <li>
      <Link to={to} aria-current={current ? 'page' : undefined} onNavigate={navigate}>
        {label}
      </Link>
    </li>
  );
}

/** A real link (middle click, copy address) that navigates in place on a plain click. */
export function Link(props: {
  to: string;
  children: ReactNode;
  className?: string;
  onNavigate?: (to: string) => void;
  'aria-current'?: 'page';
}) {
  const navigate = useNavigate();
  const go = props.onNavigate ?? navigate;
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(props.to);
  };
  return (
    <a href={`${BASE}${props.to}`} className={props.className} onClick={onClick} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

function Page({ path, session }: { path: string; session: Session }) {
  const can = (p: string) => session.permissions.has(p);
  const headingRef = useRef<HTMLDivElement>(null);
  // Moves focus to the new page's heading so that keyboard and screen reader users land on it.
  useEffect(() => {
    headingRef.current?.querySelector('h1')?.focus();
  }, [path]);
  let page: ReactNode;
  const connection = /^\/connections\/([a-z0-9]+)$/.exec(path);
  if (path === '/invitations') page = can(Permissions.sharedChannels) ? <Invitations /> : <NotAllowed />;
  else if (path === '/permissions') page = can(Permissions.system) ? <PermissionsPage /> : <NotAllowed />;
  else if (!can(Permissions.secureConnections)) page = can(Permissions.sharedChannels) ? <Invitations /> : <NotAllowed />;
  else if (path === '/new') page = <CreateConnection />;
  else if (path === '/accept') page = <AcceptInvitation />;
  else if (connection) page = <EditConnection remoteId={connection[1]} canShare={can(Permissions.sharedChannels)} />;
  else page = <ConnectionList />;
  return <div ref={headingRef}>{page}</div>;
}

function NotAllowed() {
  return (
    <section>
      <h1 tabIndex={-1}>No access</h1>
      <p>
        Your account does not have the permissions this console needs (Manage Secure Connections or Manage Shared Channels). Ask a system
        administrator to grant them.
      </p>
    </section>
  );
}
