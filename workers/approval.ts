/**
 * Approval handling (spec 001): AssetsProcApprovalRequest creates the request and emails the
 * approvers; AssetsProcApproval lets a certificate agent approve, reject (with a reason) or put
 * it on hold, then emails the requester. Four-eyes: the requester never decides their own request;
 * only members of the approver group decide; "Check decision" enforces both on every engine.
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import { DomainError, ValidationError } from '../src/domain/errors';
import type { Mailer } from '../src/mail/mailer';
import { getAsset } from '../src/store/assets';
import { getCard } from '../src/store/cards';
import { getCertificate, transitionCertificate } from '../src/store/certificates';
import type { Queryable } from '../src/store/db';
import { applyOnce } from '../src/store/effects';
import { approversOf } from '../src/store/approvers';
import { isGroupMember, memberEmails } from '../src/store/groups';
import { recordAudit } from '../src/store/audit';
import { getProfile } from '../src/store/profiles';
import { addRequestDetails, createRequest, getRequest, recordApprovalProcess, REQUEST_TYPES, transitionRequest, type WorkplaceRequest } from '../src/store/requests';
import { certificateMachine } from '../src/domain/states';
import { canTransition, isState } from '../src/domain/transitions';
import { BpmnError, defineHandler, type JobInfo } from './runtime';

export interface ApprovalDeps {
  pool: Pool;
  mailer: Mailer;
  /** Tasklist's base URL, for the link in the approvers' email. */
  tasklistUrl: string;
  /**
   * Base URL of the API: the approvers' email links to `/api/requests/<id>/approval-task`, which
   * opens the request's "Approve request" task in Tasklist once it exists (issue 18.7).
   */
  publicUrl: string;
  /** The engine's record of who completed a task. */
  completedTasks: CompletedTaskSource;
}

export const DECISIONS = ['approve', 'reject', 'hold'] as const;
export type Decision = (typeof DECISIONS)[number];

const requestId = z.coerce.number().int().positive();
const optionalId = z.coerce.number().int().positive().optional().nullable();

const TYPE_LABEL: Record<WorkplaceRequest['type'], string> = {
  enrollment: 'enrollment',
  lock: 'lock (certificate hold)',
  revocation: 'revocation',
  deactivation: 'deactivation',
};

/** Who approves a request (in the store: the API asks it too, before starting an approval). */
export { approversOf };

/** What the request is about, in the operator's words, with the facts approvers need. */
export async function describeRequest(q: Queryable, r: WorkplaceRequest) {
  const facts: Array<{ label: string; value: string }> = [];
  // The object the use case was started on: the card or certificate for a lock, the asset
  // (else the profile) for an enrollment.
  const labels: Partial<Record<'profile' | 'asset' | 'card' | 'certificate', string>> = {};
  if (r.profileId) {
    const p = await getProfile(q, r.profileId);
    facts.push({ label: 'Certificate profile', value: `${p.name} (${p.protocol})` });
    labels.profile = `certificate profile ${p.name}`;
  }
  if (r.assetId) {
    const a = await getAsset(q, r.assetId);
    facts.push({ label: 'Asset', value: a.name });
    labels.asset = `asset ${a.name}`;
  }
  if (r.cardId) {
    const c = await getCard(q, r.cardId);
    facts.push({ label: 'Card', value: `${c.serialNumber} of ${c.holderName}` });
    labels.card = `card ${c.serialNumber}`;
  }
  if (r.certificateId) {
    const c = await getCertificate(q, r.certificateId);
    facts.push({ label: 'Certificate', value: `${c.subject}${c.serial ? ` (serial ${c.serial})` : ''}` });
    labels.certificate = `certificate ${c.subject}`;
  }
  for (const [k, v] of Object.entries(r.details)) {
    if (v === null || v === undefined || v === '') continue;
    facts.push({ label: k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase()), value: Array.isArray(v) ? v.join(', ') : String(v) });
  }
  const objectLabel =
    (r.type === 'enrollment'
      ? (labels.asset ?? labels.profile ?? labels.card ?? labels.certificate)
      : (labels.card ?? labels.certificate ?? labels.asset ?? labels.profile)) ?? `request ${r.id}`;
  return { objectLabel, requestTypeLabel: TYPE_LABEL[r.type], facts };
}

/**
 * The rules a decision must pass before it counts (issue 11; spec 001): the person who completed
 * "Approve request" is named (the task was assigned to them), is a member of the request's
 * approver group, is not the requester (four-eyes), chose a decision, and gave a reason when
 * rejecting. Pure: the refusal is the message shown to the agent in the task that comes back.
 */
