/**
 * AssetsProcUnlockCertificate (issue 18.12): releases a certificate from hold — spec 000's
 * 'Certificate hold' ("temporarily inactive") back to 'Valid', at the CA (it leaves the next CRL)
 * and in the store, with history. The counterpart of Lock certificate's hold; a revocation is final
 * and cannot be undone. A certificate on an inactive card is released by reactivating the card, not
 * on its own: the card's deactivation held it.
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../src/ca/connector';
import { assertRequesterMayStart } from '../src/store/authorization';
import { getCard } from '../src/store/cards';
import { getCertificate, transitionCertificate, type Certificate } from '../src/store/certificates';
import type { Queryable } from '../src/store/db';
import { applyOnce } from '../src/store/effects';
import { getOptions } from '../src/store/options';
import type { CompletedTaskSource } from './approval';
import { assertCompletedByPermitted } from './completed-by';
import { withRefusalOnHistory } from './refusals';
import { BpmnError, defineHandler } from './runtime';

export interface UnlockDeps {
  pool: Pool;
  ca: CaConnector;
  completedTasks: CompletedTaskSource;
}

export const UNLOCK = 'AssetsProcUnlockCertificate';
const LABEL = 'Unlock certificate';
const certificateId = z.coerce.number().int().positive();

/** Refuses what cannot be released (STATE_CONFLICT, with the reason in the operator's words). */
async function assertReleasable(q: Queryable, cert: Certificate): Promise<void> {
  if (cert.state !== 'Certificate hold' || !cert.serial) {
    throw new BpmnError('STATE_CONFLICT', `certificate ${cert.subject} is '${cert.state}': only a certificate on hold can be unlocked`);
  }
  if (cert.cardId) {
    const card = await getCard(q, cert.cardId);
    if (card.state !== 'active') {
      throw new BpmnError('STATE_CONFLICT', `certificate ${cert.subject} is on card ${card.serialNumber}, which is '${card.state}': reactivate the card instead`);
    }
  }
}

export function createUnlockHandlers({ pool, ca, completedTasks }: UnlockDeps) {
  const check = defineHandler({
    type: 'ca.check-unlock',
    input: z.object({ certificateId, requester: z.string().min(1), requesterEmail: z.string().nullish() }),
    output: z.object({ certificateSubject: z.string(), certificateSerial: z.string(), certificateState: z.string() }),
    async handle({ certificateId: id, ...requester }, job) {
      return withRefusalOnHistory(pool, job, { objectType: 'certificate', objectId: id, label: LABEL }, requester.requester, async () => {
        await assertRequesterMayStart(pool, requester, UNLOCK, 'certificate', id);
        if (!(await getOptions(pool, UNLOCK)).enabled) throw new BpmnError('USE_CASE_DISABLED', `${LABEL} is disabled by an admin`);
        const cert = await getCertificate(pool, id);
        await assertReleasable(pool, cert);
        return { certificateSubject: cert.subject, certificateSerial: cert.serial!, certificateState: cert.state };
      });
    },
  });

  /**
   * Releases at the CA, decided from the CA's status: on hold there, released now; valid there
   * already (after a virtual smart card's reactivation), nothing to do; revoked there, it cannot be
   * released (STATE_CONFLICT, nothing changes). Then 'Valid' in the store, in the same transaction.
   */
  const unlock = defineHandler({
    type: 'ca.unlock-certificate',
    input: z.object({ certificateId, operator: z.string().min(1) }),
    output: z.object({ certificateState: z.literal('Valid') }),
    async handle({ certificateId: id, operator }, job) {
      await assertCompletedByPermitted(pool, completedTasks, job, { elementId: 'Task_ConfirmUnlock', label: LABEL, requester: operator, useCase: UNLOCK, kind: 'certificate', objectId: id });
      await applyOnce(pool, `${job.key}:unlock`, 'ca.unlock-certificate', async (tx) => {
        await tx.query('SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE', [id]);
        const cert = await getCertificate(tx, id);
        await assertReleasable(tx, cert);
        const atCa = ca.within(tx);
        const now = await atCa.status(cert.serial!);
        if (now.status === 'revoked') {
          throw new BpmnError('STATE_CONFLICT', `certificate ${cert.subject} is revoked at the CA (${now.reason ?? 'unspecified'}): a revocation cannot be undone`);
        }
        if (now.status === 'hold') await atCa.release({ idempotencyKey: `${job.key}:release`, serialNumber: cert.serial! });
        await transitionCertificate(tx, id, 'Valid', { actor: operator, processInstanceKey: job.processInstanceKey, reason: 'released from hold (unlocked)' });
        return null;
      });
      return { certificateState: 'Valid' as const };
    },
  });

  return [check, unlock];
}
