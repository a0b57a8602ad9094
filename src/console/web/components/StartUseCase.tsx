/**
 * Starting a use case on an object: a dialog asks for what it needs (the profile for "Enroll
 * profile" on an asset, optionally the asset on a profile), then the progress shows where it
 * went — the process, and a link to the Tasklist task when the next step is the caller's.
 */
import { useState } from 'react';
import { Modal, Select, SelectItem, Stack } from '@carbon/react';
import { api, query } from '../api';
import type { Row } from '../collections';
import { ErrorNotice } from './ErrorNotice';
import { useApi } from './useApi';

export interface Offer {
  symbolicName: string;
  label: string;
  available: boolean;
  reason?: string;
}

export interface Started {
  useCase: string;
  processInstanceKey: string;
  tasklistUrl: string;
}

interface Props {
  collectionName: string;
  object: Row;
  objectTitle: string;
  offer: Offer;
  onClose(): void;
  onStarted(started: Started, label: string): void;
}

/** What the start needs besides the object. */
function needs(collectionName: string, offer: Offer): 'profile' | 'asset' | null {
  if (offer.symbolicName !== 'AssetsProcEnrollProfile') return null;
  return collectionName === 'assets' ? 'profile' : collectionName === 'certificate-profiles' ? 'asset' : null;
}

export function StartUseCase({ collectionName, object, objectTitle, offer, onClose, onStarted }: Props) {
  const need = needs(collectionName, offer);
  const choices = useApi<{ items: Row[] }>(
    need === 'profile' ? `/api/certificate-profiles${query({ state: 'Active', limit: 100 })}` : need === 'asset' ? `/api/assets${query({ state: 'Active', limit: 100 })}` : null,
  );
  const [choice, setChoice] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function start() {
    if (need === 'profile' && !choice) return setError('Choose the certificate profile to enroll.');
    setBusy(true);
    setError(null);
    try {
      const body = need === 'profile' ? { profileId: Number(choice) } : need === 'asset' && choice ? { assetId: Number(choice) } : {};
      const started = await api<Started>('POST', `/api/${collectionName}/${object.id}/use-cases/${offer.symbolicName}`, body);
      onStarted(started, offer.label);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  return (
    <Modal
      open
      modalHeading={`${offer.label}: ${objectTitle}`}
      primaryButtonText={busy ? 'Starting…' : `Start ${offer.label.toLowerCase()}`}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={busy}
      onRequestSubmit={() => void start()}
      onRequestClose={onClose}
      shouldSubmitOnEnter={false}
    >
      <Stack gap={5}>
        <p>
          This starts the use case <strong>{offer.label}</strong> ({offer.symbolicName}) on {objectTitle}. Its next steps are tasks in Camunda Tasklist; the console shows
          where it goes.
        </p>
        {need === 'profile' && (
          <Select id="start-profile" labelText="Certificate profile to enroll" value={choice} onChange={(e) => setChoice(e.target.value)} invalid={!!error && !choice} invalidText="Choose a profile">
            <SelectItem value="" text={choices.loading ? 'Loading profiles…' : 'Choose an active profile'} />
            {(choices.data?.items ?? []).map((p) => (
              <SelectItem key={p.id} value={String(p.id)} text={`${String(p.name)} (${String(p.protocol)})`} />
            ))}
          </Select>
        )}
        {need === 'asset' && (
          <Select id="start-asset" labelText="Asset (optional: otherwise chosen in the process)" value={choice} onChange={(e) => setChoice(e.target.value)}>
            <SelectItem value="" text="No asset now" />
            {(choices.data?.items ?? []).map((a) => (
              <SelectItem key={a.id} value={String(a.id)} text={String(a.name)} />
            ))}
          </Select>
        )}
        {choices.error && <ErrorNotice error={choices.error} />}
        {error && <ErrorNotice title="Not started" error={error} />}
      </Stack>
    </Modal>
  );
}