export function reviewDecision(input: {
  completedBy: string | undefined;
  requester: string;
  isApprover: boolean;
  approverGroup: string;
  decision?: string | null;
  rejectionReason?: string | null;
}): string | undefined {
  if (!input.completedBy) return 'assign the task to yourself before deciding, so the decision has a name';
  if (input.completedBy === input.requester) {
    return `${input.completedBy} requested this and cannot decide their own request (four-eyes principle)`;
  }
  if (!input.isApprover) return `${input.completedBy} is not a member of ${input.approverGroup}: only its members decide this request`;
  if (!DECISIONS.includes(input.decision as Decision)) return 'choose Approve, Reject or On hold';
  if (input.decision === 'reject' && !input.rejectionReason?.trim()) return 'a rejection needs a reason for rejection';
  return undefined;
}

/** Who completed a user task: what the "Check decision" task asks the engine. */
export interface CompletedTaskSource {
  /**
   * The last completed instance of user task `elementId` in `processInstanceKey`, with its
   * assignee at completion. Throws (a retry) while the engine cannot tell yet.
   */
  lastCompleted(processInstanceKey: string, elementId: string): Promise<{ userTaskKey: string; completedBy: string | undefined }>;
}

/** The element id of the decision task in AssetsProcApproval.bpmn. */
export const APPROVE_TASK_ID = 'Task_ApproveRequest';

/**
 * Applies an agent's decision once per effect key: Approve -> request 'Approved'; Reject ->
 * request 'Rejected' with the reason, and its certificate object 'Rejected' (spec 000); On hold
 * -> nothing changes, the request stays 'Requested' (spec 001).
 */
export async function applyDecision(
  pool: Pool,
  v: { requestId: number; decision: Decision; rejectionReason?: string | null; decidedBy: string },
  effectKey: string,
  processInstanceKey: string,
): Promise<'approved' | 'rejected' | 'onHold'> {
  const ctx = { actor: v.decidedBy, processInstanceKey };
  const r0 = await getRequest(pool, v.requestId);
  if (v.decidedBy === r0.requester) {
    throw new BpmnError('FORBIDDEN', `${v.decidedBy} requested this and cannot decide their own request (four-eyes principle)`);
  }
  if (v.decision === 'hold') return 'onHold';
  if (v.decision === 'reject' && !v.rejectionReason?.trim()) {
    throw new BpmnError('REASON_REQUIRED', 'a rejection needs a reason for rejection');
  }
  const { result } = await applyOnce(pool, effectKey, 'approval.decide', async (tx) => {
    if (v.decision === 'approve') {
      await transitionRequest(tx, v.requestId, 'Approved', ctx, { decidedBy: v.decidedBy });
      return 'approved' as const;
    }
    const r = await transitionRequest(tx, v.requestId, 'Rejected', { ...ctx, reason: v.rejectionReason! }, {
      decidedBy: v.decidedBy,
      rejectionReason: v.rejectionReason!,
    });
    if (r.certificateId) {
      const cert = await getCertificate(tx, r.certificateId);
      if (isState(certificateMachine, cert.state) && canTransition(certificateMachine, cert.state, 'Rejected')) {
        await transitionCertificate(tx, cert.id, 'Rejected', { ...ctx, reason: `request ${r.id} rejected` });
      }
    }
    return 'rejected' as const;
  });
  return result;
}

/**
 * Earlier requests for the same thing (use case, type, profile, asset, certificate, card) still
 * waiting for a decision: the new one duplicates them.
 */
async function openRequestsLike(q: Queryable, r: WorkplaceRequest): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(
    `SELECT id FROM requests
      WHERE id <> $1 AND state = 'Requested' AND use_case = $2 AND type = $3
        AND profile_id IS NOT DISTINCT FROM $4 AND asset_id IS NOT DISTINCT FROM $5
        AND certificate_id IS NOT DISTINCT FROM $6 AND card_id IS NOT DISTINCT FROM $7
      ORDER BY id`,
    [r.id, r.useCase, r.type, r.profileId, r.assetId, r.certificateId, r.cardId],
  );
  return rows.map((row) => Number(row.id));
}

