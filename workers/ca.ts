/**
 * AssetsProcLockCertificate (spec 000, 001): lock (certificateHold) or revoke a certificate with
 * an RFC 5280 reason, at the CA and in the store, once per job. Whether approval comes first is
 * the certificate profile's "approval required for lock/revocation".
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../src/ca/connector';
import { CaErrorCode, isCaError } from '../src/ca/errors';
import type { RevocationReason } from '../src/ca/revocation';
import { recordAudit } from '../src/store/audit';
import type { Queryable } from '../src/store/db';
import { REVOCATION_STATES, type RevocationState } from '../src/domain/states';
import { getCertificate, transitionCertificate } from '../src/store/certificates';
import { assertRequesterMayStart } from '../src/store/authorization';
import type { CompletedTaskSource } from './approval';
import { assertCompletedByPermitted } from './completed-by';
import { applyOnce } from '../src/store/effects';
import { getOptions } from '../src/store/options';
import { getProfile } from '../src/store/profiles';
import { carryOutRequest, completeApprovedRequest } from './request-outcome';
import { withRefusalOnHistory } from './refusals';
import { BpmnError, defineHandler } from './runtime';

export interface CaWorkerDeps {
  pool: Pool;
  ca: CaConnector;
  /** The engine's record of who completed a form (issue 17.11: a task taken over in Tasklist). */
  completedTasks: CompletedTaskSource;
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

/**
 * Puts a certificate on hold at the CA, decided from the CA's own status, never from the
 * store's (issues 17.3, 17.6): valid there, it is held now; already on hold there, there is
 * nothing to do and that is a success (a retry after a half-done attempt converges); revoked
 * there, it cannot be held (STATE_CONFLICT). Resolves with true when the CA changed now.
 */
export async function holdAtCa(atCa: CaConnector, serialNumber: string, idempotencyKey: string): Promise<boolean> {
  const now = await atCa.status(serialNumber);
  if (now.status === 'hold') return false;
  if (now.status === 'revoked') {
    throw new BpmnError('STATE_CONFLICT', `certificate ${serialNumber} is revoked at the CA (${now.reason ?? 'unspecified'}): it cannot be put on hold`);
  }
  try {
    await atCa.hold({ idempotencyKey, serialNumber });
    return true;
  } catch (err) {
    // Held by someone else between the status and the hold: what was asked for is true.
    if (isCaError(err) && err.code === CaErrorCode.CERTIFICATE_ALREADY_ON_HOLD) return false;
    throw err;
  }
}

/**
 * Records in the certificate's history that the CA put it on hold while the store already said
 * 'Certificate hold' (after a virtual smart card's reactivation): the store's state stays, but
 * the CA's change is a change of the certificate, so it has its audit row.
 */
export async function recordHeldAtCa(tx: Queryable, certificateId: number, ctx: { actor: string; processInstanceKey?: string }): Promise<void> {
  await recordAudit(tx, {
    objectType: 'certificate',
    objectId: certificateId,
    fromState: 'Certificate hold',
    toState: 'Certificate hold',
    actor: ctx.actor,
    processInstanceKey: ctx.processInstanceKey,
    reason: 'put on hold at the CA, where it was valid (the store already said on hold)',
  });
}

/**
 * Revokes at the CA, decided from the CA's status: valid or on hold there, it is revoked now;
 * already revoked there with the same reason, that is a success; with another reason,
 * STATE_CONFLICT (revocation is final). Resolves with true when the CA changed now.
 */
export async function revokeAtCa(atCa: CaConnector, serialNumber: string, idempotencyKey: string, reason: RevocationReason): Promise<boolean> {
  const now = await atCa.status(serialNumber);
  if (now.status === 'revoked') {
    if (now.reason === reason) return false;
    throw new BpmnError('STATE_CONFLICT', `certificate ${serialNumber} is already revoked at the CA (${now.reason ?? 'unspecified'}); revocation cannot be changed`);
  }
  await atCa.revoke({ idempotencyKey, serialNumber, reason });
  return true;
}

