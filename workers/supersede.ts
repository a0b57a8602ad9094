/**
 * Re-enrollment supersedes (issue 18.12; spec 000: "Superseded: the certificate will no longer be
 * used. A new request for a certificate has been done to replace the existing certificate"). When
 * a certificate is issued for an asset, the asset's earlier certificates of the same certificate
 * profile that are still in use ('Valid' or 'Certificate hold') are revoked at the CA with RFC 5280
 * reason superseded (they appear on the next CRL) and become 'Superseded' in the store, each with a
 * history row naming the certificate that replaces it — in the issuing transaction, so the new
 * certificate and the end of the old one commit together, or neither does.
 *
 * A certificate of another profile is not replaced (an asset may hold a TLS and a client
 * certificate side by side); one enrolled without an asset has nothing to be compared with. One
 * that the CA has already revoked for another reason is left as it is: that is a difference
 * between store and CA for an operator to look at (`npm run ca:reconcile` records the CA's
 * reason), not something a new enrollment may decide.
 */
import type { CaConnector } from '../src/ca/connector';
import { CaErrorCode, isCaError } from '../src/ca/errors';
import type { Queryable } from '../src/store/db';
import { transitionCertificate } from '../src/store/certificates';

export interface IssuedFor {
  id: number;
  profileId: number;
  assetId: number | null;
}

/** Supersedes the asset's earlier certificates of the same profile; returns the ids superseded. */
export async function supersedePrevious(
  tx: Queryable,
  atCa: CaConnector,
  issued: IssuedFor,
  ctx: { actor: string; processInstanceKey?: string },
  idempotencyKey: string,
): Promise<number[]> {
  if (issued.assetId === null) return [];
  const { rows } = await tx.query<{ id: number; serial: string }>(
    `SELECT id, serial FROM certificates
      WHERE asset_id = $1 AND profile_id = $2 AND id <> $3 AND state IN ('Valid', 'Certificate hold') AND serial IS NOT NULL
      ORDER BY id FOR UPDATE`,
    [issued.assetId, issued.profileId, issued.id],
  );
  const superseded: number[] = [];
  for (const old of rows) {
    // A certificate this CA never issued (imported) has nothing to revoke here; the store still records its end.
    const now = await atCa.status(old.serial).catch((err: unknown) => {
      if (isCaError(err) && err.code === CaErrorCode.CERTIFICATE_NOT_FOUND) return undefined;
      throw err;
    });
    if (now?.status === 'revoked' && now.reason !== 'superseded') continue;
    if (now && now.status !== 'revoked') await atCa.revoke({ idempotencyKey: `${idempotencyKey}:supersede:${old.serial}`, serialNumber: old.serial, reason: 'superseded' });
    await transitionCertificate(tx, old.id, 'Superseded', { ...ctx, reason: `superseded by certificate ${issued.id} (re-enrollment of the asset)` });
    superseded.push(old.id);
  }
  return superseded;
}
