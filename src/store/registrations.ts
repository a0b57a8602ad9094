/**
 * The CA registration behind a certificate object of an ACME or SCEP enrollment (migration
 * 061): recorded when the object becomes 'Registered', read when it is deregistered (issue 12.3).
 */
import type { Queryable } from './db';

export interface CertificateRegistration {
  certificateId: number;
  protocol: 'ACME' | 'SCEP';
  registrationId: string;
}

/** Records the CA registration of a certificate object; a repeat with the same values changes nothing. */
export async function recordRegistration(q: Queryable, r: CertificateRegistration): Promise<void> {
  await q.query(
    `INSERT INTO certificate_registrations (certificate_id, protocol, registration_id) VALUES ($1, $2, $3)
     ON CONFLICT (certificate_id) DO NOTHING`,
    [r.certificateId, r.protocol, r.registrationId],
  );
}

export async function registrationOf(q: Queryable, certificateId: number): Promise<CertificateRegistration | undefined> {
  const { rows } = await q.query<CertificateRegistration>(
    `SELECT certificate_id::integer AS "certificateId", protocol, registration_id AS "registrationId"
       FROM certificate_registrations WHERE certificate_id = $1`,
    [certificateId],
  );
  return rows[0];
}
