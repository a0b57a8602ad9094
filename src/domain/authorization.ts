/**
 * Who may act on which object (issue 17.11). Pure: the caller and the object's parties come in
 * as data (src/store/authorization.ts reads them), so the API and the workers decide alike.
 *
 * The roles, from the spec's actors: a *registration authority* (the operator of spec 003/004,
 * the certificate agent who enrolls and locks in spec 002) acts on any object; a holder acts on
 * what is theirs — the asset they own, the card they hold, the certificate of either or the one
 * they enrolled — as the self-service user of spec 004 does; the approver group decides
 * requests (spec 001); an admin may do everything. Reactivating a virtual smart card is for a
 * registration authority or an admin only: a holder must not undo a deactivation made for cause.
 */
import type { ObjectKind } from './use-cases';

/** Members act on every asset, certificate and card (enroll, lock/revoke, deactivate, reactivate). */
export const REGISTRATION_AUTHORITY_GROUP = 'workplace-registration-authority';

/** The signed-in person, as far as permissions go. */
export interface Actor {
  username: string;
  email: string | null;
  groups: readonly string[];
  isAdmin: boolean;
}

/** Who an object belongs to. */
export interface Parties {
  /** Addresses of the object's holders: an asset's owner, a card's holder, a certificate's asset owner and card holder. */
  holderEmails: ReadonlyArray<string | null>;
  /** Users who requested it: a request's requester, the requester of a certificate's enrollment. */
  requesters: readonly string[];
  /** For a request: the group that decides it. */
  approverGroup?: string;
}

export const NO_PARTIES: Parties = { holderEmails: [], requesters: [] };

export type Permission = { allowed: true; as: 'admin' | 'registration authority' | 'holder' | 'approver' | 'requester' } | { allowed: false; reason: string };

/** The object a use case starts on, with its parties; for an enrollment on a profile, the asset too (or none). */
export interface Target {
  kind: ObjectKind;
  /** e.g. "certificate 7", for the reason of a refusal. */
  label: string;
  parties: Parties;
  /** Enroll profile started on a certificate profile: the asset named in the start, null when none. */
  asset?: { label: string; parties: Parties } | null;
}

const normalized = (email: string | null | undefined) => email?.trim().toLowerCase() || undefined;

/** Whether `actor` holds the object: one of its holder addresses is theirs, or they requested it. */
export function isHolder(actor: Actor, parties: Parties): boolean {
  const mine = normalized(actor.email);
  if (mine && parties.holderEmails.some((e) => normalized(e) === mine)) return true;
  return parties.requesters.includes(actor.username);
}

function isRegistrationAuthority(actor: Actor): boolean {
  return actor.groups.includes(REGISTRATION_AUTHORITY_GROUP);
}

const RA = `a registration authority (group ${REGISTRATION_AUTHORITY_GROUP})`;

/** Whether `actor` may start the use case `symbolicName` on `target`, and if not, why (in the operator's words). */
export function mayStartUseCase(actor: Actor, symbolicName: string, label: string, target: Target): Permission {
  if (actor.isAdmin) return { allowed: true, as: 'admin' };
  const refuse = (who: string): Permission => ({ allowed: false, reason: `${actor.username} may not start ${label} on ${target.label}: it is for ${who}` });
  switch (symbolicName) {
    case 'AssetsProcApproval': {
      const group = target.parties.approverGroup;
      if (group && actor.groups.includes(group)) return { allowed: true, as: 'approver' };
      return refuse(`the request's approvers (group ${group ?? 'unknown'}) or an admin`);
    }
    case 'VirtualSmartCardProcReactivate':
      if (isRegistrationAuthority(actor)) return { allowed: true, as: 'registration authority' };
      return refuse(`${RA} or an admin; a holder cannot undo a deactivation`);
    case 'AssetsProcEnrollProfile': {
      if (isRegistrationAuthority(actor)) return { allowed: true, as: 'registration authority' };
      // On a profile, the asset decides; without one the process lets the requester pick any asset.
      const asset = target.kind === 'asset' ? { label: target.label, parties: target.parties } : target.asset;
      if (!asset) return refuse(`${RA} or an admin when no asset is named; its owner starts it on the asset (or names it as assetId)`);
      if (isHolder(actor, asset.parties)) return { allowed: true, as: 'holder' };
      return refuse(`the owner of ${asset.label}, ${RA} or an admin`);
    }
    case 'AssetsProcAssignProfile':
      // Gives a Pending asset its profile and makes it Active again (issue 18.10): as enrolling on it.
      if (isRegistrationAuthority(actor)) return { allowed: true, as: 'registration authority' };
      if (isHolder(actor, target.parties)) return { allowed: true, as: 'holder' };
      return refuse(`the asset's owner, ${RA} or an admin`);
    case 'AssetsProcLockCertificate':
    case 'AssetsProcUnlockCertificate':
    case 'CardsProcDeactivate':
      if (isRegistrationAuthority(actor)) return { allowed: true, as: 'registration authority' };
      if (isHolder(actor, target.parties)) return { allowed: true, as: 'holder' };
      return refuse(
        target.kind === 'card'
          ? `the card's holder, ${RA} or an admin`
          : `the certificate's holder (its asset's owner, its card's holder or who enrolled it), ${RA} or an admin`,
      );
    default:
      return refuse('an admin');
  }
}

/** Deleting a request (spec 001 "Delete request"): its requester or an admin. */
export function mayDeleteRequest(actor: Actor, requestLabel: string, requester: string): Permission {
  if (actor.isAdmin) return { allowed: true, as: 'admin' };
  if (actor.username === requester) return { allowed: true, as: 'requester' };
  return { allowed: false, reason: `${actor.username} may not delete ${requestLabel}: only its requester (${requester}) or an admin may` };
}
