/**
 * The expiry watch (issue 18.9): AssetsProcCertificateExpiry runs on its timer start event (every
 * hour as shipped; a process designer changes the cycle in Camunda Modeler) or when started by
 * hand, and its two service tasks are these handlers:
 * - certificates whose notAfter has passed and that are still 'Valid' or 'Certificate hold' in the
 *   store become 'Certificate expired' (spec 000: "The certificate is no longer valid"), each with
 *   a history row;
 * - the requester of a 'Valid' certificate that expires within the notice period
 *   (CERTIFICATE_EXPIRY_NOTICE_DAYS, src/config.ts) is emailed once per certificate and end of
 *   validity: the email's effect key is the certificate and its notAfter, not the job, so neither
 *   a retried job nor the next hour's run sends it again; a renewed certificate is a new one.
 * Both are idempotent by construction: a run finds only what is still left to do.
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import { EXPIRY_DEFAULTS } from '../src/config';
import { StateConflictError } from '../src/domain/errors';
import type { Mailer } from '../src/mail/mailer';
import { recordAudit } from '../src/store/audit';
import { transitionCertificate } from '../src/store/certificates';
import { certificatesExpiringBetween, certificatesPastNotAfter, certificatesWithUnclaimedPkcs12 } from '../src/store/expiry';
import type { CaConnector } from '../src/ca/connector';
import { withTransaction } from '../src/store/db';
import { CaErrorCode, isCaError } from '../src/ca/errors';
import { revokeAtCa } from './ca';
import { BpmnError, defineHandler } from './runtime';

export interface ExpiryDeps {
  pool: Pool;
  /** The CA, to revoke a certificate whose PKCS#12 nobody downloaded. */
  ca: CaConnector;
  mailer: Mailer;
  /** Base URL of the API and console, for the link in the notice. */
  publicUrl: string;
  /** Days of notice before notAfter (config.expiry.noticeDays); 0: no notice. Default EXPIRY_DEFAULTS.noticeDays. */
  expiryNoticeDays?: number;
  /** The clock the watch compares notAfter with. Default the system clock. */
  now?: () => Date;
}

/** The actor of the watch's history rows: no operator acts, the schedule does. */
export const EXPIRY_ACTOR = 'expiry-watch';

const DAY_MS = 24 * 60 * 60 * 1000;

export function createExpiryHandlers({ pool, ca, mailer, publicUrl, expiryNoticeDays = EXPIRY_DEFAULTS.noticeDays, now = () => new Date() }: ExpiryDeps) {
  const expire = defineHandler({
    type: 'expiry.expire-certificates',
    input: z.object({}),
    output: z.object({ certificatesExpired: z.number().int(), moreToExpire: z.boolean() }),
    async handle(_v, job) {
      const at = now();
      const due = await certificatesPastNotAfter(pool, at, EXPIRY_DEFAULTS.batchSize);
      let expired = 0;
      for (const c of due) {
        try {
          await transitionCertificate(pool, c.id, 'Certificate expired', {
            actor: EXPIRY_ACTOR,
            processInstanceKey: job.processInstanceKey,
            reason: `validity ended ${c.notAfter.toISOString()}`,
          });
          expired += 1;
        } catch (err) {
          // Changed meanwhile (revoked, already expired by a concurrent run): nothing left to do here.
          if (!(err instanceof StateConflictError)) throw err;
        }
      }
      return { certificatesExpired: expired, moreToExpire: due.length === EXPIRY_DEFAULTS.batchSize };
    },
  });

  const notify = defineHandler({
    type: 'expiry.notify-requesters',
    input: z.object({}),
    output: z.object({ noticesSent: z.number().int(), withoutRecipient: z.number().int() }),
    async handle(_v, job) {
      if (expiryNoticeDays === 0) return { noticesSent: 0, withoutRecipient: 0 };
      const at = now();
      const soon = await certificatesExpiringBetween(pool, at, new Date(at.getTime() + expiryNoticeDays * DAY_MS), EXPIRY_DEFAULTS.batchSize);
      let sent = 0;
      let withoutRecipient = 0;
      for (const c of soon) {
        if (!c.recipient) {
          withoutRecipient += 1;
          continue;
        }
        const expiresOn = c.notAfter.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
        const objectLabel = c.assetName ? `asset ${c.assetName}` : c.cardSerialNumber ? `card ${c.cardSerialNumber}` : '';
        const mail = await mailer.sendOnce(`expiry-notice:${c.id}:${c.notAfter.toISOString()}`, 'certificate-expiring', [c.recipient], {
          recipientName: c.recipientName ?? c.recipient,
          subject: c.subject,
          serial: c.serial ?? '(none)',
          profileName: c.profileName,
          objectLabel,
          expiresOn,
          daysLeft: Math.max(0, Math.ceil((c.notAfter.getTime() - at.getTime()) / DAY_MS)),
          certificateUrl: `${publicUrl}/console/certificates/${c.id}`,
        });
        if (mail.sent) {
          sent += 1;
          await recordAudit(pool, {
            objectType: 'certificate',
            objectId: c.id,
            fromState: c.state,
            toState: c.state,
            actor: EXPIRY_ACTOR,
            processInstanceKey: job.processInstanceKey,
            reason: `expiry notice sent to ${c.recipient} (expires ${expiresOn})`,
          });
        }
      }
      return { noticesSent: sent, withoutRecipient };
    },
  });

  /**
   * A PKCS#12 link that expired unopened leaves a valid certificate whose key nobody has
   * (issue 18.13): it is revoked at the CA and in the store as 'Cessation of operation' (spec 000:
   * "the certificate will no longer be used"), with a history row saying why. The requester
   * enrolls again for a new one. Decided from the CA's status: revoked there already for this
   * reason is done; revoked for another reason is left for an operator (store and CA differ).
   */
  const revokeUnclaimed = defineHandler({
    type: 'expiry.revoke-unclaimed-p12',
    input: z.object({}),
    output: z.object({ unclaimedRevoked: z.number().int() }),
    async handle(_v, job) {
      const orphans = await certificatesWithUnclaimedPkcs12(pool, now(), EXPIRY_DEFAULTS.batchSize);
      let revoked = 0;
      for (const c of orphans) {
        const done = await withTransaction(pool, async (tx) => {
          const { rows } = await tx.query<{ state: string }>('SELECT state FROM certificates WHERE id = $1 FOR UPDATE', [c.id]);
          if (rows[0]?.state !== c.state) return false;
          try {
            await revokeAtCa(ca.within(tx), c.serial, `unclaimed-p12:${c.id}`, 'cessationOfOperation');
          } catch (err) {
            // Revoked for another reason at the CA, or unknown to it: for an operator, not for this watch.
            if (err instanceof BpmnError || (isCaError(err) && err.code === CaErrorCode.CERTIFICATE_NOT_FOUND)) return false;
            throw err;
          }
          await transitionCertificate(tx, c.id, 'Cessation of operation', {
            actor: EXPIRY_ACTOR,
            processInstanceKey: job.processInstanceKey,
            reason: `revoked: its PKCS#12 (the only copy of its key) was never downloaded; the one-time link expired ${c.linkExpiredAt.toISOString()}. Enroll again for a new certificate`,
          });
          return true;
        });
        if (done) revoked += 1;
      }
      return { unclaimedRevoked: revoked };
    },
  });

  return [expire, notify, revokeUnclaimed];
}
