/**
 * Card commands: CardsProcDeactivate (spec 004) and VirtualSmartCardProcReactivate (spec 003).
 * Each command changes the card, its relations and its certificates (at the CA and in the
 * store) once per job: a retried job changes nothing twice.
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../src/ca/connector';
import { CARD_TYPES, cardRelations, cardTypeCommands, getCard, transitionCard, transitionCardRelation, type Card } from '../src/store/cards';
import { assertRequesterMayStart } from '../src/store/authorization';
import type { CompletedTaskSource } from './approval';
import { assertCompletedByPermitted } from './completed-by';
import { certificatesByCard, transitionCertificate } from '../src/store/certificates';
import { applyOnce } from '../src/store/effects';
import { getOptions } from '../src/store/options';
import { holdAtCa, recordHeldAtCa } from './ca';
import { carryOutRequest, completeApprovedRequest } from './request-outcome';
import { withRefusalOnHistory } from './refusals';
import { BpmnError, defineHandler } from './runtime';

export interface CardDeps {
  pool: Pool;
  ca: CaConnector;
  /** The engine's record of who completed a form (issue 17.11: a task taken over in Tasklist). */
  completedTasks: CompletedTaskSource;
}

export const DEACTIVATE = 'CardsProcDeactivate';
export const REACTIVATE = 'VirtualSmartCardProcReactivate';

/** `operator` is the requester the process was started for (its input mapping); the checks decide with it (issue 17.11). */
const cardInput = z.object({ cardId: z.coerce.number().int().positive(), operator: z.string().min(1), requesterEmail: z.string().nullish() });

const cardSummary = z.object({
  cardSerialNumber: z.string(),
  cardType: z.string(),
  holderName: z.string(),
  holderEmail: z.string().nullable(),
  certificateCount: z.number(),
});

async function summary(pool: Pool, card: Card) {
  return {
    cardSerialNumber: card.serialNumber,
    cardType: card.cardTypeId,
    holderName: card.holderName,
    holderEmail: card.holderEmail,
    certificateCount: (await certificatesByCard(pool, card.id)).length,
  };
}

