/**
 * Requests (spec 000, 001): an enrollment, lock or revocation that may need approval, with
 * everything needed to carry it out. Never holds a secret.
 */
import { z } from 'zod';
import { NotFoundError, StateConflictError, ValidationError } from '../domain/errors';
import { recordAudit } from './audit';
import type { CaConnector } from '../ca/connector';
import type { RevocationReason } from '../ca/revocation';
import { certificateMachine, requestMachine, type RequestState, type RevocationState } from '../domain/states';
import { atomically, isPool, type Queryable } from './db';
import { STATE_OF_CRL_REASON } from './ca-reconcile';
import { searchTable } from './search';
import { withdrawSecretLinks } from './secret-links';
import { applyTransition, recordCreation } from './transition';
import { email, objectId, parseInput, text, transitionContext, type Page, type SearchParams, type TransitionContext } from './validate';

export const REQUEST_TYPES = ['enrollment', 'lock', 'revocation', 'deactivation'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export interface WorkplaceRequest {
  id: number;
  type: RequestType;
  state: RequestState;
  useCase: string;
  requester: string;
  requesterEmail: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  rejectionReason: string | null;
  failureReason: string | null;
  profileId: number | null;
  assetId: number | null;
  certificateId: number | null;
  cardId: number | null;
  details: Record<string, unknown>;
  /** The process that owns the request: the use case's own instance, which "Delete request" cancels. */
  processInstanceKey: string | null;
  /** The AssetsProcApproval instance waiting for this request's decision, once it has started. */
  approvalProcessInstanceKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = `id, type, state, use_case AS "useCase", requester, requester_email AS "requesterEmail",
  decided_by AS "decidedBy", decided_at AS "decidedAt", rejection_reason AS "rejectionReason",
  failure_reason AS "failureReason", profile_id AS "profileId", asset_id AS "assetId",
  certificate_id AS "certificateId", card_id AS "cardId", details,
  process_instance_key AS "processInstanceKey", approval_process_instance_key AS "approvalProcessInstanceKey", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Keys that would carry a secret: refused in request details, which are shown to approvers. */
const SECRET_KEY = /(password|passphrase|secret|private.?key|hmac|challenge)/i;

const details = z
  .record(z.string().max(100), z.unknown())
  .default({})
  .refine((d) => JSON.stringify(d).length <= 20000, 'request details must be at most 20000 characters of JSON')
  .refine((d) => !Object.keys(d).some((k) => SECRET_KEY.test(k)), 'request details must not carry secrets');

export const newRequest = z
  .object({
    type: z.enum(REQUEST_TYPES),
    useCase: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,99}$/, 'must be a use-case symbolic name'),
    requester: text(100),
    requesterEmail: email.optional(),
    profileId: objectId.optional(),
    assetId: objectId.optional(),
    certificateId: objectId.optional(),
    cardId: objectId.optional(),
    details,
    processInstanceKey: z.string().regex(/^\d{1,20}$/).optional(),
  })
  .strict();
export type NewRequest = z.input<typeof newRequest>;

export const requestUpdate = z
  .object({
    decidedBy: text(100).optional(),
    rejectionReason: text(2000).optional(),
    failureReason: text(2000).optional(),
    processInstanceKey: z.string().regex(/^\d{1,20}$/).optional(),
  })
  .strict();
export type RequestUpdate = z.input<typeof requestUpdate>;

export async function createRequest(q: Queryable, input: NewRequest, ctx: TransitionContext): Promise<WorkplaceRequest> {
  const r = parseInput(newRequest, input, 'request');
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO requests (type, use_case, requester, requester_email, profile_id, asset_id, certificate_id, card_id,
         details, process_instance_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [r.type, r.useCase, r.requester, r.requesterEmail ?? null, r.profileId ?? null, r.assetId ?? null,
        r.certificateId ?? null, r.cardId ?? null, JSON.stringify(r.details), r.processInstanceKey ?? null],
    );
    const id = rows[0]!.id;
    await recordCreation(tx, requestMachine, id, 'Registered', ctx);
    return getRequest(tx, id);
  });
}

export async function getRequest(q: Queryable, id: number): Promise<WorkplaceRequest> {
  const key = parseInput(objectId, id, 'request id');
  const { rows } = await q.query<WorkplaceRequest>(`SELECT ${SELECT} FROM requests WHERE id = $1`, [key]);
  if (!rows[0]) throw new NotFoundError('request', key);
  return rows[0];
}

export function searchRequests(q: Queryable, params?: SearchParams): Promise<Page<WorkplaceRequest>> {
  return searchTable<WorkplaceRequest>(
    q,
    { table: 'requests', select: SELECT, textColumns: ['requester', 'use_case', 'type', 'details::text'], machine: requestMachine },
    params,
  );
}

/**
 * Changes the request's state. A decision (Approved/Rejected) records who decided and when;
 * a rejection needs its reason (spec 001), a failure its cause.
 */
export async function transitionRequest(
  q: Queryable,
  id: number,
  to: string,
  ctx: TransitionContext,
  update: RequestUpdate = {},
): Promise<WorkplaceRequest> {
  const u = parseInput(requestUpdate, update, 'request update');
  if (to === 'Rejected' && !u.rejectionReason) throw new ValidationError('a rejection needs a reason for rejection');
  if (to === 'Failed' && !u.failureReason) throw new ValidationError('a failed request needs the reason it failed');
  const set: Record<string, unknown> = {};
  if (to === 'Approved' || to === 'Rejected') {
    set.decided_by = u.decidedBy ?? parseInput(text(100), ctx.actor, 'actor');
    set.decided_at = new Date();
  }
  if (u.rejectionReason !== undefined) set.rejection_reason = u.rejectionReason;
  if (u.failureReason !== undefined) set.failure_reason = u.failureReason;
  if (u.processInstanceKey !== undefined) set.process_instance_key = u.processInstanceKey;
  return atomically(q, async (tx) => {
    await applyTransition(tx, { table: 'requests', machine: requestMachine, id: parseInput(objectId, id, 'request id'), to, ctx, set });
    return getRequest(tx, id);
  });
}

/**
 * Adds what was entered since the request was created (an enrollment's CSR subject, common name,
 * DNS names) to its details, before it is sent for approval: the approver decides on what will
 * be issued (issue 18.2). Only a Registered request changes: a request sent or decided keeps the
 * details it was decided on. Values given replace those of the same key.
 */
export async function addRequestDetails(q: Queryable, id: number, more: Record<string, unknown>): Promise<WorkplaceRequest> {
  const key = parseInput(objectId, id, 'request id');
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ state: string; details: Record<string, unknown> }>('SELECT state, details FROM requests WHERE id = $1 FOR UPDATE', [key]);
    if (!rows[0]) throw new NotFoundError('request', key);
    if (rows[0].state !== 'Registered') throw new StateConflictError('request', key, rows[0].state, 'Registered');
    const merged = parseInput(details, { ...rows[0].details, ...more }, 'request details');
    await tx.query('UPDATE requests SET details = $2, updated_at = now() WHERE id = $1', [key, JSON.stringify(merged)]);
    return getRequest(tx, key);
  });
}

/**
 * Records the AssetsProcApproval instance that waits for the request's decision, so "Approve
 * request" on the request leads to that one task instead of starting a second (issue 18.1).
 * The first one stays: a redelivered job or a second approval process changes nothing.
 * Resolves with the approval instance the request is decided in.
 */
export async function recordApprovalProcess(q: Queryable, id: number, processInstanceKey: string): Promise<string> {
  const key = parseInput(objectId, id, 'request id');
  const pik = parseInput(z.string().regex(/^\d{1,20}$/), processInstanceKey, 'process instance key');
  const { rows } = await q.query<{ k: string }>(
    `UPDATE requests SET approval_process_instance_key = COALESCE(approval_process_instance_key, $2)
     WHERE id = $1 RETURNING approval_process_instance_key AS k`,
    [key, pik],
  );
  if (!rows[0]) throw new NotFoundError('request', key);
  return rows[0].k;
}

/**
 * "Delete request" (spec 001): removes a request not yet decided (Registered or Requested) and
 * records the deletion in the audit history. Every object the request's enrollment created reaches
 * a final state (issue 18.3): a certificate object still only requested (Certificate requested,
 * Requested) becomes Rejected, as nothing will ever issue it; one already issued while the request
 * is still Registered — a P12 key pair generated without approval, its installation not confirmed —
 * is revoked (see revokeIssued). A lock or deactivation request leaves its certificate as it is.
 * Returns the request as it was.
 *
 * `cancelProcess` runs last, with the request locked, its state checked and everything else done
 * (the API cancels the owning process there): a decision or a confirmation that comes at the same
 * moment either waits and finds the request gone, or was first and the deletion is refused (issue
 * 15.6); an engine that refuses the cancel rolls all of it back, the revocation at the built-in CA
 * (which works inside this transaction) included.
 */
export async function deleteRequest(
  q: Queryable,
  id: number,
  ctx: TransitionContext,
  { cancelProcess, ca }: { cancelProcess?: (r: WorkplaceRequest) => Promise<void>; ca?: CaConnector } = {},
): Promise<WorkplaceRequest> {
  const key = parseInput(objectId, id, 'request id');
  const c = parseInput(transitionContext, ctx, 'transition context');
  const attempt = () => atomically(q, async (tx) => {
    // Locked first: a decision arriving now waits for this deletion, or this one sees it (issue 15.6).
    await tx.query('SELECT 1 FROM requests WHERE id = $1 FOR UPDATE', [key]);
    const r = await getRequest(tx, key);
    if (r.state !== 'Registered' && r.state !== 'Requested') throw new StateConflictError('request', key, r.state, 'Deleted');
    const deleted = await tx.query(`DELETE FROM requests WHERE id = $1 AND state IN ('Registered', 'Requested')`, [key]);
    if (deleted.rowCount !== 1) throw new StateConflictError('request', key, r.state, 'Deleted');
    await recordAudit(tx, { objectType: 'request', objectId: key, fromState: r.state, toState: 'Deleted', ...c });
    if (r.certificateId) {
      const { rows } = await tx.query<{ state: string; serial: string | null }>('SELECT state, serial FROM certificates WHERE id = $1 FOR UPDATE', [r.certificateId]);
      const cert = rows[0];
      if (cert && (cert.state === 'Certificate requested' || cert.state === 'Requested')) {
        await applyTransition(tx, {
          table: 'certificates',
          machine: certificateMachine,
          id: r.certificateId,
          to: 'Rejected',
          ctx: { ...c, reason: `request ${key} deleted` },
        });
      } else if (cert?.serial && r.type === 'enrollment' && (cert.state === 'Valid' || cert.state === 'Certificate hold')) {
        await revokeIssued(tx, ca, r, { id: r.certificateId, serial: cert.serial }, c);
      }
    }
    await cancelProcess?.(r);
    return r;
  });
  try {
    return await attempt();
  } catch (err) {
    // P10 issuance and ACME/SCEP registration lock the certificate, then the request; decisions and
    // this deletion the request first. When an issuance completes the request at this very moment,
    // PostgreSQL ends one of the two (nothing is half done, the engine's cancel has not run): ours
    // is tried again once, and then finds the request completed (409) instead of answering 500.
    if (isPool(q) && (err as { code?: unknown }).code === DEADLOCK_DETECTED) return attempt();
    throw err;
  }
}

const DEADLOCK_DETECTED = '40P01';

/**
 * The certificate a deleted enrollment had issued (P12 without approval: the request stays
 * Registered until the installation is confirmed). Nobody confirmed it and its request is gone, so
 * it is revoked at the CA and in the store as 'Cessation of operation' (spec 000: "the certificate
 * will no longer be used"), as the expiry watch does with an unclaimed PKCS#12; its one-time links
 * not opened yet are withdrawn and the CA's waiting PKCS#12 — the only copy of its private key —
 * is dropped. Decided from the CA's status: revoked there already, the store follows its reason
 * (a revocation is final). Inside the caller's transaction, the CA's change included.
 */
async function revokeIssued(tx: Queryable, ca: CaConnector | undefined, r: WorkplaceRequest, cert: { id: number; serial: string }, c: z.output<typeof transitionContext>): Promise<void> {
  if (!ca) throw new Error(`request ${r.id} has issued certificate ${cert.id}: deleting it revokes that certificate, which needs the CA`);
  const atCa = ca.within(tx);
  const now = await atCa.status(cert.serial);
  const to: RevocationState = now.status === 'revoked' ? (STATE_OF_CRL_REASON[now.reason as RevocationReason] ?? 'Cessation of operation') : 'Cessation of operation';
  if (now.status !== 'revoked') await atCa.revoke({ idempotencyKey: `request-deleted:${r.id}`, serialNumber: cert.serial, reason: 'cessationOfOperation' });
  const withdrawn = await withdrawSecretLinks(tx, `certificate:${cert.id}`);
  await tx.query('UPDATE ca_pending_pkcs12 SET pkcs12_encrypted = NULL WHERE serial = $1 AND pkcs12_encrypted IS NOT NULL', [cert.serial]);
  const links = withdrawn ? `; its one-time link${withdrawn > 1 ? 's' : ''} not opened yet withdrawn` : '';
  await applyTransition(tx, {
    table: 'certificates',
    machine: certificateMachine,
    id: cert.id,
    to,
    ctx: { ...c, reason: `revoked: request ${r.id} deleted by ${c.actor} before the enrollment was completed${links}` },
  });
}

/**
 * Relates a request to the certificate object it is about (created after the request, e.g. at
 * enrollment), with a history row on the request and its actor (issue 17.10).
 */
export async function relateToCertificate(q: Queryable, requestId: number, certificateId: number, ctx: TransitionContext): Promise<void> {
  const id = parseInput(objectId, requestId, 'request id');
  const cert = parseInput(objectId, certificateId, 'certificate id');
  const c = parseInput(transitionContext, ctx, 'transition context');
  await atomically(q, async (tx) => {
    const r = await tx.query<{ state: string; certificate_id: number | null }>(
      'UPDATE requests r SET certificate_id = $2, updated_at = now() FROM requests old WHERE r.id = old.id AND r.id = $1 RETURNING r.state, old.certificate_id',
      [id, cert],
    );
    const row = r.rows[0];
    if (!row) throw new NotFoundError('request', id);
    if (row.certificate_id === cert) return;
    const was = row.certificate_id === null ? 'none' : `certificate ${row.certificate_id}`;
    await recordAudit(tx, { objectType: 'request', objectId: id, fromState: row.state, toState: row.state, ...c, reason: `related to certificate ${cert} (was: ${was})` });
  });
}