export function createApprovalHandlers(deps: ApprovalDeps) {
  const { pool, mailer } = deps;

  const createRequestHandler = defineHandler({
    type: 'approval.create-request',
    input: z.object({
      /** An enrollment already has its request (created when it started): it is sent for approval. */
      requestId: optionalId,
      useCase: z.string(),
      requestType: z.enum(REQUEST_TYPES),
      requester: z.string(),
      requesterEmail: z.string().optional().nullable(),
      profileId: optionalId,
      assetId: optionalId,
      certificateId: optionalId,
      cardId: optionalId,
      requestDetails: z.record(z.string(), z.unknown()).optional().nullable(),
      /**
       * The use case's own instance (its first task outputs it): the request belongs to it, and
       * "Delete request" cancels it. This sub-process is a child, which the engine will not
       * cancel alone, and it has ended by then (issue 18.3). Without it, this instance.
       */
      ownerProcessInstanceKey: z.string().regex(/^\d{1,20}$/).optional().nullable(),
    }),
    output: z.object({ requestId: z.number(), approverGroup: z.string(), approverEmails: z.array(z.string()) }),
    async handle(v, job: JobInfo) {
      const { result } = await applyOnce(pool, `${job.key}:create-request`, 'approval.create-request', async (tx) => {
        const ctx = { actor: v.requester, processInstanceKey: job.processInstanceKey };
        // An enrollment's request gets what was entered since it started (issue 18.2).
        if (v.requestId && v.requestDetails) await addRequestDetails(tx, v.requestId, v.requestDetails);
        const id =
          v.requestId ??
          (
            await createRequest(
              tx,
              {
                type: v.requestType,
                useCase: v.useCase,
                requester: v.requester,
                requesterEmail: v.requesterEmail ?? undefined,
                profileId: v.profileId ?? undefined,
                assetId: v.assetId ?? undefined,
                certificateId: v.certificateId ?? undefined,
                cardId: v.cardId ?? undefined,
                details: v.requestDetails ?? {},
                processInstanceKey: v.ownerProcessInstanceKey ?? job.processInstanceKey,
              },
              ctx,
            )
          ).id;
        const requested = await transitionRequest(tx, id, 'Requested', { ...ctx, reason: 'sent for approval' });
        return { requestId: requested.id, ...(await approversOf(tx, requested)) };
      });
      return result;
    },
  });

  /**
   * Emails the approvers: the members of the request's approver group with a known address (not
   * the requester, who may not decide) and the addresses configured on the profile or use case;
   * the link opens the request's own task in Tasklist (issue 18.7). The requester is told it was
   * sent (spec 001), and that it was sent already when an earlier request for the same thing is
   * still waiting for a decision (spec 002: "If the request has been sent already, you will also
   * get a notification").
   */
  const notifyApprovers = defineHandler({
    type: 'approval.notify-approvers',
    input: z.object({ requestId }),
    output: z.object({ approversNotified: z.number(), requesterNotified: z.boolean(), alreadyRequested: z.array(z.number()) }),
    async handle({ requestId: id }, job) {
      const r = await getRequest(pool, id);
      const { approverGroup, approverEmails } = await approversOf(pool, r);
      const recipients = [...new Set([...(await memberEmails(pool, approverGroup, r.requester)), ...approverEmails])];
      const about = await describeRequest(pool, r);
      const alreadyRequested = await openRequestsLike(pool, r);
      // Spec 001: "you will receive an email with information that there is an approval request sent".
      if (r.requesterEmail) {
        await mailer.enqueue(`${job.key}:approval-request-sent`, 'approval-request-sent', [r.requesterEmail], {
          ...about,
          requestId: r.id,
          requester: r.requester,
          approverGroup,
        });
        if (alreadyRequested.length > 0) {
          await mailer.enqueue(`${job.key}:already-requested`, 'request-already-sent', [r.requesterEmail], {
            ...about,
            requestId: r.id,
            requester: r.requester,
            earlierRequests: alreadyRequested.join(', '),
          });
        }
      }
      const requesterNotified = Boolean(r.requesterEmail);
      if (recipients.length === 0) return { approversNotified: 0, requesterNotified, alreadyRequested };
      await mailer.enqueue(`${job.key}:approval-requested`, 'approval-requested', recipients, {
        ...about,
        requestId: r.id,
        requester: r.requester,
        useCase: r.useCase,
        approverGroup,
        taskUrl: `${deps.publicUrl}/api/requests/${r.id}/approval-task`,
        alreadyRequested: alreadyRequested.join(', '),
      });
      return { approversNotified: recipients.length, requesterNotified, alreadyRequested };
    },
  });

  const loadRequest = defineHandler({
    type: 'approval.load-request',
    input: z.object({ requestId }),
    output: z.object({
      requester: z.string(),
      approverGroup: z.string(),
      requestSummary: z.string(),
      requestFacts: z.array(z.object({ label: z.string(), value: z.string() })),
    }),
    async handle({ requestId: id }, job) {
      const r = await getRequest(pool, id);
      if (r.state !== 'Requested') {
        throw new BpmnError('STATE_CONFLICT', `request ${r.id} is '${r.state}', not 'Requested': there is nothing to decide`);
      }
      // One request, one decision task (issue 18.1): the first approval process waiting for it is
      // the one "Approve request" leads to; a second one has nothing to decide.
      const waiting = await recordApprovalProcess(pool, r.id, job.processInstanceKey);
      if (waiting !== job.processInstanceKey) {
        throw new BpmnError('STATE_CONFLICT', `request ${r.id} is decided in its own approval task (process instance ${waiting}), not in a second one`);
      }
      const about = await describeRequest(pool, r);
      return {
        requester: r.requester,
        approverGroup: (await approversOf(pool, r)).approverGroup,
        requestSummary: `${r.requester} requests the ${about.requestTypeLabel} of ${about.objectLabel} (request ${r.id}, ${r.useCase})`,
        requestFacts: about.facts,
      };
    },
  });

  const decide = defineHandler({
    type: 'approval.decide',
    input: z.object({
      requestId,
      decision: z.enum(DECISIONS),
      rejectionReason: z.string().optional().nullable(),
      decidedBy: z.string().min(1),
    }),
    output: z.object({ approvalState: z.enum(['approved', 'rejected', 'onHold']) }),
    async handle(v, job) {
      return { approvalState: await applyDecision(pool, v, `${job.key}:decide`, job.processInstanceKey) };
    },
  });

  /**
   * "Check decision", right after "Approve request": the engine says who completed the task;
   * a decision that breaks a rule is refused — recorded in the request's history, nothing else
   * changes — and the model sends the task back with the reason. A valid one is applied here.
   */
  const checkDecision = defineHandler({
    type: 'approval.check-decision',
    input: z.object({ requestId, decision: z.string().optional().nullable(), rejectionReason: z.string().optional().nullable() }),
    output: z.object({
      approvalState: z.enum(['approved', 'rejected', 'onHold', 'refused']),
      decisionRefusal: z.string().nullable(),
      decidedBy: z.string().nullable(),
    }),
    async handle(v, job) {
      const r = await getRequest(pool, v.requestId);
      const { completedBy } = await deps.completedTasks.lastCompleted(job.processInstanceKey, APPROVE_TASK_ID);
      const { approverGroup } = await approversOf(pool, r);
      const refusal = reviewDecision({
        completedBy,
        requester: r.requester,
        isApprover: completedBy ? await isGroupMember(pool, approverGroup, completedBy) : false,
        approverGroup,
        decision: v.decision,
        rejectionReason: v.rejectionReason,
      });
      if (refusal) {
        await applyOnce(pool, `${job.key}:refused`, 'approval.refuse-decision', async (tx) => {
          await recordAudit(tx, {
            objectType: 'request',
            objectId: r.id,
            fromState: r.state,
            toState: r.state,
            actor: completedBy ?? 'unassigned',
            processInstanceKey: job.processInstanceKey,
            reason: `decision '${v.decision ?? ''}' refused: ${refusal}`,
          });
          return null;
        });
        return { approvalState: 'refused' as const, decisionRefusal: refusal, decidedBy: null };
      }
      const approvalState = await applyDecision(
        pool,
        { requestId: v.requestId, decision: v.decision as Decision, rejectionReason: v.rejectionReason, decidedBy: completedBy! },
        `${job.key}:decide`,
        job.processInstanceKey,
      );
      return { approvalState, decisionRefusal: null, decidedBy: completedBy! };
    },
  });

  const notifyRequester = defineHandler({
    type: 'approval.notify-requester',
    input: z.object({ requestId }),
    output: z.object({ requesterNotified: z.boolean() }),
    async handle({ requestId: id }, job) {
      const r = await getRequest(pool, id);
      if (r.state !== 'Approved' && r.state !== 'Rejected') {
        throw new ValidationError(`request ${r.id} is '${r.state}': only a decided request is announced to its requester`);
      }
      if (!r.requesterEmail) return { requesterNotified: false };
      const about = await describeRequest(pool, r);
      await mailer.enqueue(`${job.key}:decision`, r.state === 'Approved' ? 'request-approved' : 'request-rejected', [r.requesterEmail], {
        ...about,
        requestId: r.id,
        requester: r.requester,
        decidedBy: r.decidedBy ?? 'an approver',
        rejectionReason: r.rejectionReason ?? '',
      });
      return { requesterNotified: true };
    },
  });

  return [createRequestHandler, notifyApprovers, loadRequest, decide, checkDecision, notifyRequester];
}
