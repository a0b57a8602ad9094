/**
 * One object: its attributes and state, its relations as links, its audit history, and the use
 * cases on it — available ones as buttons, unavailable ones with the reason.
 */
import { useCallback, useState, type ReactNode } from 'react';
import {
  Button,
  Heading,
  InlineLoading,
  Section,
  SkeletonText,
  Stack,
  StructuredListBody,
  StructuredListCell,
  StructuredListRow,
  StructuredListWrapper,
} from '@carbon/react';
import type { Me } from '../api';
import { collection, formatDate, objectPath, RELATION_FIELDS, type Row } from '../collections';
import { RequestCsrUpload } from '../components/CsrUpload';
import { CertificateDownloads } from '../components/Downloads';
import { ErrorNotice } from '../components/ErrorNotice';
import { ListTable } from '../components/ListTable';
import { StateTag } from '../components/ObjectSearch';
import { Progress } from '../components/Progress';
import { StartUseCase, type Offer, type Started } from '../components/StartUseCase';
import { useApi } from '../components/useApi';
import { Link } from '../router';

interface AuditEntry {
  fromState: string | null;
  toState: string;
  actor: string;
  at: string;
  processInstanceKey: string | null;
  reason: string | null;
}

type View = Row & { history: AuditEntry[]; useCases: Offer[]; certificates?: Row[]; relations?: Row[] };

const HIDDEN = new Set(['history', 'useCases', 'certificates', 'relations', 'pem', 'id', 'state']);

function words(key: string): string {
  const s = key.replace(/([A-Z])/g, ' $1').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function Value({ field, value }: { field: string; value: unknown }) {
  if (value === null || value === undefined || value === '') return <span className="console-none">—</span>;
  const target = RELATION_FIELDS[field];
  if (target && (typeof value === 'number' || typeof value === 'string')) return <Link to={objectPath(target, value)}>{`${collection(target)!.singular} ${value}`}</Link>;
  if (Array.isArray(value)) return <>{value.length ? value.join(', ') : <span className="console-none">none</span>}</>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  if (typeof value === 'object') return <code className="console-json">{JSON.stringify(value, null, 1)}</code>;
  if (/At$|^not(Before|After)$/.test(field) && typeof value === 'string') return <>{formatDate(value)}</>;
  return <>{String(value)}</>;
}

/** A part of the page under its own heading, which names it for screen readers. */
function Part({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Section as="section" aria-labelledby={id}>
      <Heading id={id} className="console-subtitle">
        {title}
      </Heading>
      {children}
    </Section>
  );
}

export function ObjectPage({ collectionName, id }: { collectionName: string; id: string; me: Me }) {
  const c = collection(collectionName)!;
  const view = useApi<View>(`/api/${collectionName}/${encodeURIComponent(id)}`);
  const [starting, setStarting] = useState<Offer | null>(null);
  const [started, setStarted] = useState<{ key: string; label: string } | null>(null);
  const reload = view.reload;
  const settled = useCallback(() => reload(), [reload]);

  if (view.error) return <ErrorNotice error={view.error} />;
  if (!view.data) return <SkeletonText paragraph lineCount={6} />;
  const obj = view.data;
  const title = `${c.singular} ${obj.id}: ${c.title(obj)}`;
  const attributes = Object.entries(obj).filter(([k]) => !HIDDEN.has(k));
  // A P10 enrollment that has not reached approval or issuance may wait for its CSR (issue 18.13).
  const mayWaitForCsr =
    collectionName === 'requests' && obj.type === 'enrollment' && obj.state === 'Registered' && (obj.details as { protocol?: unknown } | undefined)?.protocol === 'P10';

  return (
    <Stack gap={7}>
      <div className="console-object-head">
        <Heading className="console-title">{title}</Heading>
        <StateTag state={obj.state} />
        {view.loading && <InlineLoading description="Refreshing…" />}
      </div>

      <Part id="use-cases" title="Use cases">
        {obj.useCases.length === 0 && <p>No use case starts on this object.</p>}
        <div className="console-use-cases">
          {obj.useCases.map((u) => (
            <div key={u.symbolicName} className="console-use-case">
              <Button kind="primary" size="md" disabled={!u.available} onClick={() => setStarting(u)}>
                {u.label}
              </Button>
              {!u.available && <p className="console-reason">Not available: {u.reason}</p>}
            </div>
          ))}
        </div>
        {starting && (
          <StartUseCase
            collectionName={collectionName}
            object={obj}
            objectTitle={title}
            offer={starting}
            onClose={() => setStarting(null)}
            onStarted={(s: Started, label) => {
              setStarting(null);
              setStarted({ key: s.processInstanceKey, label });
            }}
          />
        )}
        {started && <Progress key={started.key} processInstanceKey={started.key} label={started.label} onSettled={settled} />}
      </Part>

      {mayWaitForCsr && (
        <Part id="csr" title="Certificate signing request">
          <RequestCsrUpload requestId={obj.id} onUploaded={settled} />
        </Part>
      )}

      <Part id="attributes" title="Attributes">
        <StructuredListWrapper isCondensed aria-label="Attributes">
          <StructuredListBody>
            {attributes.map(([k, v]) => (
              <StructuredListRow key={k}>
                <StructuredListCell noWrap>{words(k)}</StructuredListCell>
                <StructuredListCell>
                  <Value field={k} value={v} />
                </StructuredListCell>
              </StructuredListRow>
            ))}
          </StructuredListBody>
        </StructuredListWrapper>
        {collectionName === 'certificates' && obj.pem ? <CertificateDownloads id={obj.id} /> : null}
      </Part>

      {(obj.certificates || obj.relations) && (
        <Part id="relations" title="Relations">
          <ListTable
            label="Relations"
            size="sm"
            headers={['Related', 'What', 'State']}
            rows={[
              ...(obj.certificates ?? []).map((cert) => ({
                key: `c${cert.id}`,
                cells: [<Link to={objectPath('certificates', cert.id)}>{`Certificate ${cert.id}`}</Link>, String(cert.subject), <StateTag state={cert.state} />],
              })),
              ...(obj.relations ?? []).map((r) => {
                const target = r.relatedType === 'certificate' ? 'certificates' : r.relatedType === 'asset' ? 'assets' : null;
                const name = `${words(String(r.relatedType))} ${String(r.relatedId)}`;
                return { key: `r${r.id}`, cells: [target ? <Link to={objectPath(target, String(r.relatedId))}>{name}</Link> : name, 'card relation', <StateTag state={r.state} />] };
              }),
            ]}
            empty="No related objects."
          />
        </Part>
      )}

      <Part id="history" title="History">
        <ListTable
          label="History"
          size="sm"
          headers={['When', 'Who', 'From', 'To', 'Why', 'Process']}
          rows={obj.history.map((h, i) => ({ key: i, cells: [formatDate(h.at), h.actor, h.fromState ?? '—', h.toState, h.reason ?? '', h.processInstanceKey ?? ''] }))}
        />
      </Part>
      <p>
        <Link to={`/console/find?in=${collectionName}`}>Back to {c.label.toLowerCase()}</Link>
      </p>
    </Stack>
  );
}
