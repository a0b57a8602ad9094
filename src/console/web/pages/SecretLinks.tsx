/**
 * One-time links: the page a link from a form opens. It says what the secret is and shows it
 * only when its owner presses the button — once; afterwards, or when it expired, it says so
 * plainly. Looking never uses a link up (the API's GET is read-only).
 */
import { useState } from 'react';
import { Button, CodeSnippet, Heading, InlineLoading, SkeletonText, Stack, Tile } from '@carbon/react';
import { api, ApiError, saveBlob } from '../api';
import { formatDate } from '../collections';
import { ErrorNotice } from '../components/ErrorNotice';
import { ListTable } from '../components/ListTable';
import { Notice } from '../components/Notice';
import { useApi } from '../components/useApi';
import { Link } from '../router';

type Kind = 'pkcs12' | 'acme-eab' | 'scep-challenge';

interface LinkInfo {
  id: string;
  kind: Kind;
  subjectRef: string;
  createdAt: string;
  expiresAt: string;
  state: 'waiting' | 'used' | 'expired';
  usedAt: string | null;
  redeemedBy: string | null;
  redeemedFrom: string | null;
}

interface Shown {
  kind: Kind;
  password?: string;
  fileName?: string;
  pkcs12?: string;
  keyId?: string;
  hmacKey?: string;
  challengePassword?: string;
  [field: string]: unknown;
}

const TITLE: Record<Kind, string> = {
  pkcs12: 'PKCS#12 password and file',
  'acme-eab': 'ACME External Account Binding',
  'scep-challenge': 'SCEP challenge password',
};
const ACTION: Record<Kind, string> = {
  pkcs12: 'Show the password and download the file',
  'acme-eab': 'Show the credentials',
  'scep-challenge': 'Show the challenge password',
};
const FIELD: Record<string, string> = { password: 'Password', keyId: 'Key id', hmacKey: 'HMAC key', challengePassword: 'Challenge password' };

function base64ToBlob(b64: string): Blob {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: 'application/x-pkcs12' });
}

function Gone({ link, detail }: { link?: LinkInfo; detail?: string }) {
  const expired = link?.state === 'expired';
  return (
    <Tile className="console-gone">
      <Stack gap={4}>
        <Heading className="console-subtitle">{expired ? 'This one-time link has expired' : 'This one-time link has been used'}</Heading>
        {link && !expired && (
          <p>
            It was shown on {formatDate(link.usedAt)}
            {link.redeemedBy ? ` to ${link.redeemedBy}` : ''}
            {link.redeemedFrom ? ` from ${link.redeemedFrom}` : ''}. A secret is shown only once: it is gone and cannot be shown again.
          </p>
        )}
        {link && expired && <p>It expired on {formatDate(link.expiresAt)} without being opened; the secret is gone.</p>}
        {detail && <p>{detail}</p>}
        <p>If you did not note it, start the enrollment again to get a new one. If someone else used it, tell your PKI team.</p>
      </Stack>
    </Tile>
  );
}

export function SecretLinkPage({ id }: { id: string }) {
  const info = useApi<LinkInfo>(`/api/secret-links/${encodeURIComponent(id)}`);
  const [shown, setShown] = useState<Shown | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; gone: boolean } | null>(null);

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      const s = await api<Shown>('POST', `/api/secret-links/${encodeURIComponent(id)}`);
      setShown(s);
      if (s.kind === 'pkcs12' && s.pkcs12) saveBlob(base64ToBlob(s.pkcs12), s.fileName ?? 'certificate.p12');
    } catch (err) {
      setError({ message: (err as Error).message, gone: err instanceof ApiError && err.status === 410 });
    } finally {
      setBusy(false);
    }
  }

  const link = info.data;
  return (
    <Stack gap={6}>
      <Heading className="console-title">{link ? TITLE[link.kind] : 'One-time link'}</Heading>
      {info.error && <ErrorNotice title="No such link for you" error={`${info.error} A one-time link opens only for the person it was made for, signed in as them.`} />}
      {!link && !info.error && <SkeletonText paragraph lineCount={3} />}
      {link && (
        <p>
          For <code>{link.subjectRef}</code>; made {formatDate(link.createdAt)}, expires {formatDate(link.expiresAt)}.
        </p>
      )}
      {shown ? (
        <Stack gap={5}>
          <Notice kind="warning" title="Shown once" text="Note it now: it cannot be shown again, not even to you." />
          {Object.entries(shown)
            .filter(([k]) => FIELD[k])
            .map(([k, v]) => (
              <div key={k}>
                <p className="console-label">{FIELD[k]}</p>
                <CodeSnippet type="single" feedback="Copied" aria-label={FIELD[k]} className="console-secret">
                  {String(v)}
                </CodeSnippet>
              </div>
            ))}
          {shown.kind === 'pkcs12' && shown.pkcs12 && (
            <Button kind="tertiary" onClick={() => saveBlob(base64ToBlob(shown.pkcs12!), shown.fileName ?? 'certificate.p12')}>
              Save {shown.fileName ?? 'the PKCS#12 file'} again
            </Button>
          )}
        </Stack>
      ) : link && link.state !== 'waiting' ? (
        <Gone link={link} />
      ) : error?.gone ? (
        <Gone detail={error.message} />
      ) : link ? (
        <Stack gap={5}>
          <p>
            It is shown <strong>once</strong>: after you press the button, nobody can show it again. Have somewhere safe to note it.
          </p>
          {busy ? <InlineLoading description="Opening…" /> : <Button onClick={() => void reveal()}>{ACTION[link.kind]}</Button>}
          {error && <ErrorNotice error={error.message} />}
        </Stack>
      ) : null}
    </Stack>
  );
}

/** The signed-in person's one-time links. */
export function SecretLinksPage() {
  const links = useApi<LinkInfo[]>('/api/secret-links');
  return (
    <Stack gap={5}>
      <Heading className="console-title">Your one-time links</Heading>
      <p className="console-lead">Secrets made for you by your enrollments. Each is shown once, then it is gone.</p>
      {links.error && <ErrorNotice error={links.error} />}
      <ListTable
        label="Your one-time links"
        headers={['What', 'For', 'Expires', 'State']}
        rows={(links.data ?? []).map((l) => ({
          key: l.id,
          cells: [<Link to={`/console/secret-links/${l.id}`}>{TITLE[l.kind]}</Link>, l.subjectRef, formatDate(l.expiresAt), l.state],
        }))}
        empty={links.data ? 'You have no one-time links.' : undefined}
      />
    </Stack>
  );
}
