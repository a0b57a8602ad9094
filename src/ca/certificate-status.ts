/**
 * Revoke, hold and release: status changes of issued certificates, each in one transaction
 * with its idempotency record and the revision the CRL watches.
 */
import { atomically, type Queryable } from '../store/db';
import type { CertificateStatusResult, RevokeRequest, StatusChangeRequest } from './connector';
import type { CaContext } from './context';
import { CaError, CaErrorCode } from './errors';
import { checkIdempotencyKey, fingerprint, lockKey, recordOperation, storedOperation } from './idempotency';
import { checkRevocationReason, type CertificateStatus, type RevocationReason } from './revocation';

interface StatusRow {
  serial: string;
  status: CertificateStatus;
  revocation_reason: RevocationReason | 'certificateHold' | null;
  revoked_at: Date | null;
}

/** Canonical serial: lower-case hex, no separators, no leading zero bytes. */
export function normalizeSerial(input: string): string {
  let hex = String(input).replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || hex.length > 42) {
    throw new CaError(CaErrorCode.CERTIFICATE_NOT_FOUND, `"${input}" is not a certificate serial number (hexadecimal).`, { serialNumber: input });
  }
  if (hex.length % 2) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}

const toResult = (row: StatusRow, replayed: boolean): CertificateStatusResult => ({
  serialNumber: row.serial,
  status: row.status,
  ...(row.revocation_reason ? { reason: row.revocation_reason } : {}),
  ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at) } : {}),
  replayed,
});

async function load(q: Queryable, serial: string, forUpdate: boolean): Promise<StatusRow> {
  const { rows } = await q.query<StatusRow>(
    `SELECT serial, status, revocation_reason, revoked_at FROM ca_certificates WHERE serial = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [serial],
  );
  if (!rows[0]) {
    throw new CaError(CaErrorCode.CERTIFICATE_NOT_FOUND, `No certificate with serial number ${serial} was issued by this CA.`, { serialNumber: serial });
  }
  return rows[0];
}

type Operation = 'revoke' | 'hold' | 'release';

/** Decides the new status, or refuses the transition (the certificate stays as it was). */
function transition(op: Operation, row: StatusRow, reason?: RevocationReason): Pick<StatusRow, 'status' | 'revocation_reason'> {
  if (row.status === 'revoked') {
    throw new CaError(
      CaErrorCode.CERTIFICATE_ALREADY_REVOKED,
      `Certificate ${row.serial} is already revoked (${row.revocation_reason ?? 'unspecified'}); revocation cannot be changed or undone.`,
      { serialNumber: row.serial },
    );
  }
  if (op === 'revoke') return { status: 'revoked', revocation_reason: reason! };
  if (op === 'hold') {
    if (row.status === 'hold') {
      throw new CaError(CaErrorCode.CERTIFICATE_ALREADY_ON_HOLD, `Certificate ${row.serial} is already on hold.`, { serialNumber: row.serial });
    }
    return { status: 'hold', revocation_reason: 'certificateHold' };
  }
  if (row.status !== 'hold') {
    throw new CaError(CaErrorCode.CERTIFICATE_NOT_ON_HOLD, `Certificate ${row.serial} is not on hold, so it cannot be released.`, { serialNumber: row.serial });
  }
  return { status: 'valid', revocation_reason: null };
}

async function change(ctx: CaContext, op: Operation, request: StatusChangeRequest, reason?: RevocationReason): Promise<CertificateStatusResult> {
  checkIdempotencyKey(request.idempotencyKey);
  const serial = normalizeSerial(request.serialNumber);
  const fp = fingerprint({ op, serial, reason });
  return atomically(ctx.db, async (tx) => {
    await lockKey(tx, request.idempotencyKey);
    const earlier = await storedOperation<StatusRow>(tx, request.idempotencyKey, op, fp);
    if (earlier) return toResult(earlier, true);
    const next = transition(op, await load(tx, serial, true), reason);
    const { rows } = await tx.query<StatusRow>(
      `UPDATE ca_certificates SET status = $2, revocation_reason = $3, revoked_at = CASE WHEN $2 = 'valid' THEN NULL ELSE $4::timestamptz END
        WHERE serial = $1 RETURNING serial, status, revocation_reason, revoked_at`,
      [serial, next.status, next.revocation_reason, ctx.now()],
    );
    // The CRL is rebuilt when this revision moves (see crl-service.ts).
    await tx.query("UPDATE ca_authorities SET revocation_revision = revocation_revision + 1 WHERE role = 'issuing'");
    await recordOperation(tx, request.idempotencyKey, op, fp, rows[0]);
    return toResult(rows[0]!, false);
  });
}

/** Revokes with an RFC 5280 reason. */
export async function revoke(ctx: CaContext, request: RevokeRequest): Promise<CertificateStatusResult> {
  return change(ctx, 'revoke', request, checkRevocationReason(request.reason));
}

/** Puts a valid certificate on hold. */
export async function hold(ctx: CaContext, request: StatusChangeRequest): Promise<CertificateStatusResult> {
  return change(ctx, 'hold', request);
}

/** Releases a held certificate. */
export async function release(ctx: CaContext, request: StatusChangeRequest): Promise<CertificateStatusResult> {
  return change(ctx, 'release', request);
}

/** The current status of a certificate. */
export async function status(ctx: CaContext, serialNumber: string): Promise<CertificateStatusResult> {
  return toResult(await load(ctx.db, normalizeSerial(serialNumber), false), false);
}
