/**
 * What an ACME order does to the CA and the store: finalize issues through the same CA call as
 * P10 enrollment, inside one transaction with the store's certificate object — created
 * 'Certificate requested' on the registration's asset and profile, then 'Valid' with the
 * certificate — so the object, its history and the CRL know every ACME certificate. Revocation
 * goes the same way, as the lock use case does.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { isCaError } from '../ca/errors';
import type { RevocationReason } from '../ca/revocation';
import { certificateRecord, toCaProfile } from '../ca/store-profile';
import type { RevocationState } from '../domain/states';
import { getAsset } from '../store/assets';
import { createCertificate, getCertificate, lockCertificateFor, transitionCertificate } from '../store/certificates';
import { withTransaction } from '../store/db';
import type { CertificateProfile } from '../store/profiles';
import { AcmeProblem } from './problems';
import { orderById, setOrder, type AcmeAccount, type AcmeOrder } from './store';

/** The asset id of a registration's asset reference (`asset:<id>`); none for `certificate:<id>`. */
export function assetIdOf(assetRef: string): number | undefined {
  const m = /^asset:(\d+)$/.exec(assetRef);
  return m ? Number(m[1]) : undefined;
}

const actorOf = (account: AcmeAccount): string => `acme-account:${account.id}`;

/**
 * Finalizes a ready order with a CSR (DER): the CSR must name exactly the order's identifiers
 * and pass the profile's checks (the CA's own, as for P10).
 */
export async function finalizeOrder(
  deps: { pool: Pool; ca: CaConnector },
  input: { account: AcmeAccount; order: AcmeOrder; profile: CertificateProfile; assetRef: string; csr: Buffer },
): Promise<AcmeOrder> {
  const assetId = assetIdOf(input.assetRef);
  const asset = assetId ? await getAsset(deps.pool, assetId) : undefined;
  let caProfile: ReturnType<typeof toCaProfile>;
  try {
    caProfile = toCaProfile(input.profile, {
      organization: asset?.organization, organizationalUnit: asset?.organizationalUnit, locality: asset?.locality, country: asset?.country,
    });
  } catch (err) {
    throw new AcmeProblem('serverInternal', `The certificate profile cannot issue: ${(err as Error).message}`);
  }
  const review = await deps.ca.reviewCsr({ csr: input.csr, profile: caProfile }).catch((err: unknown) => {
    if (isCaError(err)) throw new AcmeProblem('badCSR', err.message);
    throw err;
  });
  const wanted = [...input.order.identifiers].sort();
  const named = [...new Set(review.dnsNames)].sort();
  if (wanted.join(',') !== named.join(',')) {
    throw new AcmeProblem('badCSR', `The CSR names ${named.join(', ') || 'no DNS name'}; the order is for ${wanted.join(', ')}.`);
  }
  const ctx = { actor: actorOf(input.account), reason: `ACME order ${input.order.id}` };
  try {
    await withTransaction(deps.pool, async (tx) => {
      const order = await orderById(tx, input.order.id, true);
      if (!order || order.status !== 'ready') throw new AcmeProblem('orderNotReady', `The order is '${order?.status}', not 'ready'.`);
      const cert = await createCertificate(
        tx,
        { state: 'Certificate requested', profileId: input.profile.id, assetId, subject: `CN=${review.commonName}`, dnsNames: review.dnsNames },
        ctx,
      );
      const issued = await deps.ca.within(tx).issueFromCsr({ idempotencyKey: `acme-order:${order.id}`, csr: input.csr, profile: caProfile });
      await transitionCertificate(tx, cert.id, 'Valid', ctx, certificateRecord(issued));
      await setOrder(tx, order.id, { status: 'valid', certificateId: cert.id, serial: issued.serialNumber });
    });
  } catch (err) {
    if (isCaError(err)) throw new AcmeProblem('badCSR', err.message);
    throw err;
  }
  return (await orderById(deps.pool, input.order.id))!;
}

/** ACME revocation reasons (RFC 5280 CRLReason codes) and what the store records for each. */
const REASONS: Readonly<Record<number, { ca: RevocationReason; store: RevocationState }>> = {
  // The store has no 'unspecified' state (spec 000): a subscriber that revokes without a reason has stopped using it.
  0: { ca: 'cessationOfOperation', store: 'Cessation of operation' },
  1: { ca: 'keyCompromise', store: 'Key compromised' },
  3: { ca: 'affiliationChanged', store: 'Affiliation changed' },
  4: { ca: 'superseded', store: 'Superseded' },
  5: { ca: 'cessationOfOperation', store: 'Cessation of operation' },
  9: { ca: 'privilegeWithdrawn', store: 'Privilege withdrawn' },
};

/** Revokes the certificate of an order at the CA and in the store, in one transaction. */
export async function revokeOrderCertificate(
  deps: { pool: Pool; ca: CaConnector },
  input: { order: AcmeOrder; reasonCode: number; actor: string },
): Promise<void> {
  const reason = REASONS[input.reasonCode];
  if (!reason) throw new AcmeProblem('badRevocationReason', `Revocation reason ${input.reasonCode} is not accepted; use 0, 1, 3, 4, 5 or 9.`);
  const certificateId = input.order.certificateId!;
  await withTransaction(deps.pool, async (tx) => {
    const cert = await getCertificate(tx, certificateId);
    if (cert.state !== 'Valid' && cert.state !== 'Certificate hold') throw new AcmeProblem('alreadyRevoked', `The certificate is '${cert.state}'.`);
    await lockCertificateFor(tx, certificateId, reason.store);
    await deps.ca.within(tx).revoke({ idempotencyKey: `acme-revoke:${input.order.serial}:${crypto.randomUUID()}`, serialNumber: input.order.serial!, reason: reason.ca });
    await transitionCertificate(tx, certificateId, reason.store, { actor: input.actor, reason: `revoked over ACME (reason ${input.reasonCode})` });
  });
}
