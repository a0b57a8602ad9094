/**
 * One object: its attributes and state, its relations as links, its audit history, and the use
 * cases on it — available ones as buttons, unavailable ones with the reason.
 */
import { useCallback, useState } from 'react';
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
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';
import type { Me } from '../api';
import { collection, formatDate, objectPath, RELATION_FIELDS, type Row } from '../collections';
import { CertificateDownloads } from '../components/Downloads';
import { ErrorNotice } from '../components/ErrorNotice';
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

  return (
    <Stack gap={7}>
      <div className="console-object-head">
        <Heading className="console-title">{title}</Heading>
        <StateTag state={obj.state} />
        {view.loading && <InlineLoading description="Refreshing…" />}
      </div>

      <Section as="section" aria-labelledby="use-cases">
        <Heading id="use-cases" className="console-subtitle">
          Use cases
        </Heading>
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
      </Section>

      <Section as="section" aria-labelledby="attributes">
        <Heading id="attributes" className="console-subtitle">
          Attributes
        </Heading>
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
      </Section>

      {(obj.certificates || obj.relations) && (
        <Section as="section" aria-labelledby="relations">
          <Heading id="relations" className="console-subtitle">
            Relations
          </Heading>
          <Table aria-label="Relations" size="sm">
            <TableHead>
              <TableRow>
                <TableHeader>Related</TableHeader>
                <TableHeader>What</TableHeader>
                <TableHeader>State</TableHeader>
              </TableRow>
            </TableHead>
            <TableBody>
              {(obj.certificates ?? []).map((cert) => (
                <TableRow key={`c${cert.id}`}>
                  <TableCell>
                    <Link to={objectPath('certificates', cert.id)}>{`Certificate ${cert.id}`}</Link>
                  </TableCell>
                  <TableCell>{String(cert.subject)}</TableCell>
                  <TableCell>
                    <StateTag state={cert.state} />
                  </TableCell>
                </TableRow>
              ))}
              {(obj.relations ?? []).map((r) => {
                const target = r.relatedType === 'certificate' ? 'certificates' : r.relatedType === 'asset' ? 'assets' : null;
                return (
                  <TableRow key={`r${r.id}`}>
                    <TableCell>{target ? <Link to={objectPath(target, String(r.relatedId))}>{`${words(String(r.relatedType))} ${String(r.relatedId)}`}</Link> : `${words(String(r.relatedType))} ${String(r.relatedId)}`}</TableCell>
                    <TableCell>card relation</TableCell>
                    <TableCell>
                      <StateTag state={r.state} />
                    </TableCell>
                  </TableRow>
                );
              })}
              {!obj.certificates?.length && !obj.relations?.length && (
                <TableRow>
                  <TableCell colSpan={3}>No related objects.</TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </Section>
      )}

      <Section as="section" aria-labelledby="history">
        <Heading id="history" className="console-subtitle">
          History
        </Heading>
        <Table aria-label="History" size="sm">
          <TableHead>
            <TableRow>
              <TableHeader>When</TableHeader>
              <TableHeader>Who</TableHeader>
              <TableHeader>From</TableHeader>
              <TableHeader>To</TableHeader>
              <TableHeader>Why</TableHeader>
              <TableHeader>Process</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {obj.history.map((h, i) => (
              <TableRow key={i}>
                <TableCell>{formatDate(h.at)}</TableCell>
                <TableCell>{h.actor}</TableCell>
                <TableCell>{h.fromState ?? '—'}</TableCell>
                <TableCell>{h.toState}</TableCell>
                <TableCell>{h.reason ?? ''}</TableCell>
                <TableCell>{h.processInstanceKey ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Section>
      <p>
        <Link to={`/console/find?in=${collectionName}`}>Back to {c.label.toLowerCase()}</Link>
      </p>
    </Stack>
  );
}
