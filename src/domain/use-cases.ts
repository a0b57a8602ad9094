/**
 * The use cases and where they start (the "Process start" rows of spec 001-004): on which kind
 * of object, in which state, and what else must hold. From this, the API offers an object's
 * available use cases and refuses a start in the wrong state. Pure: options and card-type
 * commands come in as data.
 */

export type ObjectKind = 'asset' | 'certificate-profile' | 'certificate' | 'request' | 'card';

/** The options an admin switches per use case (`use_case_options`; README "Switching options as an admin"). */
export const USE_CASE_OPTIONS = ['enabled', 'approvalStep', 'approverGroup', 'approverEmails'] as const;
export type UseCaseOption = (typeof USE_CASE_OPTIONS)[number];

export interface UseCaseDefinition {
  /** Symbolic name = BPMN process id. */
  symbolicName: string;
  /** The operator's name for it. */
  label: string;
  /** Objects it starts on, each with the states it requires. */
  startsOn: Partial<Record<ObjectKind, readonly string[]>>;
  /** Only on cards of this type (e.g. virtual smart cards). */
  cardType?: string;
  /** Offered only when an admin enabled it as an additional command of the card type (spec 003). */
  needsCardTypeCommand?: boolean;
  /**
   * The options its process (or the API, when it offers the use case) reads. An admin may set
   * only these: an option nothing reads would look switched on and change nothing (issue 16.5).
   */
  options: readonly UseCaseOption[];
}

export const USE_CASES: readonly UseCaseDefinition[] = [
  {
    // Spec 002: "Search for assets (in state 'Active') > Enroll profile", or on an Active profile.
    symbolicName: 'AssetsProcEnrollProfile',
    label: 'Enroll profile',
    startsOn: { asset: ['Active'], 'certificate-profile': ['Active'] },
    // enroll.prepare reads enabled and approvalStep (with the profile's "approval required");
    // the approvers' addresses are added to the profile's. The approver group is the profile's.
    options: ['enabled', 'approvalStep', 'approverEmails'],
  },
  {
    // Spec 001: "Search for requests in state 'Requested' > Approve request".
    symbolicName: 'AssetsProcApproval',
    label: 'Approve request',
    startsOn: { request: ['Requested'] },
    // It is the approval step; the request's own use case names its approvers.
    options: ['enabled'],
  },
  {
    // Spec 000, asset 'Pending': "A valid certificate profile must be assigned by using a dedicated
    // process to change the state back to 'Active'" (issue 18.10).
    symbolicName: 'AssetsProcAssignProfile',
    label: 'Assign certificate profile',
    startsOn: { asset: ['Pending'] },
    // assets.check-assign-profile reads enabled; nothing is requested, so there is no approval step.
    options: ['enabled'],
  },
  {
    // Lock (hold) or revoke a certificate that is in use.
    symbolicName: 'AssetsProcLockCertificate',
    label: 'Lock certificate',
    startsOn: { certificate: ['Valid', 'Certificate hold'] },
    // ca.check-lock reads enabled and approvalStep (with the profile's "approval required");
    // the approvers' addresses are added to the profile's. The approver group is the profile's.
    options: ['enabled', 'approvalStep', 'approverEmails'],
  },
  {
    // Issue 18.12: the way back from 'Certificate hold' (spec 000: "temporarily inactive") to 'Valid'.
    symbolicName: 'AssetsProcUnlockCertificate',
    label: 'Unlock certificate',
    startsOn: { certificate: ['Certificate hold'] },
    // ca.check-unlock reads enabled; no approval step (releasing a hold restores what was approved before).
    options: ['enabled'],
  },
  {
    // Spec 004: "Required card state: Active".
    symbolicName: 'CardsProcDeactivate',
    label: 'Deactivate card',
    startsOn: { card: ['active'] },
    // Spec 004 "Option: Add an approval step"; cards have no profile, so the group is the option's.
    options: ['enabled', 'approvalStep', 'approverGroup', 'approverEmails'],
  },
  {
    // Spec 003: on an inactive virtual smart card, disabled until an admin adds the command.
    symbolicName: 'VirtualSmartCardProcReactivate',
    label: 'Reactivate virtual smart card',
    startsOn: { card: ['inactive'] },
    cardType: 'virtual-smart-card',
    needsCardTypeCommand: true,
    // Spec 003: "There are no options for this use case"; the API still honours an admin's 'disabled'.
    options: ['enabled'],
  },
];

export interface ObjectFacts {
  kind: ObjectKind;
  state: string;
  /** For cards: their type. */
  cardType?: string;
}

export interface UseCaseSwitches {
  /** Use cases an admin has disabled (use_case_options.enabled = false). */
  disabled: ReadonlySet<string>;
  /** Card-type commands enabled by an admin, as `${cardType}/${symbolicName}`. */
  enabledCardCommands: ReadonlySet<string>;
}

export type Availability = { available: true } | { available: false; reason: string };

/** Whether `useCase` may start on the object now, and if not, why (in the operator's words). */
export function availability(useCase: UseCaseDefinition, object: ObjectFacts, switches: UseCaseSwitches): Availability {
  const states = useCase.startsOn[object.kind];
  if (!states) return { available: false, reason: `${useCase.label} does not start on a ${object.kind}` };
  if (useCase.cardType && object.cardType !== useCase.cardType) {
    return { available: false, reason: `${useCase.label} is only for cards of type ${useCase.cardType}` };
  }
  if (switches.disabled.has(useCase.symbolicName)) return { available: false, reason: `${useCase.label} is disabled by an admin` };
  if (useCase.needsCardTypeCommand && !switches.enabledCardCommands.has(`${object.cardType}/${useCase.symbolicName}`)) {
    return { available: false, reason: `${useCase.label} is not enabled for ${object.cardType} (an admin enables it as an additional command)` };
  }
  if (!states.includes(object.state)) {
    return { available: false, reason: `${useCase.label} needs the ${object.kind} in state ${states.map((s) => `'${s}'`).join(' or ')}; it is '${object.state}'` };
  }
  return { available: true };
}

/** The use cases available on the object now. */
export function availableUseCases(object: ObjectFacts, switches: UseCaseSwitches): UseCaseDefinition[] {
  return USE_CASES.filter((u) => availability(u, object, switches).available);
}

export function findUseCase(symbolicName: string): UseCaseDefinition | undefined {
  return USE_CASES.find((u) => u.symbolicName === symbolicName);
}
