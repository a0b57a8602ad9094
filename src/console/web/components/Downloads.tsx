import { useState } from 'react';
import { Button, ButtonSet, InlineLoading } from '@carbon/react';
import { download } from '../api';
import { ErrorNotice } from './ErrorNotice';

const FORMATS = [
  { format: 'pem', label: 'PEM', file: 'certificate.pem' },
  { format: 'der', label: 'DER', file: 'certificate.cer' },
  { format: 'chain', label: 'Chain', file: 'certificate-chain.pem' },
] as const;

/** PEM, DER and the chain of an issued certificate (signed in: a certificate names its holder). */
export function CertificateDownloads({ id, compact }: { id: number; compact?: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function get(format: string, file: string) {
    setBusy(format);
    setError(null);
    try {
      await download(`/api/certificates/${id}/download?format=${format}`, file);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  }
  return (
    <div>
      <ButtonSet>
        {FORMATS.map((f) => (
          <Button key={f.format} kind={compact ? 'ghost' : 'tertiary'} size="sm" disabled={busy !== null} onClick={() => void get(f.format, f.file)} aria-label={`Download certificate ${id} as ${f.label}`}>
            {busy === f.format ? <InlineLoading description="Downloading…" /> : `Download ${f.label}`}
          </Button>
        ))}
      </ButtonSet>
      {error && <ErrorNotice error={error} />}
    </div>
  );
}
