/**
 * Approval handling (spec 001): AssetsProcApprovalRequest creates the request and emails the
 * approvers; AssetsProcApproval lets a certificate agent approve, reject (with a reason) or put
 * it on hold, then emails the requester. Four-eyes: the requester never decides their own request.
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
import { getOptions } from '../src/store/options';
import { getProfile } from '../src/store/profiles';
import { createRequest, getRequest, REQUEST_TYPES, transitionRequest, type WorkplaceRequest } from '../src/store/requests';
import { certificateMachine } from '../src/domain/states';
import { canTransition, isState } from '../src/domain/transitions';
import { BpmnError, defineHandler, listenerVerdict, type JobInfo } from './runtime';

export interface ApprovalDeps {
  pool: Pool;
  mailer: Mailer;
  /** Tasklist's base URL, for the link in the approvers' email. */
  tasklistUrl: string;
}

export const DECISIONS = ['approve', 'reject', 'hold'] as const;
export type Decision = (typeof DECISIONS)[number];

const requestId = z.coerce.number().int().positive();
const optionalId = z.coerce.number().int().positive().optional().nullable();

const TYPE_LABEL: Record<WorkplaceRequest['type'], string> = {
  enrollment: 'enrollment',
  lock: 'lock (certificate hold)',
  revocation: 'revocation',
};

/**
 * Who approves a request. A certificate profile's approval settings decide for enrollment and
 * lock (spec 001); the use case's options decide for the others (e.g. deactivate card, spec
 * 004). Addresses in the use case's options are always notified too.
 */
export async function approversOf(q: Queryable, r: Pick<WorkplaceRequest, 'useCase' | 'profileId'>) {
  const options = await getOptions(q, r.useCase);
  const profile = r.profileId ? await getProfile(q, r.profileId) : undefined;
  return {
    approverGroup: profile?.approverGroup ?? options.approverGroup,
    approverEmails: [...new Set([...(profile?.approverEmails ?? []), ...options.approverEmails])],
  };
}

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
 * The four-eyes and completeness checks of the "Approve request" task, run by its task
 * listener on assigning and completing: a refusal is the reason the engine shows.
 */
export function reviewApprovalTask(input: {
  event: 'assigning' | 'completing';
  assignee: string | undefined;
  requester: string;
  decision?: string;
  rejectionReason?: string;
}): { denied: false } | { denied: true; deniedReason: string } {
  if (input.assignee && input.assignee === input.requester) {
    return { denied: true, deniedReason: `${input.assignee} requested this and cannot decide their own request (four-eyes principle)` };
  }
  if (input.event === 'completing') {
    if (!input.assignee) return { denied: true, deniedReason: 'claim the task before deciding, so the decision has a name' };
    if (!DECISIONS.includes(input.decision as Decision)) return { denied: true, deniedReason: 'choose Approve, Reject or On hold' };
    if (input.decision === 'reject' && !input.rejectionReason?.trim()) {
      return { denied: true, deniedReason: 'a rejection needs a reason for rejection' };
    }
  }
  return { denied: false };
}

/** The user task's assignee, as Zeebe gives it to a task listener's job. */
export function assigneeOf(job: JobInfo): string | undefined {
  const a = job.customHeaders['io.camunda.zeebe:assignee'];
  return typeof a === 'string' && a !== '' ? a : undefined;
}

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
    }),
    output: z.object({ requestId: z.number(), approverGroup: z.string(), approverEmails: z.array(z.string()) }),
    async handle(v, job: JobInfo) {
      const { result } = await applyOnce(pool, `${job.key}:create-request`, 'approval.create-request', async (tx) => {
        const ctx = { actor: v.requester, processInstanceKey: job.processInstanceKey };
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
                processInstanceKey: job.processInstanceKey,
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

  const notifyApprovers = defineHandler({
    type: 'approval.notify-approvers',
    input: z.object({ requestId }),
    output: z.object({ approversNotified: z.number() }),
    async handle({ requestId: id }, job) {
      const r = await getRequest(pool, id);
      const { approverGroup, approverEmails } = await approversOf(pool, r);
      if (approverEmails.length === 0) return { approversNotified: 0 };
      const about = await describeRequest(pool, r);
      await mailer.sendOnce(`${job.key}:approval-requested`, 'approval-requested', approverEmails, {
        ...about,
        requestId: r.id,
        requester: r.requester,
        useCase: r.useCase,
        approverGroup,
        taskUrl: `${deps.tasklistUrl}/?filter=all-open`,
      });
      return { approversNotified: approverEmails.length };
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
    async handle({ requestId: id }) {
      const r = await getRequest(pool, id);
      if (r.state !== 'Requested') {
        throw new BpmnError('STATE_CONFLICT', `request ${r.id} is '${r.state}', not 'Requested': there is nothing to decide`);
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

  /** Listener on "Approve request" assigning: the requester may not take their own request. */
  const reviewAssignment = defineHandler({
    type: 'approval.review-assignment',
    listener: true,
    input: z.object({ requestId }),
    output: listenerVerdict,
    async handle(v, job) {
      const r = await getRequest(pool, v.requestId);
      return reviewApprovalTask({ event: 'assigning', assignee: assigneeOf(job), requester: r.requester });
    },
  });

  /**
   * Listener on "Approve request" completing: four-eyes, the reason for a rejection, then the
   * decision itself, made here because only here is it known who decides (the assignee).
   * A refusal keeps the task open with the reason shown to the agent.
   */
  const reviewCompletion = defineHandler({
    type: 'approval.review-completion',
    listener: true,
    input: z.object({ requestId, decision: z.string().optional().nullable(), rejectionReason: z.string().optional().nullable() }),
    output: listenerVerdict,
    async handle(v, job) {
      const r = await getRequest(pool, v.requestId);
      const assignee = assigneeOf(job);
      const verdict = reviewApprovalTask({
        event: 'completing',
        assignee,
        requester: r.requester,
        decision: v.decision ?? undefined,
        rejectionReason: v.rejectionReason ?? undefined,
      });
      if (verdict.denied) return verdict;
      try {
        await applyDecision(
          pool,
          { requestId: v.requestId, decision: v.decision as Decision, rejectionReason: v.rejectionReason, decidedBy: assignee! },
          `${job.key}:decide`,
          job.processInstanceKey,
        );
      } catch (err) {
        if (err instanceof BpmnError || err instanceof DomainError) return { denied: true as const, deniedReason: err.message };
        throw err;
      }
      return { denied: false as const };
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
      await mailer.sendOnce(`${job.key}:decision`, r.state === 'Approved' ? 'request-approved' : 'request-rejected', [r.requesterEmail], {
        ...about,
        requestId: r.id,
        requester: r.requester,
        decidedBy: r.decidedBy ?? 'an approver',
        rejectionReason: r.rejectionReason ?? '',
      });
      return { requesterNotified: true };
    },
  });

  return [createRequestHandler, notifyApprovers, loadRequest, decide, reviewAssignment, reviewCompletion, notifyRequester];
}