export function createCaHandlers({ pool, ca, completedTasks }: CaWorkerDeps) {
  /** Start of the lock: the certificate must be Valid or on hold; the profile says whether approval comes first. */
  const checkLock = defineHandler({
    type: 'ca.check-lock',
    input: z.object({ certificateId, requester: z.string().min(1), requesterEmail: z.string().nullish() }),
    output: z.object({
      certificateSubject: z.string(),
      certificateSerial: z.string(),
      certificateState: z.string(),
      profileId: z.number(),
      approvalRequired: z.boolean(),
      approverGroup: z.string(),
      /** This instance: the owner of an approval request made on the way (issue 18.3). */
      ownerProcessInstanceKey: z.string(),
    }),
    async handle({ certificateId: id, ...requester }, job) {
      return withRefusalOnHistory(pool, job, { objectType: 'certificate', objectId: id, label: 'Lock certificate' }, requester.requester, async () => {
        // Who may lock this certificate (issue 17.11), as the API checks before it starts.
        await assertRequesterMayStart(pool, requester, LOCK, 'certificate', id);
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
          ownerProcessInstanceKey: job.processInstanceKey,
        };
      });
    },
  });

  /** Holds or revokes at the CA, then records the new state in the store. */
  const lock = defineHandler({
    type: 'ca.lock-certificate',
    // Chosen on the "Lock certificate" form; the model has no way back to it after approval, so an
    // unknown reason is an incident that names the field and the fix (issue 15.7).
    formFields: ['lockReason'],
    input: z.object({
      certificateId,
      lockReason: z.enum(LOCK_CHOICES),
      operator: z.string().min(1),
      /** The approved request, when the lock needed approval: Completed with the lock, Failed with a refusal (issue 18.5). */
      requestId: z.coerce.number().int().positive().nullish(),
    }),
    output: z.object({ certificateState: z.enum(LOCK_CHOICES) }),
    async handle({ certificateId: id, lockReason, operator, requestId }, job) {
      await assertCompletedByPermitted(pool, completedTasks, job, { elementId: 'Task_ChooseLock', label: 'Lock certificate', requester: operator, useCase: LOCK, kind: 'certificate', objectId: id });
      const { result } = await carryOutRequest(pool, requestId, job, operator, () => applyOnce(pool, `${job.key}:lock`, 'ca.lock-certificate', async (tx) => {
        // The certificate's row is locked before the CA acts: a concurrent change waits, and a
        // state that no longer allows the lock is refused before anything happens at the CA.
        await tx.query('SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE', [id]);
        const cert = await getCertificate(tx, id);
        if ((cert.state !== 'Valid' && cert.state !== 'Certificate hold') || !cert.serial) {
          throw new BpmnError('STATE_CONFLICT', `certificate ${cert.subject} is '${cert.state}': only a valid or held certificate can be locked or revoked`);
        }
        const key = `${job.key}:${lockReason}`;
        const ctx = { actor: operator, processInstanceKey: job.processInstanceKey, reason: lockReason };
        // At the CA in the same transaction: the CA's change commits with the store's, or neither does.
        // What the CA does is decided from the CA's status, not the store's: after a virtual smart
        // card's reactivation the store says 'Certificate hold' while the CA says valid (issue 17.3).
        const atCa = ca.within(tx);
        const changedAtCa =
          lockReason === 'Certificate hold'
            ? await holdAtCa(atCa, cert.serial, key)
            : await revokeAtCa(atCa, cert.serial, key, CRL_REASON_OF[lockReason]);
        if (cert.state !== lockReason) await transitionCertificate(tx, id, lockReason, ctx);
        else if (changedAtCa) await recordHeldAtCa(tx, id, ctx);
        await completeApprovedRequest(tx, requestId, { actor: operator, processInstanceKey: job.processInstanceKey }, lockReason === 'Certificate hold' ? 'lock' : 'revocation');
        return lockReason;
      }));
      return { certificateState: result };
    },
  });

  return [checkLock, lock];
}
