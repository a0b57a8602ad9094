/**
 * Serves the current CRL: the newest stored one while no certificate status changed and it is
 * younger than half its validity; otherwise a new one with the next CRL number.
 */
import { atomically } from '../store/db';
import type { CurrentCrl } from './connector';
import type { CaContext } from './context';
import { buildCrl, type RevokedEntry } from './crl';
import { toPem } from './x509';

interface CrlRow {
  crl_number: string;
  revocation_revision: string;
  this_update: Date;
  next_update: Date;
  crl_der: Buffer;
}

const toCurrent = (row: CrlRow): CurrentCrl => ({
  der: row.crl_der,
  pem: toPem(row.crl_der, 'X509 CRL'),
  number: Number(row.crl_number),
  thisUpdate: row.this_update,
  nextUpdate: row.next_update,
});

const LATEST = 'SELECT crl_number, revocation_revision, this_update, next_update, crl_der FROM ca_crls ORDER BY crl_number DESC LIMIT 1';

function fresh(ctx: CaContext, row: CrlRow | undefined, revision: string): boolean {
  if (!row || row.revocation_revision !== revision) return false;
  return ctx.now().getTime() < row.this_update.getTime() + ctx.crlValidityMs / 2;
}

/** The current CRL, signed by the issuing CA. */
export async function currentCrl(ctx: CaContext): Promise<CurrentCrl> {
  // Fast path without locks: most calls are served from the stored CRL.
  const revision = (await ctx.db.query<{ r: string }>("SELECT revocation_revision AS r FROM ca_authorities WHERE role = 'issuing'")).rows[0]!.r;
  const latest = (await ctx.db.query<CrlRow>(LATEST)).rows[0];
  if (fresh(ctx, latest, revision)) return toCurrent(latest!);

  return atomically(ctx.db, async (tx) => {
    // Locking the issuing row orders us with status changes: each one bumps the revision under
    // the same row lock, so the entries read below are exactly those of `locked` revision.
    const locked = (await tx.query<{ r: string }>("SELECT revocation_revision AS r FROM ca_authorities WHERE role = 'issuing' FOR UPDATE")).rows[0]!.r;
    const again = (await tx.query<CrlRow>(LATEST)).rows[0];
    if (fresh(ctx, again, locked)) return toCurrent(again!);

    const now = ctx.now();
    now.setUTCMilliseconds(0);
    const { rows } = await tx.query<{ serial: string; revoked_at: Date; revocation_reason: RevokedEntry['reason'] }>(
      "SELECT serial, revoked_at, revocation_reason FROM ca_certificates WHERE status <> 'valid' AND not_after > $1 ORDER BY revoked_at, serial",
      [now],
    );
    const crl = await buildCrl(
      {
        number: again ? Number(again.crl_number) + 1 : 1,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + ctx.crlValidityMs),
        entries: rows.map((r) => ({ serialHex: r.serial, revokedAt: r.revoked_at, reason: r.revocation_reason })),
      },
      ctx.issuing,
    );
    await tx.query('INSERT INTO ca_crls (crl_number, revocation_revision, this_update, next_update, crl_der) VALUES ($1, $2, $3, $4, $5)', [
      crl.number, locked, crl.thisUpdate, crl.nextUpdate, crl.der,
    ]);
    return { der: crl.der, pem: crl.pem, number: crl.number, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate };
  });
}
