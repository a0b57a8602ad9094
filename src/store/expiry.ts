/**
 * What the expiry watch (AssetsProcCertificateExpiry, issue 18.9) reads: certificates whose end of
 * validity has passed while the store still has them in use, and those that will expire within
 * the notice period, each with the address of whoever should hear of it.
 */
import type { Queryable } from './db';

/** States of a certificate in use: the ones that become 'Certificate expired' (spec 000) at notAfter. */
export const EXPIRING_STATES = ['Valid', 'Certificate hold'] as const;

export interface ExpiredCertificate {
  id: number;
  state: string;
  subject: string;
  serial: string | null;
  notAfter: Date;
}

/** Certificates in use whose notAfter is at or before `now`, oldest first, at most `limit`. */
export async function certificatesPastNotAfter(q: Queryable, now: Date, limit: number): Promise<ExpiredCertificate[]> {
  const { rows } = await q.query<ExpiredCertificate>(
    `SELECT id, state, subject, serial, not_after AS "notAfter" FROM certificates
      WHERE state = ANY($1) AND not_after IS NOT NULL AND not_after <= $2
      ORDER BY not_after, id LIMIT $3`,
    [EXPIRING_STATES, now, limit],
  );
  return rows;
}

export interface ExpiringCertificate extends ExpiredCertificate {
  /** Who is told: the requester of the enrollment that made it, else the asset's owner, else the card's holder. */
  recipient: string | null;
  /** Their name as the email greets them. */
  recipientName: string | null;
  assetName: string | null;
  cardSerialNumber: string | null;
  profileName: string;
}

/**
 * `Valid` certificates whose notAfter lies in (`now`, `until`], soonest first, at most `limit`,
 * each with its recipient. The holder's requester is the requester of the newest enrollment
 * request that carries the certificate (spec 001: the requester hears of their request); a
 * certificate made without a request (seeded, imported) goes to its asset's owner or its card's
 * holder.
 */
export async function certificatesExpiringBetween(q: Queryable, now: Date, until: Date, limit: number): Promise<ExpiringCertificate[]> {
  const { rows } = await q.query<ExpiringCertificate>(
    `SELECT c.id, c.state, c.subject, c.serial, c.not_after AS "notAfter",
            COALESCE(r.requester_email, a.owner_email, k.holder_email) AS recipient,
            CASE WHEN r.requester_email IS NOT NULL THEN r.requester
                 WHEN a.owner_email IS NOT NULL THEN a.name
                 ELSE k.holder_name END AS "recipientName",
            a.name AS "assetName", k.serial_number AS "cardSerialNumber", p.name AS "profileName"
       FROM certificates c
       JOIN certificate_profiles p ON p.id = c.profile_id
       LEFT JOIN assets a ON a.id = c.asset_id
       LEFT JOIN cards k ON k.id = c.card_id
       LEFT JOIN LATERAL (
         SELECT requester, requester_email FROM requests
          WHERE certificate_id = c.id AND type = 'enrollment' AND requester_email IS NOT NULL
          ORDER BY id DESC LIMIT 1) r ON true
      WHERE c.state = 'Valid' AND c.not_after IS NOT NULL AND c.not_after > $1 AND c.not_after <= $2
      ORDER BY c.not_after, c.id LIMIT $3`,
    [now, until, limit],
  );
  return rows;
}

export interface UnclaimedPkcs12Certificate {
  id: number;
  state: string;
  subject: string;
  serial: string;
  linkExpiredAt: Date;
}

/**
 * Certificates still in use whose PKCS#12 — the only copy of their private key — was never
 * downloaded: their one-time link expired unopened (issue 18.13). Nobody holds such a certificate's
 * key; it is an orphan that stays valid at the CA unless it is revoked. At most `limit`.
 */
export async function certificatesWithUnclaimedPkcs12(q: Queryable, now: Date, limit: number): Promise<UnclaimedPkcs12Certificate[]> {
  const { rows } = await q.query<UnclaimedPkcs12Certificate>(
    `SELECT c.id, c.state, c.subject, c.serial, max(l.expires_at) AS "linkExpiredAt"
       FROM secret_links l
       JOIN certificates c ON l.subject_ref = 'certificate:' || c.id
      WHERE l.kind = 'pkcs12' AND l.expires_at <= $1
        AND c.state = ANY($2) AND c.serial IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM secret_links u WHERE u.subject_ref = l.subject_ref AND u.kind = 'pkcs12'
                          AND (u.used_at IS NOT NULL OR u.expires_at > $1))
      GROUP BY c.id
      ORDER BY c.id LIMIT $3`,
    [now, EXPIRING_STATES, limit],
  );
  return rows;
}
