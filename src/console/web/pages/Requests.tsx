/** Requests: the approval requests still open (Requested by default), and deleting one not yet decided. */
import { useState } from 'react';
import { Button, Heading, Modal } from '@carbon/react';
import { api } from '../api';
import { collection, type Row } from '../collections';
import { ErrorNotice } from '../components/ErrorNotice';
import { Notice } from '../components/Notice';
import { ObjectSearch } from '../components/ObjectSearch';

const UNDECIDED = new Set(['Registered', 'Requested']);

export function RequestsPage() {
  const [deleting, setDeleting] = useState<{ row: Row; reload(): void } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function confirm() {
    if (!deleting) return;
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', `/api/requests/${deleting.row.id}`);
      setDone(`Request ${deleting.row.id} was deleted and its process cancelled.`);
      deleting.reload();
      setDeleting(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <Heading className="console-title">Requests</Heading>
      <p className="console-lead">Approval requests and their state. Agents decide them in Tasklist; a request not yet decided can be deleted here.</p>
      {done && <Notice kind="success" title="Deleted" text={done} onClose={() => setDone(null)} />}
      <ObjectSearch
        collection={collection('requests')!}
        defaultState="Requested"
        title="Approval requests"
        actions={{
          header: 'Action',
          render: (row, reload) =>
            UNDECIDED.has(row.state) ? (
              <Button kind="danger--ghost" size="sm" onClick={() => (setError(null), setDeleting({ row, reload }))}>
                Delete request {row.id}
              </Button>
            ) : (
              <span className="console-none">decided</span>
            ),
        }}
      />
      {deleting && (
        <Modal
          open
          danger
          modalHeading={`Delete request ${deleting.row.id}?`}
          primaryButtonText={busy ? 'Deleting…' : 'Delete'}
          primaryButtonDisabled={busy}
          secondaryButtonText="Cancel"
          onRequestClose={() => setDeleting(null)}
          onRequestSubmit={() => void confirm()}
        >
          <p>
            The {String(deleting.row.type)} request by {String(deleting.row.requester)} is removed and its process cancelled; nobody can decide it afterwards.
          </p>
          {deleting.row.type === 'enrollment' && (
            <p>
              Its certificate ends too: rejected if not issued yet; revoked at the CA if it was issued already (a P12 whose installation is not confirmed yet), which cannot be undone.
            </p>
          )}
          {error && <ErrorNotice title="Not deleted" error={error} />}
        </Modal>
      )}
    </section>
  );
}
