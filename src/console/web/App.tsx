/**
 * The console's frame: Carbon's UI shell (the header Camunda's web apps have), the sign-in, and
 * the view for the address. Admin is in the navigation only for admins (the API refuses
 * everyone else anyway).
 */
import { useCallback, useEffect, useState, type MouseEvent } from 'react';
import {
  Content,
  Header,
  HeaderGlobalBar,
  HeaderMenuItem,
  HeaderName,
  HeaderNavigation,
  InlineLoading,
  SkipToContent,
  Button,
} from '@carbon/react';
import { api, hasCredentials, onSignedOut, signOut, type Me } from './api';
import { followLink, useLocation } from './router';
import { SignIn } from './pages/SignIn';
import { FindPage } from './pages/Find';
import { ObjectPage } from './pages/ObjectPage';
import { RequestsPage } from './pages/Requests';
import { CertificatesPage } from './pages/Certificates';
import { SecretLinkPage, SecretLinksPage } from './pages/SecretLinks';
import { AdminPage } from './pages/Admin';
import { ErrorNotice } from './components/ErrorNotice';
import { collection } from './collections';

const NAV = [
  { to: '/console/find', label: 'Find' },
  { to: '/console/requests', label: 'Requests' },
  { to: '/console/certificates', label: 'Certificates' },
  { to: '/console/secret-links', label: 'One-time links' },
];

function View({ me, path }: { me: Me; path: string }) {
  const parts = path.split('/').slice(2); // after /console
  const [first, second] = parts;
  if (!first || first === 'find') return <FindPage />;
  if (first === 'requests' && !second) return <RequestsPage />;
  if (first === 'certificates' && !second) return <CertificatesPage />;
  if (first === 'secret-links') return second ? <SecretLinkPage id={second} /> : <SecretLinksPage />;
  if (first === 'admin') return <AdminPage me={me} />;
  if (collection(first) && second && parts.length === 2) return <ObjectPage collectionName={first} id={second} me={me} />;
  return <ErrorNotice error={`There is no console page at ${path}.`} />;
}

export function App() {
  const { path } = useLocation();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(hasCredentials());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => onSignedOut(() => setMe(null)), []);
  useEffect(() => {
    if (!hasCredentials()) return;
    api<Me>('GET', '/api/me')
      .then(setMe, (err: Error) => setError(err.message))
      .finally(() => setChecking(false));
  }, []);
  const nav = useCallback((e: MouseEvent, to: string) => followLink(e, to), []);

  const items = me?.isAdmin ? [...NAV, { to: '/console/admin', label: 'Admin' }] : NAV;
  return (
    <>
      <Header aria-label="Workplace PKI console">
        <SkipToContent />
        <HeaderName href="/console/find" prefix="Workplace PKI" onClick={(e: MouseEvent) => nav(e, '/console/find')}>
          Console
        </HeaderName>
        {me && (
          <HeaderNavigation aria-label="Console pages">
            {items.map((i) => (
              <HeaderMenuItem key={i.to} href={i.to} isActive={path.startsWith(i.to)} onClick={(e: MouseEvent) => nav(e, i.to)}>
                {i.label}
              </HeaderMenuItem>
            ))}
          </HeaderNavigation>
        )}
        {me && (
          <HeaderGlobalBar>
            <span className="console-user" title={me.groups.join(', ')}>
              {me.displayName || me.username}
              {me.isAdmin ? ' (admin)' : ''}
            </span>
            <Button kind="ghost" size="sm" className="console-signout" onClick={() => signOut()}>
              Sign out
            </Button>
          </HeaderGlobalBar>
        )}
      </Header>
      <Content id="main-content" className="console-content">
        {checking ? (
          <InlineLoading description="Signing in…" />
        ) : me ? (
          <View me={me} path={path} />
        ) : (
          <SignIn initialError={error} onSignedIn={setMe} />
        )}
      </Content>
    </>
  );
}
