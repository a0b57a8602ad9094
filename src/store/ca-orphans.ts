/**
 * Certificates the CA issued that no certificate object in the store holds ("orphans"), and
 * their revocation (issue 17.4). Since workers, ACME and SCEP call the built-in CA inside the
 * store's transaction, a certificate and its store object commit together and no new orphan can
 * appear; orphans come from databases written before that (a crash between the CA's commit and
 * the store's left valid certificates, with a PKCS#12 whose password nobody has). Nobody owns
 * them, so nobody would ever revoke them: this finds them and revokes them at the CA, and drops
 * any PKCS#12 still waiting for them.
 */
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { withTransaction, type Queryable } from './db';

export interface OrphanCertificate {
  serial: string;
  subject: string;
  origin: string;
  status: 'valid' | 'hold';
  issuedAt: Date;
  notAfter: Date;
}

export interface OrphanSearch {
  /**
   * Only certificates issued before this moment. A CA that keeps its state outside this database
   * cannot commit with the store, so a certificate it just issued may not be recorded yet: a
   * margin keeps such a certificate from being taken for an orphan.
   */
  issuedBefore: Date;
}

const ORPHANS = `
  SELECT c.serial, c.subject, c.origin, c.status, c.issued_at, c.not_after
    FROM ca_certificates c
   WHERE c.status <> 'revoked' AND c.not_after > now() AND c.issued_at < $1
     AND NOT EXISTS (SELECT 1 FROM certificates s WHERE s.serial = c.serial)`;

interface OrphanRow {
  serial: string;
  subject: string;
  origin: string;
  status: 'valid' | 'hold';
  issued_at: Date;
  not_after: Date;
}

const toOrphan = (r: OrphanRow): OrphanCertificate => ({ serial: r.serial, subject: r.subject, origin: r.origin, status: r.status, issuedAt: r.issued_at, notAfter: r.not_after });

/** Unexpired certificates, valid or on hold at the CA, that no certificate object holds. */
export async function findOrphanCertificates(q: Queryable, search: OrphanSearch): Promise<OrphanCertificate[]> {
  return (await q.query<OrphanRow>(`${ORPHANS} ORDER BY c.issued_at, c.serial`, [search.issuedBefore])).rows.map(toOrphan);
}

/**
 * Revokes each orphan at the CA (reason cessationOfOperation: the certificate is no longer
 * needed, nothing says its key was compromised) and drops its waiting PKCS#12, one transaction
 * per certificate: the row is locked and the orphan checked again first, so a certificate the
 * store has come to know meanwhile, or one revoked meanwhile, is left alone. Safe to run again
 * and from two processes at once. Returns what it revoked.
 */
export async function revokeOrphanCertificates(pool: Pool, ca: CaConnector, search: OrphanSearch): Promise<OrphanCertificate[]> {
  const revoked: OrphanCertificate[] = [];
  for (const candidate of await findOrphanCertificates(pool, search)) {
    const done = await withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<OrphanRow>(`${ORPHANS} AND c.serial = $2 FOR UPDATE OF c`, [search.issuedBefore, candidate.serial]);
      if (!rows[0]) return undefined;
      await ca.within(tx).revoke({ idempotencyKey: `orphan:${candidate.serial}`, serialNumber: candidate.serial, reason: 'cessationOfOperation' });
      await tx.query('UPDATE ca_pending_pkcs12 SET pkcs12_encrypted = NULL WHERE serial = $1 AND pkcs12_encrypted IS NOT NULL', [candidate.serial]);
      return toOrphan(rows[0]);
    });
    if (done) revoked.push(done);
  }
  return revoked;
}
