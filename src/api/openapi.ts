/**
 * The API's OpenAPI 3.1 description, served at /api/openapi.json, generated from the zod
 * schemas the routes validate their input with (paths, queries, bodies) and from the schemas of
 * their answers (./schemas.ts), so it cannot drift from them (issue 16.10). Every route the app
 * registers is listed in OPERATIONS; a test walks the app's router and fails on one missing here.
 */
import { z } from 'zod';
import { MAX_CSR_BYTES } from '../ca/csr';
import { USE_CASES } from '../domain/use-cases';
import { optionsUpdate } from '../store/options';
import { linkId } from '../store/secret-links';
import { objectId, searchParams } from '../store/validate';
import { assetCreation, assetStateChange, commandUpdate, profileCreation, profileStateChange } from './admin-routes';
import { deregistrationBody } from './deregistration-routes';
import { processInstanceKey } from './console-routes';
import { RAW_CSR_TYPES } from './csr-upload-routes';
import { format } from './download-routes';
import { startBody } from './object-routes';
import { COLLECTIONS } from './objects';
import * as s from './schemas';

type Method = 'get' | 'post' | 'put' | 'delete';

/** Who may call a route: anyone, a signed-in user, or an admin. */
type Access = 'public' | 'signed-in' | 'admin';

interface Answer {
  description: string;
  /** A JSON answer, by its schema in ./schemas.ts (or an array of one). */
  json?: z.ZodType | { arrayOf: z.ZodType };
  /** Other media types, e.g. PEM or DER. */
  content?: Record<string, object>;
}

export interface Operation {
  method: Method;
  /** OpenAPI path, e.g. /api/assets/{id}. */
  path: string;
  summary: string;
  access: Access;
  /** Path parameters: the schemas the route parses them with. */
  params?: Record<string, z.ZodType>;
  /** Query parameters: the object schema the route parses `req.query` with. */
  query?: z.ZodObject;
  /** JSON body: the schema the route parses it with. */
  body?: z.ZodType;
  /** A body that is not JSON (a file), by media type. */
  bodyContent?: Record<string, object>;
  answers: Record<number, Answer>;
}

const COMPONENT = (id: string) => `#/components/schemas/${id}`;

/** A JSON Schema of the input side of `schema` (what a caller sends), without `$schema`. */
function inputSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** A reference to a named answer schema; throws when it is not in the components. */
function ref(schema: z.ZodType): { $ref: string } {
  const meta = s.responseSchemas.get(schema);
  if (!meta) throw new Error('an answer schema of the OpenAPI document is not registered in responseSchemas');
  return { $ref: COMPONENT(meta.id) };
}

const pem = { 'application/x-pem-file': { schema: { type: 'string' } } };
const problemJson = { 'application/problem+json': { schema: ref(s.problem) } };
const bad: Answer = { description: 'Bad input: problem details name every bad field', json: s.problem };
const notFound: Answer = { description: 'No such object', json: s.problem };

/** The symbolic names an admin configures (the catalogue, issue 16.5). */
const useCaseName = z.enum(USE_CASES.map((u) => u.symbolicName) as [string, ...string[]]);

/** The collections of ./objects.ts with their answer schemas. */
const COLLECTION_ANSWERS: Record<string, { page: z.ZodType; view: z.ZodType }> = {
  ...s.collectionSchemas,
  'virtual-smart-cards': s.collectionSchemas.cards,
};

