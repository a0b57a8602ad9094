/**
 * Where a started use case went, asked again every few seconds until it needs someone, ends or
 * stops on an incident: the user tasks waiting (with a direct Tasklist link for the caller's own),
 * or who else it waits for.
 */
import { useEffect, useState } from 'react';
import { Button, InlineLoading, Stack, Tile } from '@carbon/react';
import { api } from '../api';
import { CsrUpload, describeCsr, type CsrAccepted } from './CsrUpload';
import { Notice } from './Notice';

export interface ProcessProgress {
  processInstanceKey: string;
  processDefinitionId: string | null;
  state: 'STARTING' | 'ACTIVE' | 'COMPLETED' | 'TERMINATED' | 'CANCELED';
  incidents: string[];
  /** Why the use case was refused at one of its steps (issue 18.8), else null. */
  refusal: string | null;
  /** The request it created, once it has (a P10 enrollment's CSR is uploaded on it). */
  requestId: number | null;
  tasks: Array<{ userTaskKey: string; name: string; elementId: string; assignee: string | null; candidateGroups: string[]; forYou: boolean; tasklistUrl: string; processDefinitionId: string }>;
}

const POLL_MS = 1500;
/** The P10 enrollment's "Upload CSR" (bpmn/AssetsSubProcEnrollP10Profile.bpmn): offered here as a file upload too. */
const UPLOAD_CSR_TASK = 'Task_UploadCsr';
const GIVE_UP_MS = 120_000;

export function Progress({ processInstanceKey, label, onSettled }: { processInstanceKey: string; label: string; onSettled(): void }) {
  const [progress, setProgress] = useState<ProcessProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gaveUp, setGaveUp] = useState(false);
  const [uploaded, setUploaded] = useState<CsrAccepted | null>(null);
  // A CSR uploaded here moves the process on: follow it again, even after the first round gave up.
  const [round, setRound] = useState(0);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const until = Date.now() + GIVE_UP_MS;
    setGaveUp(false);
    let last = '';
    const ask = async () => {
      try {
        const p = await api<ProcessProgress>('GET', `/api/processes/${processInstanceKey}`);
        if (!live) return;
        setProgress(p);
        setError(null);
        const settled = p.state === 'COMPLETED' || p.state === 'TERMINATED' || p.state === 'CANCELED' || p.incidents.length > 0 || p.tasks.length > 0;
        // The object's page is refreshed when the process moved on (a task came or went, it ended), not on every ask.
        const now = `${p.state}|${p.tasks.map((t) => t.userTaskKey).join(',')}|${p.incidents.length}`;
        if (settled && now !== last) onSettled();
        last = now;
        // A task or an incident needs a person: keep asking, more slowly, so the page follows them.
        if (p.state === 'COMPLETED' || p.state === 'TERMINATED' || p.state === 'CANCELED') return;
      } catch (err) {
        if (!live) return;
        setError((err as Error).message);
      }
      if (Date.now() > until) return setGaveUp(true);
      timer = setTimeout(() => void ask(), POLL_MS);
    };
    void ask();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [processInstanceKey, onSettled, round]);

  const waiting = progress?.tasks ?? [];
  const mine = waiting.filter((t) => t.forYou);
  const others = waiting.filter((t) => !t.forYou);
  return (
    <Tile className="console-progress" aria-live="polite">
      <Stack gap={4}>
        <h3 className="console-subtitle">
          {label}: process {processInstanceKey}
        </h3>
        {!progress && !error && <InlineLoading description="Started; waiting for the engine to show it…" />}
        {progress?.state === 'STARTING' && <InlineLoading description="Started; the engine has not shown it yet…" />}
        {progress?.state === 'ACTIVE' && waiting.length === 0 && progress.incidents.length === 0 && <InlineLoading description="Running…" />}
        {progress?.state === 'COMPLETED' && !progress.refusal && <InlineLoading status="finished" description="Done: the process has completed." />}
        {progress?.state === 'COMPLETED' && progress.refusal && (
          <Notice kind="warning" title="Refused: nothing was done" text={progress.refusal} />
        )}
        {(progress?.state === 'CANCELED' || progress?.state === 'TERMINATED') && <InlineLoading status="error" description="The process was cancelled." />}
        {uploaded && <Notice kind="success" title="CSR uploaded" text={describeCsr(uploaded)} />}
        {mine.map((t) => (
          <div key={t.userTaskKey} className="console-next-step">
            <Notice kind="info" title={`Next step for you: ${t.name}`} text="It waits for you in Camunda Tasklist." />
            <Button href={t.tasklistUrl} target="_blank" rel="noopener" kind="primary" size="md">
              Open “{t.name}” in Tasklist
            </Button>
            {t.elementId === UPLOAD_CSR_TASK && progress?.requestId ? (
              <CsrUpload
                key={t.userTaskKey}
                requestId={progress.requestId}
                showOutcome={false}
                onUploaded={(accepted) => {
                  setUploaded(accepted);
                  setRound((r) => r + 1);
                }}
              />
            ) : null}
          </div>
        ))}
        {others.map((t) => (
          <p key={t.userTaskKey} className="console-waiting">
            Waiting for “{t.name}”{t.assignee ? ` by ${t.assignee}` : t.candidateGroups.length ? ` by a member of ${t.candidateGroups.join(', ')}` : ''}.
          </p>
        ))}
        {progress?.incidents.map((m, i) => (
          <Notice key={i} kind="error" title="The process stopped on an incident" text={`${m} — an administrator resolves it in Camunda Operate.`} />
        ))}
        {error && <Notice kind="warning" title="Cannot follow the process right now" text={error} />}
        {gaveUp && waiting.length === 0 && <p>It is still running; look for it again later on this page or in Tasklist.</p>}
      </Stack>
    </Tile>
  );
}
