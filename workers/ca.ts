/**
 * AssetsProcLockCertificate (spec 000, 001): lock (certificateHold) or revoke a certificate with
 * an RFC 5280 reason, at the CA and in the store, once per job. Whether approval comes first is
 * the certificate profile's "approval required for lock/revocation".
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../src/ca/connector';
import type { RevocationReason } from '../src/ca/revocation';
import { REVOCATION_STATES, type RevocationState } from '../src/domain/states';
import { getCertificate, transitionCertificate } from '../src/store/certificates';
import { applyOnce } from '../src/store/effects';
import { getOptions } from '../src/store/options';
import { getProfile } from '../src/store/profiles';
import { BpmnError, defineHandler } from './runtime';

export interface CaWorkerDeps {
  pool: Pool;
  ca: CaConnector;
}

export const LOCK = 'AssetsProcLockCertificate';

/** The specification's revocation states and the CRL reasons the CA writes for them. */
export const CRL_REASON_OF: Readonly<Record<RevocationState, RevocationReason>> = {
  'Key compromised': 'keyCompromise',
  Superseded: 'superseded',
  'Cessation of operation': 'cessationOfOperation',
  'Privilege withdrawn': 'privilegeWithdrawn',
  'Affiliation changed': 'affiliationChanged',
};

/** What the operator chooses: "Certificate hold" (lock) or one of the revocation reasons. */
export const LOCK_CHOICES = ['Certificate hold', ...REVOCATION_STATES] as const;
export type LockChoice = (typeof LOCK_CHOICES)[number];

const certificateId = z.coerce.number().int().positive();

export function createCaHandlers({ pool, ca }: CaWorkerDeps) {
  /** Start of the lock: the certificate must be Valid or on hold; the profile says whether approval comes first. */
  const checkLock = defineHandler({
    type: 'ca.check-lock',
    input: z.object({ certificateId }),
    output: z.object({
      certificateSubject: z.string(),
      certificateSerial: z.string(),
      certificateState: z.string(),
      profileId: z.number(),
      approvalRequired: z.boolean(),
      approverGroup: z.string(),
    }),
    async handle({ certificateId: id }) {
      const options = await getOptions(pool, LOCK);
      if (!options.enabled) throw new BpmnError('USE_CASE_DISABLED', 'Lock certificate is disabled by an admin');
      const cert = await getCertificate(pool, id);
      if ((cert.state !== 'Valid' && cert.state !== 'Certificate hold') || !cert.serial) {
        throw new BpmnError('STATE_CONFLICT', `certificate ${cert.subject} is '${cert.state}': only a valid or held certificate can be locked or revoked`);
      }
      const profile = await getProfile(pool, cert.profileId);
      return {
        certificateSubject: cert.subject,
        certificateSerial: cert.serial,
        certificateState: cert.state,
        profileId: profile.id,
        approvalRequired: profile.revocationApprovalRequired || options.approvalStep,
        approverGroup: profile.approverGroup,
      };
    },
  });

  /** Holds or revokes at the CA, then records the new state in the store. */
  const lock = defineHandler({
    type: 'ca.lock-certificate',
    input: z.object({ certificateId, lockReason: z.enum(LOCK_CHOICES), operator: z.string().min(1) }),
    output: z.object({ certificateState: z.enum(LOCK_CHOICES) }),
    async handle({ certificateId: id, lockReason, operator }, job) {
      const { result } = await applyOnce(pool, `${job.key}:lock`, 'ca.lock-certificate', async (tx) => {
        const cert = await getCertificate(tx, id);
        if ((cert.state !== 'Valid' && cert.state !== 'Certificate hold') || !cert.serial) {
          throw new BpmnError('STATE_CONFLICT', `certificate ${cert.subject} is '${cert.state}': only a valid or held certificate can be locked or revoked`);
        }
        if (lockReason === cert.state) return lockReason; // already on hold: nothing to do
        const key = `${job.key}:${lockReason}`;
        // At the CA in the same transaction: the CA's change commits with the store's, or neither does.
        const atCa = ca.within(tx);
        if (lockReason === 'Certificate hold') await atCa.hold({ idempotencyKey: key, serialNumber: cert.serial });
        else await atCa.revoke({ idempotencyKey: key, serialNumber: cert.serial, reason: CRL_REASON_OF[lockReason] });
        await transitionCertificate(tx, id, lockReason, { actor: operator, processInstanceKey: job.processInstanceKey, reason: lockReason });
        return lockReason;
      });
      return { certificateState: result };
    },
  });

  return [checkLock, lock];
}
