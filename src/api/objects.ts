/**
 * The API's view of each kind of object: the object, its relations, its audit history and the
 * use cases available on it now (from its state, the admin's options and the card type's
 * enabled commands).
 */
import type { Queryable } from '../store/db';
import { auditHistory } from '../store/audit';
import { getAsset, searchAssets } from '../store/assets';
import { CARD_TYPES, cardRelations, cardTypeCommands, getCard, searchCards } from '../store/cards';
import { certificatesByAsset, certificatesByCard, getCertificate, searchCertificates } from '../store/certificates';
import { listOptions } from '../store/options';
import { getProfile, searchProfiles } from '../store/profiles';
import { getRequest, searchRequests } from '../store/requests';
import type { Page, SearchParams } from '../store/validate';
import { availability, USE_CASES, type ObjectFacts, type ObjectKind, type UseCaseDefinition, type UseCaseSwitches } from '../domain/use-cases';
import type { Actor, Permission } from '../domain/authorization';
import { permissionToStart as permissionOf } from '../store/authorization';

/** What every stored object has. */
export interface StoredObject {
  id: number;
  state: string;
}

/** The collections of the API, the kind of object each holds and how objects are found. */
export interface Collection {
  kind: ObjectKind;
  /** Name in the audit history. */
  auditType: string;
  search(q: Queryable, params: SearchParams): Promise<Page<{ id: number; state: string }>>;
  get(q: Queryable, id: number): Promise<StoredObject>;
  /** Relations shown with the object. */
  relations?(q: Queryable, id: number): Promise<Record<string, unknown>>;
  cardType?(obj: StoredObject): string | undefined;
}

export const COLLECTIONS: Readonly<Record<string, Collection>> = {
  assets: {
    kind: 'asset',
    auditType: 'asset',
    search: searchAssets,
    get: getAsset,
    relations: async (q, id) => ({ certificates: await certificatesByAsset(q, id) }),
  },
  'certificate-profiles': { kind: 'certificate-profile', auditType: 'certificate profile', search: searchProfiles, get: getProfile },
  certificates: { kind: 'certificate', auditType: 'certificate', search: searchCertificates, get: getCertificate },
  requests: { kind: 'request', auditType: 'request', search: searchRequests, get: getRequest },
  cards: {
    kind: 'card',
    auditType: 'card',
    search: searchCards,
    get: getCard,
    relations: async (q, id) => ({ relations: await cardRelations(q, id), certificates: await certificatesByCard(q, id) }),
    cardType: (obj) => (obj as { cardTypeId?: string }).cardTypeId,
  },
  'virtual-smart-cards': {
    kind: 'card',
    auditType: 'card',
    search: (q, params) => searchCards(q, { ...params, cardTypeId: CARD_TYPES.virtualSmartCard }),
    get: getCard,
    relations: async (q, id) => ({ relations: await cardRelations(q, id), certificates: await certificatesByCard(q, id) }),
    cardType: (obj) => (obj as { cardTypeId?: string }).cardTypeId,
  },
};

/** The admin's switches, read fresh: disabled use cases and enabled card-type commands. */
export async function useCaseSwitches(q: Queryable): Promise<UseCaseSwitches> {
  const disabled = new Set((await listOptions(q)).filter((o) => !o.enabled).map((o) => o.useCase));
  const enabledCardCommands = new Set<string>();
  for (const type of Object.values(CARD_TYPES)) {
    for (const c of await cardTypeCommands(q, type)) if (c.enabled) enabledCardCommands.add(`${type}/${c.command}`);
  }
  return { disabled, enabledCardCommands };
}

export interface UseCaseOffer {
  symbolicName: string;
  label: string;
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
}

/** Every use case that starts on this kind of object, available now or not (with the reason). */
export function offers(facts: ObjectFacts, switches: UseCaseSwitches): UseCaseOffer[] {
  return USE_CASES.filter((u) => u.startsOn[facts.kind] && (!u.cardType || u.cardType === facts.cardType)).map((u) => {
    const a = availability(u, facts, switches);
    return { symbolicName: u.symbolicName, label: u.label, available: a.available, ...(a.available ? {} : { reason: a.reason }) };
  });
}

/** Whether `actor` may start `useCase` on the object (issue 17.11); see src/store/authorization.ts. */
export function permissionToStart(q: Queryable, actor: Actor, useCase: UseCaseDefinition, collection: Collection, id: number, assetId?: number): Promise<Permission> {
  return permissionOf(q, actor, useCase.symbolicName, collection.kind, id, assetId);
}

/**
 * One object with its relations, audit history and use cases. A use case the caller may not
 * start there is offered as not available, with the reason (on a profile, Enroll profile stays
 * offered: the asset named at the start decides).
 */
export async function objectView(q: Queryable, collection: Collection, id: number, actor: Actor) {
  const obj = await collection.get(q, id);
  const facts: ObjectFacts = { kind: collection.kind, state: obj.state, cardType: collection.cardType?.(obj) };
  const useCases: UseCaseOffer[] = [];
  for (const offer of offers(facts, await useCaseSwitches(q))) {
    const useCase = USE_CASES.find((u) => u.symbolicName === offer.symbolicName)!;
    const onProfileByAsset = collection.kind === 'certificate-profile' && useCase.symbolicName === 'AssetsProcEnrollProfile';
    const permission = offer.available && !onProfileByAsset ? await permissionToStart(q, actor, useCase, collection, id) : undefined;
    useCases.push(permission && !permission.allowed ? { ...offer, available: false, reason: permission.reason } : offer);
  }
  return {
    ...obj,
    ...(collection.relations ? await collection.relations(q, id) : {}),
    history: await auditHistory(q, collection.auditType, id),
    useCases,
  };
}
