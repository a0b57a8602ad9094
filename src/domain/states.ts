/**
 * States of every workplace and card object and the transitions allowed between them, as data
 * to hold against the specification: `../shared/seeds/000_*.txt` (assets, certificate
 * profiles, certificates, requests), 003 (virtual smart card) and 004 (cards).
 *
 * `initial` lists the states an object may be created in; `transitions` maps each state to
 * the states it may change to. A state with no entry is final.
 */

export interface StateMachine<S extends string> {
  object: string;
  states: readonly S[];
  initial: readonly S[];
  transitions: Readonly<Partial<Record<S, readonly S[]>>>;
}

function machine<S extends string>(m: StateMachine<S>): StateMachine<S> {
  return m;
}

// --- Asset (spec 000) --------------------------------------------------------------------
export const ASSET_STATES = ['Active', 'Inactive', 'Pending'] as const;
export type AssetState = (typeof ASSET_STATES)[number];

export const assetMachine = machine<AssetState>({
  object: 'asset',
  states: ASSET_STATES,
  // "All new created assets will be 'Active'."
  initial: ['Active'],
  transitions: {
    Active: ['Inactive', 'Pending'],
    Inactive: ['Active'],
    // "A valid certificate profile must be assigned ... to change the state back to 'Active'."
    Pending: ['Active', 'Inactive'],
  },
});

// --- Certificate profile (spec 000) ------------------------------------------------------
export const PROFILE_STATES = ['Active', 'Inactive'] as const;
export type ProfileState = (typeof PROFILE_STATES)[number];

export const profileMachine = machine<ProfileState>({
  object: 'certificate profile',
  states: PROFILE_STATES,
  initial: ['Active'],
  transitions: { Active: ['Inactive'], Inactive: ['Active'] },
});

// --- Certificate (spec 000) --------------------------------------------------------------
/** The RFC 5280 revocation reasons the specification names, each a certificate state of its own. */
export const REVOCATION_STATES = [
  'Key compromised',
  'Superseded',
  'Cessation of operation',
  'Privilege withdrawn',
  'Affiliation changed',
] as const;
export type RevocationState = (typeof REVOCATION_STATES)[number];

/** RFC 5280 CRLReason codes of the revocation states, and of certificateHold. */
export const CRL_REASON_CODE: Readonly<Record<RevocationState | 'Certificate hold', number>> = {
  'Key compromised': 1,
  'Affiliation changed': 3,
  Superseded: 4,
  'Cessation of operation': 5,
  'Certificate hold': 6,
  'Privilege withdrawn': 9,
};

export const CERTIFICATE_STATES = [
  // P10 / P12
  'Certificate requested',
  'Issued',
  'Valid',
  'Certificate hold',
  ...REVOCATION_STATES,
  'Rejected',
  'Certificate expired',
  // ACME / SCEP
  'Requested',
  'Registered',
  'Deregistered',
] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

export const certificateMachine = machine<CertificateState>({
  object: 'certificate',
  states: CERTIFICATE_STATES,
  // P10/P12 data is bundled as 'Certificate requested', SCEP/ACME data as 'Requested';
  // 'Valid' for certificates imported or seeded as already issued.
  initial: ['Certificate requested', 'Requested', 'Valid'],
  transitions: {
    // "Issued: only used for internal processing of the retrieved certificate".
    'Certificate requested': ['Issued', 'Valid', 'Rejected'],
    Issued: ['Valid'],
    // A rejected lock request makes the certificate object 'Rejected' (spec 000).
    Valid: ['Certificate hold', ...REVOCATION_STATES, 'Rejected', 'Certificate expired'],
    'Certificate hold': ['Valid', ...REVOCATION_STATES, 'Rejected', 'Certificate expired'],
    Requested: ['Registered', 'Rejected'],
    Registered: ['Deregistered'],
  },
});

// --- Request (spec 000, 001) -------------------------------------------------------------
export const REQUEST_STATES = ['Registered', 'Requested', 'Approved', 'Rejected', 'Failed', 'Completed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const requestMachine = machine<RequestState>({
  object: 'request',
  states: REQUEST_STATES,
  // "The request is created with initial information."
  initial: ['Registered'],
  transitions: {
    // Registered -> Completed: an enrollment that needs no approval.
    Registered: ['Requested', 'Completed', 'Failed'],
    // "On hold: the request remains in the same state" — no transition.
    Requested: ['Approved', 'Rejected', 'Failed'],
    Approved: ['Completed', 'Failed'],
  },
});

// --- Card (spec 003, 004) ----------------------------------------------------------------
export const CARD_STATES = ['active', 'inactive'] as const;
export type CardState = (typeof CARD_STATES)[number];

export const cardMachine = machine<CardState>({
  object: 'card',
  states: CARD_STATES,
  initial: ['active'],
  transitions: { active: ['inactive'], inactive: ['active'] },
});

/** A card's relation to a certificate or another object has its own active/inactive state. */
export const cardRelationMachine = machine<CardState>({
  object: 'card relation',
  states: CARD_STATES,
  initial: ['active', 'inactive'],
  transitions: { active: ['inactive'], inactive: ['active'] },
});

/** Every machine, by the table that holds its objects. */
export const MACHINES = {
  assets: assetMachine,
  certificate_profiles: profileMachine,
  certificates: certificateMachine,
  requests: requestMachine,
  cards: cardMachine,
  card_relations: cardRelationMachine,
} as const;
