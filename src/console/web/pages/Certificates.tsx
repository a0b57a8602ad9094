/** Certificates: find one and download it (PEM, DER, chain); the CRL and the CA chain are public. */
import { Heading, Link as CarbonLink, Stack } from '@carbon/react';
import { collection } from '../collections';
import { CertificateDownloads } from '../components/Downloads';
import { ObjectSearch } from '../components/ObjectSearch';

export function CertificatesPage() {
  return (
    <Stack gap={5}>
      <Heading className="console-title">Certificates</Heading>
      <p className="console-lead">
        Revocation list: <CarbonLink href="/api/crl">CRL (DER)</CarbonLink> · <CarbonLink href="/api/crl?format=pem">CRL (PEM)</CarbonLink> · CA certificates:{' '}
        <CarbonLink href="/api/ca/chain">issuing and root CA (PEM)</CarbonLink>
      </p>
      <ObjectSearch
        collection={collection('certificates')!}
        actions={{ header: 'Download', render: (row) => (row.pem ? <CertificateDownloads id={row.id} compact /> : <span className="console-none">not issued</span>) }}
      />
    </Stack>
  );
}
