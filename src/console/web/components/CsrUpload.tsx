/**
 * "Upload CSR" of a P10 enrollment as a file (issue 18.13): Camunda 8.6's Tasklist form takes
 * pasted PEM only, so the file the server produced (PEM or DER) is posted to
 * /api/requests/<id>/csr, which checks it and completes the task as the signed-in user.
 */
import { useState } from 'react';
import { Button, FileUploader, InlineLoading, Stack } from '@carbon/react';
import { api } from '../api';
import { Notice } from './Notice';
import { useApi } from './useApi';

export interface CsrAccepted {
  requestId: number;
  userTaskKey: string;
  processInstanceKey: string;
  subject: string;
  commonName: string;
  dnsNames: string[];
  key: string;
}

interface CsrUploadState {
  waiting: boolean;
  forYou: boolean;
  assignee: string | null;
  candidateGroups: string[];
  tasklistUrl: string | null;
  refusal: string | null;
}

/** What was taken, in one line: subject, key and DNS names. */
export function describeCsr(a: CsrAccepted): string {
  return `${a.subject} (${a.key}${a.dnsNames.length ? `, DNS names ${a.dnsNames.join(', ')}` : ''})`;
}

/** The file input and its outcome, for a request whose "Upload CSR" waits for the caller. */
export function CsrUpload({ requestId, onUploaded, showOutcome = true }: { requestId: number; onUploaded?(accepted: CsrAccepted): void; showOutcome?: boolean }) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<CsrAccepted | null>(null);

  async function send() {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const accepted = await api<CsrAccepted>('POST', `/api/requests/${requestId}/csr`, file);
      setDone(accepted);
      setFile(null);
      onUploaded?.(accepted);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (done && !showOutcome) return null;
  if (done) return <Notice kind="success" title="CSR uploaded" text={`${describeCsr(done)}. Next: edit the server request in Tasklist.`} />;
  return (
    <Stack gap={3} className="console-csr-upload">
      <FileUploader
        labelTitle="Upload CSR"
        labelDescription="The certificate signing request your server produced: a PEM or DER file. Or paste the PEM in Tasklist."
        buttonLabel="Choose CSR file"
        buttonKind="tertiary"
        size="md"
        filenameStatus="edit"
        iconDescription="Remove the file"
        accept={['.csr', '.pem', '.der', '.req', '.p10', '.txt']}
        name="csr"
        onAddFiles={(_e, { addedFiles }) => {
          setFile(addedFiles[0] ?? null);
          setError(null);
        }}
        onDelete={() => setFile(null)}
      />
      <div>
        <Button kind="primary" size="md" disabled={!file || busy} onClick={() => void send()}>
          Upload CSR
        </Button>
      </div>
      {busy && <InlineLoading description="Uploading and checking the CSR…" />}
      {error && <Notice kind="error" title="The CSR was not taken" text={error} />}
    </Stack>
  );
}

/** On a P10 enrollment request's page: the upload while its "Upload CSR" waits, or for whom it waits. */
export function RequestCsrUpload({ requestId, onUploaded }: { requestId: number; onUploaded(): void }) {
  const state = useApi<CsrUploadState>(`/api/requests/${requestId}/csr`);
  const [uploaded, setUploaded] = useState(false);
  if (state.error) return <Notice kind="warning" title="Cannot tell whether it waits for its CSR" text={state.error} />;
  if (!state.data) return <InlineLoading description="Asking whether it waits for its CSR…" />;
  const s = state.data;
  // The engine's search shows a completed task for a few seconds more: after an upload, the outcome stays.
  if (!s.waiting && !uploaded) return null;
  if (!uploaded && !s.forYou) {
    return <p className="console-waiting">Waiting for its CSR (“Upload CSR”){s.assignee ? ` from ${s.assignee}` : s.candidateGroups.length ? ` from a member of ${s.candidateGroups.join(', ')}` : ''}.</p>;
  }
  return (
    <Stack gap={3}>
      {!uploaded && <p>This enrollment waits for its certificate signing request.</p>}
      {s.refusal && !uploaded && <Notice kind="warning" title="The CA refused the last CSR" text={s.refusal} />}
      <CsrUpload
        requestId={requestId}
        onUploaded={() => {
          setUploaded(true);
          onUploaded();
        }}
      />
    </Stack>
  );
}