function collectionOperations(c: string): Operation[] {
  const answers = COLLECTION_ANSWERS[c];
  if (!answers) throw new Error(`collection ${c} has no answer schemas in src/api/openapi.ts`);
  const ops: Operation[] = [
    {
      method: 'get',
      path: `/api/${c}`,
      summary: `Search ${c} by state and text, newest first`,
      access: 'signed-in',
      query: searchParams,
      answers: { 200: { description: 'A page of objects', json: answers.page }, 400: bad },
    },
    {
      method: 'get',
      path: `/api/${c}/{id}`,
      summary: `One of ${c}, with its relations, its history and the use cases available on it now`,
      access: 'signed-in',
      params: { id: objectId },
      answers: { 200: { description: 'The object', json: answers.view }, 400: bad, 404: notFound },
    },
    {
      method: 'post',
      path: `/api/${c}/{id}/use-cases/{useCase}`,
      summary: `Start a use case on one of ${c}; on an asset, Enroll profile takes { "profileId": ... }`,
      access: 'signed-in',
      params: { id: objectId, useCase: useCaseName },
      body: startBody,
      answers: {
        ...(c === 'requests'
          ? ({ 200: { description: "Approve request: the request's own approval task waits already; this is its process, nothing started (issue 18.1)", json: s.started } } as Record<number, Answer>)
          : {}),
        201: { description: 'Started', json: s.started },
        400: bad,
        403: { description: 'The caller may not start it on this object (the reason says who may: its holder, a registration authority, the approvers or an admin); nothing started', json: s.problem },
        404: notFound,
        409: { description: 'Not available on the object now (the reason says why); nothing started', json: s.problem },
      },
    },
  ];
  if (c === 'requests') {
    ops.push({
      method: 'delete',
      path: '/api/requests/{id}',
      summary: 'Delete a request not yet decided (its process is cancelled; what its enrollment created ends: a certificate object still requested is Rejected, one issued already — P12 without approval, before the installation is confirmed — is revoked and its one-time link withdrawn)',
      access: 'signed-in',
      params: { id: objectId },
      answers: {
        204: { description: 'Deleted' },
        400: bad,
        403: { description: 'Neither its requester nor an admin; nothing changed', json: s.problem },
        404: notFound,
        409: { description: 'Already decided or completed', json: s.problem },
      },
    });
  }
  return ops;
}

