/**
 * Admin: the options of each use case (approval step and approver group, enabled, approvers'
 * addresses) and the card types' additional commands. Each change is saved through the admin
 * API, which records who changed what and when; the history is shown under each.
 */
import { useState } from 'react';
import {
  Accordion,
  AccordionItem,
  Button,
  Heading,
  InlineLoading,
  SkeletonText,
  Stack,
  TextInput,
  Tile,
  Toggle,
} from '@carbon/react';
import { USE_CASES } from '../../../domain/use-cases';
import { api, type Me } from '../api';
import { formatDate } from '../collections';
import { ErrorNotice } from '../components/ErrorNotice';
import { ListTable } from '../components/ListTable';
import { Notice } from '../components/Notice';
import { useApi } from '../components/useApi';

interface Options {
  useCase: string;
  enabled: boolean;
  approvalStep: boolean;
  approverGroup: string;
  approverEmails: string[];
  updatedBy: string | null;
  updatedAt: string | null;
}

interface Command {
  cardTypeId: string;
  command: string;
  label: string;
  enabled: boolean;
  updatedBy: string | null;
  updatedAt: string;
}

interface Change {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  actor: string;
  at: string;
}

const CARD_TYPES = ['smart-card', 'virtual-smart-card'];

function changed(c: Change): string {
  return Object.keys(c.after)
    .filter((k) => JSON.stringify(c.before[k]) !== JSON.stringify(c.after[k]))
    .map((k) => `${k}: ${JSON.stringify(c.before[k] ?? null)} → ${JSON.stringify(c.after[k])}`)
    .join('; ');
}

function History({ path, version }: { path: string; version: number }) {
  const history = useApi<Change[]>(`${path}?v=${version}`);
  if (history.error) return <ErrorNotice error={history.error} />;
  if (!history.data) return <InlineLoading description="Loading the history…" />;
  if (history.data.length === 0) return <p className="console-none">No change yet.</p>;
  return <ListTable label="Changes" size="xs" headers={['When', 'Who', 'Change']} rows={[...history.data].reverse().map((c, i) => ({ key: i, cells: [formatDate(c.at), c.actor, changed(c)] }))} />;
}