export function createCardHandlers({ pool, ca, completedTasks }: CardDeps) {
  /** Start of CardsProcDeactivate: the card must be active; reads the admin's option "add an approval step". */
  const checkDeactivate = defineHandler({
    type: 'cards.check-deactivate',
    input: cardInput,
    // ownerProcessInstanceKey: this instance, the owner of an approval request made on the way (issue 18.3).
    output: cardSummary.extend({ approvalStep: z.boolean(), approverGroup: z.string(), ownerProcessInstanceKey: z.string() }),
    async handle({ cardId, operator, requesterEmail }, job) {
      return withRefusalOnHistory(pool, job, { objectType: 'card', objectId: cardId, label: 'Deactivate card' }, operator, async () => {
        // Who may deactivate this card (issue 17.11), as the API checks before it starts.
        await assertRequesterMayStart(pool, { requester: operator, requesterEmail }, DEACTIVATE, 'card', cardId);
        const options = await getOptions(pool, DEACTIVATE);
        if (!options.enabled) throw new BpmnError('USE_CASE_DISABLED', 'Deactivate card is disabled by an admin');
        const card = await getCard(pool, cardId);
        if (card.state !== 'active') {
          throw new BpmnError('STATE_CONFLICT', `card ${card.serialNumber} is '${card.state}': only an active card can be deactivated`);
        }
        return {
          ...(await summary(pool, card)),
          approvalStep: options.approvalStep,
          approverGroup: options.approverGroup,
          ownerProcessInstanceKey: job.processInstanceKey,
        };
      });
    },
  });

  /**
   * Deactivates the card (spec 004): card 'inactive', every active relation deactivated, every
   * valid certificate put on hold at the CA and 'Certificate hold' in the store. No email.
   *
   * The card's state is checked and locked before anything happens at the CA, and what the CA
   * does is decided from each certificate's status there, not the store's (issue 17.6): on hold
   * there already is a success, so an attempt after a half-done one (a CA outside this
   * database holds and does not roll back) converges; a certificate the store says is on hold
   * but the CA says is valid (after a virtual smart card's reactivation) is held again.
   */
  const deactivate = defineHandler({
    type: 'cards.deactivate',
    // requestId: the approved request, when the deactivation needed approval: Completed with it, Failed with a refusal (issue 18.5).
    input: cardInput.extend({ requestId: z.coerce.number().int().positive().nullish() }),
    output: z.object({ cardState: z.literal('inactive'), certificatesOnHold: z.number(), relationsDeactivated: z.number() }),
    async handle({ cardId, operator, requestId }, job) {
      await assertCompletedByPermitted(pool, completedTasks, job, { elementId: 'Task_ConfirmDeactivate', label: 'Deactivate card', requester: operator, useCase: DEACTIVATE, kind: 'card', objectId: cardId });
      const ctx = { actor: operator, processInstanceKey: job.processInstanceKey, reason: 'card deactivated' };
      const { result } = await carryOutRequest(pool, requestId, job, operator, () => applyOnce(pool, `${job.key}:deactivate`, 'cards.deactivate', async (tx) => {
        // Lock the card, then its certificates, before the CA acts: a concurrent deactivation
        // waits here and then finds the card inactive (STATE_CONFLICT), rather than failing at the CA.
        await tx.query('SELECT 1 FROM cards WHERE id = $1 FOR UPDATE', [cardId]);
        const card = await getCard(tx, cardId);
        if (card.state !== 'active') {
          throw new BpmnError('STATE_CONFLICT', `card ${card.serialNumber} is '${card.state}': only an active card can be deactivated`);
        }
        await tx.query('SELECT 1 FROM certificates WHERE card_id = $1 FOR UPDATE', [cardId]);
        const inUse = (await certificatesByCard(tx, cardId)).filter((c) => (c.state === 'Valid' || c.state === 'Certificate hold') && c.serial);
        // At the CA in the same transaction: its holds commit with the store's changes, or none does.
        const atCa = ca.within(tx);
        // Every status first: a certificate that cannot be held refuses the deactivation before anything changes.
        for (const cert of inUse) {
          const now = await atCa.status(cert.serial!);
          if (now.status === 'revoked') {
            throw new BpmnError(
              'STATE_CONFLICT',
              `certificate ${cert.subject} is revoked at the CA (${now.reason ?? 'unspecified'}) but '${cert.state}' in the store: record the revocation with Lock certificate first, then deactivate the card`,
            );
          }
        }
        for (const cert of inUse) {
          const changedAtCa = await holdAtCa(atCa, cert.serial!, `${job.key}:hold:${cert.serial}`);
          if (cert.state === 'Valid') await transitionCertificate(tx, cert.id, 'Certificate hold', ctx);
          else if (changedAtCa) await recordHeldAtCa(tx, cert.id, ctx);
        }
        const active = (await cardRelations(tx, cardId)).filter((r) => r.state === 'active');
        for (const rel of active) await transitionCardRelation(tx, rel.id, 'inactive', ctx);
        await transitionCard(tx, cardId, 'inactive', ctx);
        await completeApprovedRequest(tx, requestId, { actor: operator, processInstanceKey: job.processInstanceKey }, 'deactivation');
        return { cardState: 'inactive' as const, certificatesOnHold: inUse.length, relationsDeactivated: active.length };
      }));
      return result;
    },
  });

  /** Start of VirtualSmartCardProcReactivate: an inactive virtual smart card, and the command enabled by an admin. */
  const checkReactivate = defineHandler({
    type: 'cards.check-reactivate',
    input: cardInput,
    output: cardSummary,
    async handle({ cardId, operator, requesterEmail }, job) {
      return withRefusalOnHistory(pool, job, { objectType: 'card', objectId: cardId, label: 'Reactivate virtual smart card' }, operator, async () => {
        await assertRequesterMayStart(pool, { requester: operator, requesterEmail }, REACTIVATE, 'card', cardId);
        const card = await getCard(pool, cardId);
        if (card.cardTypeId !== CARD_TYPES.virtualSmartCard) {
          throw new BpmnError('STATE_CONFLICT', `card ${card.serialNumber} is a ${card.cardTypeId}: only a virtual smart card can be reactivated`);
        }
        // The admin's 'enabled' of the use case holds inside the process too, as in the API (issue 18.13).
        if (!(await getOptions(pool, REACTIVATE)).enabled) throw new BpmnError('USE_CASE_DISABLED', 'Reactivate virtual smart card is disabled by an admin');
        const command = (await cardTypeCommands(pool, card.cardTypeId)).find((c) => c.command === REACTIVATE);
        if (!command?.enabled) {
          throw new BpmnError('USE_CASE_DISABLED', 'Reactivate virtual smart card is not enabled; an admin enables it as an additional command of the card type');
        }
        if (card.state !== 'inactive') {
          throw new BpmnError('STATE_CONFLICT', `virtual smart card ${card.serialNumber} is '${card.state}': only an inactive one can be reactivated`);
        }
        return summary(pool, card);
      });
    },
  });

  /**
   * Reactivates the virtual smart card (spec 003): card 'active'; its held certificates
   * released at the CA (valid there, gone from the next CRL) while they stay 'Certificate hold'
   * in the store, as the specification states. Relations to the holder and devices are
   * reactivated; relations to certificates follow the certificates and stay inactive.
   */
  const reactivate = defineHandler({
    type: 'cards.reactivate',
    input: cardInput,
    output: z.object({ cardState: z.literal('active'), certificatesReleasedAtCa: z.number() }),
    async handle({ cardId, operator }, job) {
      await assertCompletedByPermitted(pool, completedTasks, job, { elementId: 'Task_ConfirmReactivate', label: 'Reactivate virtual smart card', requester: operator, useCase: REACTIVATE, kind: 'card', objectId: cardId });
      const ctx = { actor: operator, processInstanceKey: job.processInstanceKey, reason: 'virtual smart card reactivated' };
      const { result } = await applyOnce(pool, `${job.key}:reactivate`, 'cards.reactivate', async (tx) => {
        await tx.query('SELECT 1 FROM cards WHERE id = $1 FOR UPDATE', [cardId]);
        const card = await getCard(tx, cardId);
        if (card.state !== 'inactive') {
          throw new BpmnError('STATE_CONFLICT', `virtual smart card ${card.serialNumber} is '${card.state}': only an inactive one can be reactivated`);
        }
        await tx.query('SELECT 1 FROM certificates WHERE card_id = $1 FOR UPDATE', [cardId]);
        const held = (await certificatesByCard(tx, cardId)).filter((c) => c.state === 'Certificate hold' && c.serial);
        const atCa = ca.within(tx);
        // Decided from the CA's status (issues 17.6, 18.11): released where the CA holds it; one the
        // CA already says is valid needs nothing; one it has revoked cannot be released — the operator
        // records the revocation first (STATE_CONFLICT, before anything changes), not an incident.
        const statuses = [];
        for (const cert of held) statuses.push({ cert, now: await atCa.status(cert.serial!) });
        const revoked = statuses.find((s) => s.now.status === 'revoked');
        if (revoked) {
          throw new BpmnError(
            'STATE_CONFLICT',
            `certificate ${revoked.cert.subject} is revoked at the CA (${revoked.now.reason ?? 'unspecified'}) but on hold in the store: record the revocation with Lock certificate first, then reactivate the card`,
          );
        }
        for (const { cert, now } of statuses) {
          if (now.status === 'hold') await atCa.release({ idempotencyKey: `${job.key}:release:${cert.serial}`, serialNumber: cert.serial! });
        }
        for (const rel of await cardRelations(tx, cardId)) {
          if (rel.state === 'inactive' && rel.relatedType !== 'certificate') await transitionCardRelation(tx, rel.id, 'active', ctx);
        }
        await transitionCard(tx, cardId, 'active', ctx);
        return { cardState: 'active' as const, certificatesReleasedAtCa: held.length };
      });
      return result;
    },
  });

  return [checkDeactivate, deactivate, checkReactivate, reactivate];
}
