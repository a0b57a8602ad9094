/**
 * The parties of an object, read from the store, for the permission rules in
 * src/domain/authorization.ts (issue 17.11): who owns an asset, holds a card, holds or enrolled
 * a certificate, requested a request and which group decides it.
 */
import { mayStartUseCase, NO_PARTIES, type Actor, type Parties, type Permission, type Target } from '../domain/authorization';
import { ForbiddenError } from '../domain/errors';
import { findUseCase, type ObjectKind } from '../domain/use-cases';
import { approversOf } from './approvers';
import type { Queryable } from './db';
import { groupsOf, ADMIN_GROUP } from './groups';
import { getRequest } from './requests';

/** The parties of object `id` of `kind`; a certificate profile has none (it belongs to no one). */
export async function partiesOf(q: Queryable, kind: ObjectKind, id: number): Promise<Parties> {
  switch (kind) {
    case 'asset': {
      const { rows } = await q.query<{ email: string | null }>('SELECT owner_email AS email FROM assets WHERE id = $1', [id]);
      return { holderEmails: rows.map((r) => r.email), requesters: [] };
    }
    case 'card': {
      const { rows } = await q.query<{ email: string | null }>('SELECT holder_email AS email FROM cards WHERE id = $1', [id]);
      return { holderEmails: rows.map((r) => r.email), requesters: [] };
    }
    case 'certificate': {
      const { rows } = await q.query<{ assetOwner: string | null; cardHolder: string | null }>(
        `SELECT a.owner_email AS "assetOwner", k.holder_email AS "cardHolder"
           FROM certificates c LEFT JOIN assets a ON a.id = c.asset_id LEFT JOIN cards k ON k.id = c.card_id
          WHERE c.id = $1`,
        [id],
      );
      const enrolledBy = await q.query<{ requester: string }>(
        `SELECT DISTINCT requester FROM requests WHERE certificate_id = $1 AND type = 'enrollment'`,
        [id],
      );
      return {
        holderEmails: rows.flatMap((r) => [r.assetOwner, r.cardHolder]),
        requesters: enrolledBy.rows.map((r) => r.requester),
      };
    }
    case 'request': {
      const r = await getRequest(q, id);
      return { holderEmails: [], requesters: [r.requester], approverGroup: (await approversOf(q, r)).approverGroup };
    }
    case 'certificate-profile':
      return NO_PARTIES;
  }
}

const LABEL: Record<ObjectKind, string> = {
  asset: 'asset',
  'certificate-profile': 'certificate profile',
  certificate: 'certificate',
  request: 'request',
  card: 'card',
};

/**
 * Whether `actor` may start `symbolicName` on object `id` of `kind`; for Enroll profile on a
 * certificate profile, the asset named at the start (`assetId`) decides, or none.
 */
export async function permissionToStart(
  q: Queryable,
  actor: Actor,
  symbolicName: string,
  kind: ObjectKind,
  id: number,
  assetId?: number | null,
): Promise<Permission> {
  const target: Target = { kind, label: `${LABEL[kind]} ${id}`, parties: await partiesOf(q, kind, id) };
  if (kind === 'certificate-profile' && symbolicName === 'AssetsProcEnrollProfile') {
    target.asset = assetId ? { label: `asset ${assetId}`, parties: await partiesOf(q, 'asset', assetId) } : null;
  }
  return mayStartUseCase(actor, symbolicName, findUseCase(symbolicName)?.label ?? symbolicName, target);
}

/**
 * The processes' own check (issue 17.11), at their first step: the `requester` they were started
 * for, with the groups the store gives that name now, may start them on the object. The API
 * checks before it starts; this catches a start that went around it (the engine's own REST or
 * gRPC, Modeler), as far as its variables are honest. Throws ForbiddenError (a BPMN error code
 * no model catches: the instance stops with an incident naming who may, before anything changed).
 */
export async function assertRequesterMayStart(
  q: Queryable,
  requester: { requester: string; requesterEmail?: string | null },
  symbolicName: string,
  kind: ObjectKind,
  id: number,
  assetId?: number | null,
): Promise<void> {
  const actor = await actorFromStore(q, requester.requester, requester.requesterEmail ?? null);
  const permission = await permissionToStart(q, actor, symbolicName, kind, id, assetId);
  if (!permission.allowed) throw new ForbiddenError(permission.reason);
}

/**
 * A user known only by name — the `requester` of a process — as an actor, with the groups the
 * store gives them: workers decide with what the store says now, not with what a caller sent.
 */
export async function actorFromStore(q: Queryable, username: string, email: string | null): Promise<Actor> {
  const groups = await groupsOf(q, username);
  return { username, email, groups, isAdmin: groups.includes(ADMIN_GROUP) };
}