/** Every route of the API (src/api/app.ts and the routers it mounts). */
export const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/api/health', summary: 'Readiness', access: 'public', answers: { 200: { description: 'Up', json: s.health } } },
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    access: 'public',
    answers: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
  },
  {
    method: 'get',
    path: '/api/crl',
    summary: "The current CRL: the issued certificates' CRL distribution point (DER; ?format=pem for PEM)",
    access: 'public',
    query: z.object({ format: z.enum(['pem']).optional() }),
    answers: { 200: { description: 'The CRL', content: { 'application/pkix-crl': { schema: { type: 'string', format: 'binary' } }, ...pem } } },
  },
  {
    method: 'get',
    path: '/api/crl/root',
    summary: "The root CA's CRL: the issuing CA certificate's CRL distribution point (DER; ?format=pem for PEM)",
    access: 'public',
    query: z.object({ format: z.enum(['pem']).optional() }),
    answers: {
      200: { description: 'The CRL', content: { 'application/pkix-crl': { schema: { type: 'string', format: 'binary' } }, ...pem } },
      404: { description: 'A CA created before the root had a CRL', json: s.problem },
    },
  },
  {
    method: 'get',
    path: '/api/ca/chain',
    summary: 'The issuing and root CA certificates (PEM)',
    access: 'public',
    answers: { 200: { description: 'PEM', content: pem } },
  },
  {
    method: 'get',
    path: '/api/certificates/{id}/download',
    summary: 'An issued certificate (pem, der or chain); signed in, as it names its holder',
    access: 'signed-in',
    params: { id: objectId },
    query: z.object({ format }),
    answers: {
      200: { description: 'The certificate', content: { ...pem, 'application/pkix-cert': { schema: { type: 'string', format: 'binary' } } } },
      400: bad,
      404: notFound,
    },
  },
  {
    method: 'post',
    path: '/api/certificates/{id}/deregister',
    summary: "Deregisters an ACME or SCEP registration (certificate object 'Registered' -> 'Deregistered'); its EAB or challenge is refused from then on. Approvers only when the profile requires approval",
    access: 'signed-in',
    params: { id: objectId },
    body: deregistrationBody,
    answers: {
      200: { description: 'Deregistered', json: s.certificate },
      400: bad,
      403: { description: 'Not the owner, the registration authority, an approver (when required) or an admin; nothing changed', json: s.problem },
      404: notFound,
      409: { description: "Not 'Registered', or no CA registration is recorded for it", json: s.problem },
    },
  },
  {
    method: 'get',
    path: '/api/secret-links',
    summary: "The caller's one-time secrets: what each is for, waiting, used or expired (never a secret)",
    access: 'signed-in',
    answers: { 200: { description: 'The links', json: { arrayOf: s.secretLinkInfo } } },
  },
  {
    method: 'get',
    path: '/api/secret-links/{id}',
    summary: 'A one-time secret of the caller: what it is and whether it waits (HTML page with a button, or JSON); never uses it up',
    access: 'signed-in',
    params: { id: linkId },
    answers: { 200: { description: 'The link (no secret)', json: s.secretLinkInfo, content: { 'text/html': { schema: { type: 'string' } } } }, 400: bad, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/secret-links/{id}',
    summary: 'Hands the secret out once, to the signed-in person it is for: PKCS#12 with its password, ACME EAB credentials or SCEP challenge',
    access: 'signed-in',
    params: { id: linkId },
    answers: {
      200: { description: 'The secret (HTML, or JSON with Accept: application/json)', json: s.secretShown, content: { 'text/html': { schema: { type: 'string' } } } },
      400: bad,
      403: { description: 'Posted from another site', json: s.problem },
      404: notFound,
      410: { description: 'Already shown, or expired', json: s.problem },
    },
  },
  {
    method: 'get',
    path: '/api/me',
    summary: 'Who is signed in: name, groups, whether an admin, and where Tasklist is (for the console)',
    access: 'signed-in',
    answers: { 200: { description: 'The caller', json: s.me } },
  },
  {
    method: 'get',
    path: '/api/processes/{processInstanceKey}',
    summary: 'Where a started use case went: its state, its incidents, and the open user tasks of it and the processes it called, with Tasklist links; for its starter, a registration authority or an admin',
    access: 'signed-in',
    params: { processInstanceKey },
    answers: {
      200: { description: 'The progress', json: s.processProgress },
      400: bad,
      404: { description: "No such process, or another person's (only its starter, a registration authority or an admin sees it)", json: s.problem },
      503: { description: 'This API has no engine to ask', json: s.problem },
    },
  },
  {
    method: 'get',
    path: '/api/requests/{id}/approval-task',
    summary: "The approvers' email link: to the request's open \"Approve request\" task in Tasklist, or to Tasklist's list of open tasks while it has none; for its approvers, its requester, a registration authority or an admin",
    access: 'signed-in',
    params: { id: objectId },
    answers: {
      302: { description: 'Location: the task in Tasklist, or the list of open tasks' },
      400: bad,
      404: { description: 'No such request, or not one of the caller’s to approve or follow', json: s.problem },
    },
  },
  {
    method: 'get',
    path: '/api/requests/{id}/csr',
    summary: 'Whether a P10 enrollment waits for its CSR now ("Upload CSR" open), who may upload it, and why the CA refused the last one (issue 18.13)',
    access: 'signed-in',
    params: { id: objectId },
    answers: {
      200: { description: 'Waiting or not', json: s.csrUploadState },
      400: bad,
      404: notFound,
      409: { description: 'Not a P10 enrollment request', json: s.problem },
      503: { description: 'The engine cannot be asked', json: s.problem },
    },
  },
  {
    method: 'post',
    path: '/api/requests/{id}/csr',
    summary:
      `Upload the CSR file of a P10 enrollment (issue 18.13: Camunda 8.6's Tasklist forms take pasted PEM only): DER as application/pkcs10, PEM text, either as application/octet-stream, or multipart/form-data with the file in the field "csr"; at most ${MAX_CSR_BYTES} bytes. ` +
      'It is checked as the process\'s "Check the CSR" step would (PKCS#10 signature, key and names against the profile), then the open "Upload CSR" task is completed as the caller with { csr: <PEM>, nextAction: "next" } — by its assignee, or while unassigned a member of its candidate groups, as in Tasklist',
    access: 'signed-in',
    params: { id: objectId },
    bodyContent: {
      ...Object.fromEntries(RAW_CSR_TYPES.map((t) => [t, { schema: t === 'application/pkcs10' || t === 'application/octet-stream' ? { type: 'string', format: 'binary' } : { type: 'string' } }])),
      'multipart/form-data': { schema: { type: 'object', properties: { csr: { type: 'string', format: 'binary' } }, required: ['csr'] } },
    },
    answers: {
      200: { description: 'Taken: "Upload CSR" is completed and the enrollment goes on', json: s.csrAccepted },
      400: { description: 'Not a CSR, or one the profile refuses (the reason says why, as the form would); the task stays open', json: s.problem },
      403: { description: 'The caller may not complete the task (assigned to someone else, or not in its candidate groups); nothing changed', json: s.problem },
      404: notFound,
      409: { description: 'Not a P10 enrollment, or no open "Upload CSR" task now (past it, ended, or not shown by the engine yet)', json: s.problem },
      413: { description: 'Larger than any CSR', json: s.problem },
      415: { description: 'Neither a CSR media type nor multipart/form-data', json: s.problem },
    },
  },
  ...Object.keys(COLLECTIONS).flatMap(collectionOperations),
  {
    method: 'post',
    path: '/api/admin/assets',
    summary: "Create an asset (spec 002 \"Create asset\"); it starts 'Active' (spec 000)",
    access: 'admin',
    body: assetCreation,
    answers: { 201: { description: 'The asset', json: s.asset }, 400: bad, 409: { description: 'A name that is taken', json: s.problem } },
  },
  {
    method: 'put',
    path: '/api/admin/assets/{id}/state',
    summary: "Activate or deactivate an asset, or make it Pending; 'Pending' → 'Active' only by Assign certificate profile (spec 000)",
    access: 'admin',
    params: { id: z.string() },
    body: assetStateChange,
    answers: { 200: { description: 'The asset now', json: s.asset }, 400: bad, 404: notFound, 409: { description: 'The state machine does not allow it', json: s.problem } },
  },
  {
    method: 'post',
    path: '/api/admin/certificate-profiles',
    summary: "Create a certificate profile (spec 002 \"Create certificate profile\"); it starts 'Active' (spec 000)",
    access: 'admin',
    body: profileCreation,
    answers: { 201: { description: 'The certificate profile', json: s.certificateProfile }, 400: bad, 409: { description: 'A name that is taken', json: s.problem } },
  },
  {
    method: 'put',
    path: '/api/admin/certificate-profiles/{id}/state',
    summary: 'Activate or deactivate a certificate profile',
    access: 'admin',
    params: { id: z.string() },
    body: profileStateChange,
    answers: { 200: { description: 'The certificate profile now', json: s.certificateProfile }, 400: bad, 404: notFound, 409: { description: 'The state machine does not allow it', json: s.problem } },
  },
  {
    method: 'get',
    path: '/api/admin/options',
    summary: 'The options of every use case an admin configures',
    access: 'admin',
    answers: { 200: { description: 'One entry per use case', json: { arrayOf: s.useCaseOptions } } },
  },
  {
    method: 'get',
    path: '/api/admin/options/{useCase}',
    summary: "A use case's options",
    access: 'admin',
    params: { useCase: useCaseName },
    answers: { 200: { description: 'The options', json: s.useCaseOptions }, 404: { description: 'Not a use case with options (the valid names are listed)', json: s.problem } },
  },
  {
    method: 'put',
    path: '/api/admin/options/{useCase}',
    summary: "Change a use case's options; only the options its process reads are accepted",
    access: 'admin',
    params: { useCase: useCaseName },
    body: optionsUpdate,
    answers: {
      200: { description: 'The options now', json: s.useCaseOptions },
      400: { description: 'A bad value, or an option the use case does not read', json: s.problem },
      404: { description: 'Not a use case with options (the valid names are listed)', json: s.problem },
    },
  },
  {
    method: 'get',
    path: '/api/admin/options/{useCase}/history',
    summary: "Every change of a use case's options: before, after, the admin, when",
    access: 'admin',
    params: { useCase: useCaseName },
    answers: { 200: { description: 'The changes, oldest first', json: { arrayOf: s.optionChange } }, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/admin/card-types/{type}/commands',
    summary: "A card type's additional commands, enabled or not",
    access: 'admin',
    params: { type: z.string() },
    answers: { 200: { description: 'The commands', json: { arrayOf: s.cardTypeCommand } }, 400: bad },
  },
  {
    method: 'put',
    path: '/api/admin/card-types/{type}/commands/{command}',
    summary: "Enable or disable a card type's additional command (e.g. VirtualSmartCardProcReactivate)",
    access: 'admin',
    params: { type: z.string(), command: z.string() },
    body: commandUpdate,
    answers: { 200: { description: 'The command now', json: s.cardTypeCommand }, 400: bad, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/admin/card-types/{type}/commands/{command}/history',
    summary: "Every change of a card type's command: before, after, the admin, when",
    access: 'admin',
    params: { type: z.string(), command: z.string() },
    answers: { 200: { description: 'The changes, oldest first', json: { arrayOf: s.optionChange } }, 404: notFound },
  },
];

function answerObject(a: Answer): Record<string, unknown> {
  const content: Record<string, object> = { ...(a.content ?? {}) };
  if (a.json) {
    const schema = 'arrayOf' in a.json ? { type: 'array', items: ref(a.json.arrayOf) } : ref(a.json);
    content[a.json === s.problem ? 'application/problem+json' : 'application/json'] = { schema };
  }
  return { description: a.description, ...(Object.keys(content).length ? { content } : {}) };
}

function operationObject(op: Operation): Record<string, unknown> {
  const parameters = [
    ...Object.entries(op.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: inputSchema(schema) })),
    ...Object.entries((inputSchema(op.query ?? z.object({})).properties ?? {}) as Record<string, object>).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema,
    })),
  ];
  const answers: Record<number, Answer> = { ...op.answers };
  if (op.access !== 'public') answers[401] ??= { description: 'Not signed in: basic auth as the same user as in Camunda Tasklist', content: problemJson };
  if (op.access === 'admin') answers[403] ??= { description: 'Not an admin', json: s.problem };
  // Sign-in asks the engine's user directory: while the engine is away, every signed-in route can answer this.
  if (op.access !== 'public') answers[503] ??= { description: 'The Camunda engine is not usable now (sign-in and processes need it); Retry-After says when to ask again', json: s.problem };
  return {
    summary: op.summary,
    ...(op.access === 'public' ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: false, content: { 'application/json': { schema: inputSchema(op.body) } } } } : {}),
    ...(op.bodyContent ? { requestBody: { required: true, content: op.bodyContent } } : {}),
    responses: Object.fromEntries(Object.entries(answers).map(([status, a]) => [status, answerObject(a)])),
  };
}

/** The answers' schemas as OpenAPI components, referring to each other by `#/components/schemas/<id>`. */
function components(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(s.responseSchemas, { uri: COMPONENT, unrepresentable: 'any' });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _s, $id: _i, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

/** Builds the document from OPERATIONS; two operations on one path and method are refused. */
export function buildOpenApiDocument(operations: readonly Operation[] = OPERATIONS) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is described twice`);
    item[op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Workplace PKI operator and admin API',
      version: '0.1.0',
      description:
        'Search workplace and card objects, start use cases on them, download certificates, open your one-time secrets, change options. Sign in with HTTP basic auth as the same user as in Camunda Tasklist.',
    },
    security: [{ basic: [] }],
    paths,
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } }, schemas: components() },
  };
}

export const openApiDocument = buildOpenApiDocument();