function UseCaseOptions({ initial }: { initial: Options }) {
  const def = USE_CASES.find((u) => u.symbolicName === initial.useCase)!;
  const [saved, setSaved] = useState(initial);
  const [draft, setDraft] = useState({ ...initial, emails: initial.approverEmails.join(', ') });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const has = (o: string) => (def.options as readonly string[]).includes(o);

  async function save() {
    setBusy(true);
    setError(null);
    setNote(null);
    const body: Record<string, unknown> = {};
    if (has('enabled')) body.enabled = draft.enabled;
    if (has('approvalStep')) body.approvalStep = draft.approvalStep;
    if (has('approverGroup')) body.approverGroup = draft.approverGroup.trim();
    if (has('approverEmails'))
      body.approverEmails = draft.emails
        .split(/[,\s]+/)
        .map((e) => e.trim())
        .filter(Boolean);
    try {
      const now = await api<Options>('PUT', `/api/admin/options/${def.symbolicName}`, body);
      setSaved(now);
      setDraft({ ...now, emails: now.approverEmails.join(', ') });
      setNote(`Saved by ${now.updatedBy ?? 'you'}; it applies to the next ${def.label.toLowerCase()} that starts.`);
      setVersion((v) => v + 1);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const id = def.symbolicName;
  return (
    <Tile className="console-admin-tile" id={`options-${id}`}>
      <Stack gap={5}>
        <Heading className="console-subtitle">
          {def.label} <span className="console-symbolic">{id}</span>
        </Heading>
        {has('enabled') && <Toggle id={`${id}-enabled`} labelText="Enabled" labelA="Off" labelB="On" toggled={draft.enabled} onToggle={(v: boolean) => setDraft({ ...draft, enabled: v })} />}
        {has('approvalStep') && (
          <Toggle id={`${id}-approval`} labelText="Approval step" labelA="Off" labelB="On" toggled={draft.approvalStep} onToggle={(v: boolean) => setDraft({ ...draft, approvalStep: v })} />
        )}
        {has('approverGroup') && (
          <TextInput id={`${id}-group`} labelText="Approver group" helperText="Members of this group decide the approvals" value={draft.approverGroup} onChange={(e) => setDraft({ ...draft, approverGroup: e.target.value })} />
        )}
        {has('approverEmails') && (
          <TextInput id={`${id}-emails`} labelText="Approvers' email addresses" helperText="Separated by commas; told when a request waits" value={draft.emails} onChange={(e) => setDraft({ ...draft, emails: e.target.value })} />
        )}
        <p className="console-none">{saved.updatedBy ? `Last changed by ${saved.updatedBy} on ${formatDate(saved.updatedAt)}` : 'Defaults; never changed.'}</p>
        {busy ? <InlineLoading description="Saving…" /> : <Button size="md" onClick={() => void save()}>{`Save ${def.label.toLowerCase()} options`}</Button>}
        {note && <Notice kind="success" title="Saved" text={note} onClose={() => setNote(null)} />}
        {error && <ErrorNotice title="Not saved" error={error} />}
        <Accordion>
          <AccordionItem title="Changes">
            <History path={`/api/admin/options/${id}/history`} version={version} />
          </AccordionItem>
        </Accordion>
      </Stack>
    </Tile>
  );
}

function CardTypeCommands({ type }: { type: string }) {
  const commands = useApi<Command[]>(`/api/admin/card-types/${type}/commands`);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = commands.reload;

  async function set(c: Command, enabled: boolean) {
    setBusy(c.command);
    setError(null);
    try {
      await api('PUT', `/api/admin/card-types/${type}/commands/${c.command}`, { enabled });
      reload();
      setVersion((v) => v + 1);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  }
  if (commands.error) return <ErrorNotice error={commands.error} />;
  if (!commands.data) return <SkeletonText />;
  return (
    <Tile className="console-admin-tile">
      <Stack gap={5}>
        <Heading className="console-subtitle">Card type {type}</Heading>
        {commands.data.length === 0 && <p className="console-none">No additional commands.</p>}
        {commands.data.map((c) => (
          <Stack key={c.command} gap={3}>
            <Toggle
              id={`${type}-${c.command}`}
              labelText={`${c.label} (${c.command})`}
              labelA="Off"
              labelB="On"
              toggled={c.enabled}
              disabled={busy !== null}
              onToggle={(v: boolean) => void set(c, v)}
            />
            <p className="console-none">{c.updatedBy ? `Last changed by ${c.updatedBy} on ${formatDate(c.updatedAt)}` : 'Never changed.'}</p>
            <Accordion>
              <AccordionItem title="Changes">
                <History path={`/api/admin/card-types/${type}/commands/${c.command}/history`} version={version} />
              </AccordionItem>
            </Accordion>
          </Stack>
        ))}
        {error && <ErrorNotice title="Not changed" error={error} />}
      </Stack>
    </Tile>
  );
}

export function AdminPage({ me }: { me: Me }) {
  const options = useApi<Options[]>(me.isAdmin ? '/api/admin/options' : null);
  if (!me.isAdmin) return <ErrorNotice title="Admins only" error={`${me.username} is not an admin: this page is for members of the admin group (workplace-pki-admin).`} />;
  return (
    <Stack gap={7}>
      <Heading className="console-title">Admin</Heading>
      <p className="console-lead">Options are read when a process starts: a change applies to the next start, with no code and no redeploy. Every change is recorded with who made it.</p>
      {options.error && <ErrorNotice error={options.error} />}
      <section aria-label="Use case options" className="console-admin-grid">
        {options.data ? options.data.map((o) => <UseCaseOptions key={o.useCase} initial={o} />) : !options.error && <SkeletonText paragraph lineCount={6} />}
      </section>
      <Heading className="console-subtitle">Card-type commands</Heading>
      <section aria-label="Card-type commands" className="console-admin-grid">
        {CARD_TYPES.map((t) => (
          <CardTypeCommands key={t} type={t} />
        ))}
      </section>
    </Stack>
  );
}
