/**
 * What the API's answers look like, as zod schemas: the OpenAPI document (./openapi.ts) is
 * generated from these and from the input schemas the routes validate with, and the API tests
 * check real answers against the generated document (issue 16.10).
 */
import { z } from 'zod';
import { ASSET_STATES, CARD_STATES, CERTIFICATE_STATES, PROFILE_STATES, REQUEST_STATES } from '../domain/states';
import { SECRET_KINDS } from '../store/secret-links';

/** Every named schema of the API's answers: the OpenAPI document's components. */
export const responseSchemas = z.registry<{ id: string }>();

/** A timestamp as JSON carries it. */
const timestamp = z.iso.datetime({ offset: true });
const id = z.number().int().positive();

export const problem = z
  .object({
    type: z.string().optional(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    issues: z.array(z.string()).optional().describe('every bad field, for a validation error'),
    engine: z
      .object({ state: z.enum(['STARTING', 'UP', 'DOWN']), address: z.string() })
      .optional()
      .describe("for ENGINE_UNAVAILABLE: the engine's state and where it is expected"),
  })
  .describe('Problem details (RFC 9457)').register(responseSchemas, { id: 'Problem' });

export const health = z
  .looseObject({
    status: z.string(),
    /** The Camunda engine's state: the API serves without it, what needs it answers 503 (issue 16.6). */
    engine: z.object({ state: z.enum(['STARTING', 'UP', 'DOWN']), address: z.string(), detail: z.string(), since: z.string() }).optional(),
  })
  .register(responseSchemas, { id: 'Health' });

export const asset = z
  .object({
    id,
    name: z.string(),
    description: z.string().nullable(),
    dnsNames: z.array(z.string()),
    commonName: z.string().nullable(),
    organization: z.string().nullable(),
    organizationalUnit: z.string().nullable(),
    locality: z.string().nullable(),
    country: z.string().nullable(),
    ownerEmail: z.string().nullable(),
    profileId: id.nullable(),
    state: z.enum(ASSET_STATES),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .register(responseSchemas, { id: 'Asset' });

export const certificateProfile = z
  .object({
    id,
    name: z.string(),
    description: z.string().nullable(),
    protocol: z.enum(['P10', 'P12', 'ACME', 'SCEP']),
    keyAlgorithm: z.enum(['RSA', 'EC']),
    minKeySize: z.number().int(),
    validityDays: z.number().int(),
    subjectTemplate: z.string(),
    extendedKeyUsage: z.array(z.string()),
    allowedDnsSuffixes: z.array(z.string()).describe('domain policy: every DNS name ends in one of these'),
    enrollmentApprovalRequired: z.boolean(),
    revocationApprovalRequired: z.boolean(),
    approverGroup: z.string(),
    approverEmails: z.array(z.string()),
    state: z.enum(PROFILE_STATES),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .register(responseSchemas, { id: 'CertificateProfile' });

export const certificate = z
  .object({
    id,
    state: z.enum(CERTIFICATE_STATES),
    profileId: id,
    assetId: id.nullable(),
    cardId: id.nullable(),
    subject: z.string(),
    dnsNames: z.array(z.string()),
    serial: z.string().nullable(),
    notBefore: timestamp.nullable(),
    notAfter: timestamp.nullable(),
    pem: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .register(responseSchemas, { id: 'Certificate' });

export const workplaceRequest = z
  .object({
    id,
    type: z.enum(['enrollment', 'lock', 'revocation', 'deactivation']),
    state: z.enum(REQUEST_STATES),
    useCase: z.string(),
    requester: z.string(),
    requesterEmail: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: timestamp.nullable(),
    rejectionReason: z.string().nullable(),
    failureReason: z.string().nullable(),
    profileId: id.nullable(),
    assetId: id.nullable(),
    certificateId: id.nullable(),
    cardId: id.nullable(),
    details: z.record(z.string(), z.unknown()),
    processInstanceKey: z.string().nullable(),
    approvalProcessInstanceKey: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .register(responseSchemas, { id: 'Request' });

export const card = z
  .object({
    id,
    cardTypeId: z.string(),
    serialNumber: z.string(),
    holderName: z.string(),
    holderEmail: z.string().nullable(),
    state: z.enum(CARD_STATES),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .register(responseSchemas, { id: 'Card' });

export const cardRelation = z
  .object({
    id,
    cardId: id,
    relatedType: z.enum(['certificate', 'user', 'device', 'asset']),
    relatedId: z.string(),
    state: z.enum(CARD_STATES),
  })
  .register(responseSchemas, { id: 'CardRelation' });

export const auditEntry = z
  .object({
    objectType: z.string(),
    objectId: z.string(),
    fromState: z.string().nullable(),
    toState: z.string(),
    actor: z.string(),
    at: timestamp,
    processInstanceKey: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .register(responseSchemas, { id: 'AuditEntry' });

export const useCaseOffer = z
  .object({
    symbolicName: z.string(),
    label: z.string(),
    available: z.boolean(),
    reason: z.string().optional().describe('why not, when not available'),
  })
  .register(responseSchemas, { id: 'UseCaseOffer' });

/** What every object view adds to the object: its history and the use cases on it. */
const viewExtras = { history: z.array(auditEntry), useCases: z.array(useCaseOffer) };

/** A page of search results. */
function page<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), total: z.number().int().min(0), limit: z.number().int(), offset: z.number().int() }).register(responseSchemas, { id: `${name}Page` });
}

/** Per collection of the API: the object, the page of a search and the object's view. */
export const collectionSchemas = {
  assets: { page: page(asset, 'Asset'), view: asset.extend({ certificates: z.array(certificate), ...viewExtras }).register(responseSchemas, { id: 'AssetView' }) },
  'certificate-profiles': {
    page: page(certificateProfile, 'CertificateProfile'),
    view: certificateProfile.extend(viewExtras).register(responseSchemas, { id: 'CertificateProfileView' }),
  },
  certificates: { page: page(certificate, 'Certificate'), view: certificate.extend(viewExtras).register(responseSchemas, { id: 'CertificateView' }) },
  requests: { page: page(workplaceRequest, 'Request'), view: workplaceRequest.extend(viewExtras).register(responseSchemas, { id: 'RequestView' }) },
  cards: {
    page: page(card, 'Card'),
    view: card.extend({ relations: z.array(cardRelation), certificates: z.array(certificate), ...viewExtras }).register(responseSchemas, { id: 'CardView' }),
  },
} as const;

export const started = z
  .object({
    useCase: z.string(),
    processInstanceKey: z.string(),
    tasklistUrl: z.string().describe('where the operator goes on'),
  })
  .register(responseSchemas, { id: 'Started' });

export const useCaseOptions = z
  .object({
    useCase: z.string(),
    enabled: z.boolean(),
    approvalStep: z.boolean(),
    approverGroup: z.string(),
    approverEmails: z.array(z.string()),
    updatedBy: z.string().nullable(),
    updatedAt: timestamp.nullable(),
  })
  .register(responseSchemas, { id: 'UseCaseOptions' });

export const cardTypeCommand = z
  .object({
    cardTypeId: z.string(),
    command: z.string(),
    label: z.string(),
    enabled: z.boolean(),
    updatedBy: z.string().nullable(),
    updatedAt: timestamp,
  })
  .register(responseSchemas, { id: 'CardTypeCommand' });

export const optionChange = z
  .object({
    kind: z.enum(['use case option', 'card type command']),
    key: z.string().describe("the use case's symbolic name, or <card type>/<Command>"),
    before: z.record(z.string(), z.unknown()),
    after: z.record(z.string(), z.unknown()),
    actor: z.string(),
    at: timestamp,
  })
  .register(responseSchemas, { id: 'OptionChange' });

/** What a one-time secret link is — never the secret. */
export const secretLinkInfo = z
  .object({
    id: z.uuid(),
    kind: z.enum(SECRET_KINDS),
    subjectRef: z.string(),
    owner: z.string(),
    createdAt: timestamp,
    expiresAt: timestamp,
    state: z.enum(['waiting', 'used', 'expired']),
    usedAt: timestamp.nullable(),
    redeemedBy: z.string().nullable(),
    redeemedFrom: z.string().nullable(),
  })
  .register(responseSchemas, { id: 'SecretLinkInfo' });

/** A one-time secret as JSON (Accept: application/json); fields by kind. */
export const secretShown = z
  .looseObject({
    kind: z.enum(SECRET_KINDS),
    password: z.string().optional().describe('pkcs12: the PKCS#12 password'),
    fileName: z.string().optional().describe('pkcs12'),
    pkcs12: z.string().optional().describe('pkcs12: the file, base64'),
    keyId: z.string().optional().describe('acme-eab'),
    hmacKey: z.string().optional().describe('acme-eab'),
    challengePassword: z.string().optional().describe('scep-challenge'),
  })
  .register(responseSchemas, { id: 'SecretShown' });

/** The signed-in caller, for the console (issue 13). */
export const me = z
  .object({
    username: z.string(),
    displayName: z.string(),
    email: z.string().nullable(),
    groups: z.array(z.string()),
    isAdmin: z.boolean(),
    tasklistUrl: z.string().describe('where user tasks are completed'),
  })
  .register(responseSchemas, { id: 'Me' });

/** Where a started use case went (issue 13). */
export const processProgress = z
  .object({
    processInstanceKey: z.string(),
    processDefinitionId: z.string().nullable().describe('null while the engine has not shown the instance yet'),
    state: z.enum(['STARTING', 'ACTIVE', 'COMPLETED', 'TERMINATED', 'CANCELED']),
    incidents: z.array(z.string()).describe('what stopped it, in the engine’s words'),
    refusal: z
      .string()
      .nullable()
      .describe('why the use case was refused at one of its steps (disabled by an admin, an object not in the right state, an unknown profile or asset), in the operator’s words; null when it was not (issue 18.8)'),
    requestId: z.number().int().nullable().describe('the request the use case created (an enrollment’s, from its first step); null while it has none (the console offers a P10 enrollment’s CSR upload on it, issue 18.13)'),
    tasks: z.array(
      z.object({
        userTaskKey: z.string(),
        name: z.string(),
        elementId: z.string(),
        processInstanceKey: z.string(),
        processDefinitionId: z.string(),
        assignee: z.string().nullable(),
        candidateGroups: z.array(z.string()),
        forYou: z.boolean().describe('assigned to the caller, or offered to one of their groups'),
        tasklistUrl: z.string(),
      }),
    ),
  })
  .register(responseSchemas, { id: 'ProcessProgress' });

/** Whether a P10 enrollment waits for its CSR (issue 18.13), for the console's "Upload CSR". */
export const csrUploadState = z
  .object({
    requestId: z.number().int(),
    waiting: z.boolean().describe('its "Upload CSR" task is open now'),
    userTaskKey: z.string().nullable(),
    assignee: z.string().nullable(),
    candidateGroups: z.array(z.string()),
    forYou: z.boolean().describe('the caller may complete it: its assignee, or a member of a candidate group while nobody is assigned'),
    tasklistUrl: z.string().nullable().describe('the task in Tasklist, where the PEM can be pasted instead'),
    refusal: z.string().nullable().describe('why the CA refused the last CSR, as the form shows it; null when it did not'),
  })
  .register(responseSchemas, { id: 'CsrUploadState' });

/** A CSR file taken for a P10 enrollment: the "Upload CSR" task is completed with it (issue 18.13). */
export const csrAccepted = z
  .object({
    requestId: z.number().int(),
    userTaskKey: z.string().describe('the "Upload CSR" task completed with the CSR'),
    processInstanceKey: z.string().describe('the P10 enrollment sub-process, which goes on to "Edit the server request"'),
    subject: z.string().describe('the subject as it would be issued'),
    commonName: z.string(),
    dnsNames: z.array(z.string()),
    key: z.string().describe('e.g. "RSA 2048 bits"'),
  })
  .register(responseSchemas, { id: 'CsrAccepted' });
