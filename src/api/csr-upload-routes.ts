/**
 * The P10 CSR as a file (issue 18.13). Camunda 8.6's Tasklist forms have no file picker
 * (document handling came with 8.7), so the "Upload CSR" form takes pasted PEM; here the file a
 * server produced, PEM or DER, is taken for the request's enrollment:
 *   GET  /api/requests/<id>/csr   whether the enrollment waits for its CSR now, for whom, and
 *                                 why the last one was refused
 *   POST /api/requests/<id>/csr   the CSR: a raw body (application/pkcs10 DER, or PEM text) or
 *                                 multipart/form-data (field "csr"). Checked as the process's
 *                                 "Check the CSR" step would (the CSR parser, then the profile),
 *                                 then the waiting "Upload CSR" task is completed as the caller,
 *                                 with what the form submits: { csr: <PEM>, nextAction: "next" }.
 * Who may: the task's assignee, or while it is unassigned a member of its candidate groups —
 * the people Tasklist lets complete it; the engine is called in the caller's own session.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { CaConnector } from '../ca/connector';
import { csrToDer, MAX_CSR_BYTES } from '../ca/csr';
import { CaErrorCode, isCaError } from '../ca/errors';
import { assetSubjectValues, toCaProfile } from '../ca/store-profile';
import { DomainError, ErrorCode, ForbiddenError, ValidationError } from '../domain/errors';
import type { EngineApi, UserTaskSummary } from '../engine/engine-api';
import { getAsset } from '../store/assets';
import { getCertificate } from '../store/certificates';
import type { Queryable } from '../store/db';
import { getProfile } from '../store/profiles';
import { getRequest, type WorkplaceRequest } from '../store/requests';
import { objectId, parseInput } from '../store/validate';
import { basicCredentials, callerOf } from './auth';
import type { Caller } from './identity';
import { refusalIn } from './process-refusal';

export interface CsrUploadDeps {
  pool: Queryable;
  ca: CaConnector;
  tasklistUrl: string;
  /** The engine: without it, the routes check the file and then answer 503. */
  engine?: () => Promise<EngineApi>;
}

/** The P10 sub-process and its upload task (bpmn/AssetsSubProcEnrollP10Profile.bpmn; the API does not import workers). */
const P10_PROCESS = 'AssetsSubProcEnrollP10Profile';
const UPLOAD_TASK = 'Task_UploadCsr';

/** A multipart body carries a boundary and headers around the file: room for them beyond the largest CSR. */
const MAX_BODY_BYTES = MAX_CSR_BYTES + 16 * 1024;

/** Media types a raw body may have; the bytes decide whether it is PEM or DER. */
export const RAW_CSR_TYPES = ['application/pkcs10', 'application/x-pem-file', 'application/pem-certificate-chain', 'text/plain', 'application/octet-stream'] as const;

function tooLarge(res: Response, size?: number): void {
  res
    .status(413)
    .type('application/problem+json')
    .json({
      type: 'urn:workplace-pki:VALIDATION',
      title: 'VALIDATION',
      status: 413,
      detail: `a CSR file is at most ${MAX_CSR_BYTES} bytes${size ? `; this one has ${size}` : ''}. Is this the right file?`,
    });
}

function unsupportedType(res: Response, type: string | undefined): void {
  res
    .status(415)
    .type('application/problem+json')
    .json({
      type: 'urn:workplace-pki:VALIDATION',
      title: 'VALIDATION',
      status: 415,
      detail: `send the CSR file as application/pkcs10 (DER), as PEM text (application/x-pem-file or text/plain), as application/octet-stream, or as multipart/form-data with the field "csr"; not ${type ?? 'without a content type'}`,
    });
}

/** The uploaded file's bytes, from a raw body or the "csr" field of a multipart body. */
async function uploadedBytes(req: Request): Promise<Buffer> {
  const body: unknown = req.body;
  const type = req.get('content-type') ?? '';
  if (!Buffer.isBuffer(body)) return Buffer.alloc(0);
  if (!/^multipart\/form-data\s*;/i.test(type)) return body;
  let form: FormData;
  try {
    // The platform's own multipart parser (undici, in Node's fetch): no form library needed for one field.
    form = await new Response(body, { headers: { 'content-type': type } }).formData();
  } catch {
    throw new ValidationError('the multipart/form-data body cannot be read');
  }
  const entry = form.get('csr') ?? [...form.values()].find((v) => typeof v !== 'string');
  if (entry === null || entry === undefined) throw new ValidationError('the multipart/form-data body has no field "csr" with the CSR file');
  return typeof entry === 'string' ? Buffer.from(entry, 'utf8') : Buffer.from(await entry.arrayBuffer());
}

/** PEM as Tasklist's form would hold it: the request alone, in 64-character lines, whatever was around it in the file. */
function canonicalPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** A 409 with its own sentence. */
const conflict = (message: string) => new DomainError(ErrorCode.STATE_CONFLICT, message);

/** Only an enrollment of a P10 profile takes a CSR; 409 names what the request is instead. */
function assertP10Enrollment(request: WorkplaceRequest): string {
  const protocol = typeof request.details.protocol === 'string' ? request.details.protocol : undefined;
  if (request.type !== 'enrollment' || protocol !== 'P10') {
    const what = request.type === 'enrollment' ? protocol ? `an enrollment of a ${protocol} profile` : 'an enrollment of no known protocol' : `a ${request.type} request`;
    throw conflict(`request ${request.id} is ${what}: only a P10 enrollment takes a CSR file`);
  }
  if (!request.processInstanceKey) throw conflict(`request ${request.id} has no process: nothing waits for its CSR`);
  return request.processInstanceKey;
}

/** The open "Upload CSR" task of the enrollment started as `rootKey`, if the engine shows one. */
async function openUploadTask(api: EngineApi, rootKey: string): Promise<{ task: UserTaskSummary; sub: string } | undefined> {
  const subs = (await api.searchProcessInstances({ parentProcessInstanceKey: rootKey })).filter((p) => p.processDefinitionId === P10_PROCESS && p.state === 'ACTIVE');
  for (const sub of subs) {
    const [task] = await api.searchUserTasks({ processInstanceKey: sub.processInstanceKey, state: 'CREATED', elementId: UPLOAD_TASK });
    if (task) return { task, sub: sub.processInstanceKey };
  }
  return undefined;
}

/** As Tasklist decides: the assignee; while nobody is assigned, a member of a candidate group. */
function mayComplete(caller: Caller, task: UserTaskSummary): boolean {
  if (task.assignee) return task.assignee === caller.username;
  return task.candidateGroups.some((g) => caller.groups.includes(g));
}

function whoMay(task: UserTaskSummary): string {
  return task.assignee ? `it is assigned to ${task.assignee}` : `it is offered to ${task.candidateGroups.join(', ') || 'nobody'}`;
}

/** The refusal the "Upload CSR" form shows: why the CA refused the last CSR, or null. */
async function lastRefusal(api: EngineApi, sub: string): Promise<string | null> {
  return refusalIn((await api.variables(sub)).filter((r) => r.scopeKey === sub));
}

function unavailable(res: Response): void {
  res.status(503).type('application/problem+json').json({ title: 'UNAVAILABLE', status: 503, detail: 'the engine cannot be asked from this API' });
}

const noTask = (request: WorkplaceRequest) =>
  conflict(
    `request ${request.id} does not wait for its CSR now (it is '${request.state}'): its enrollment is past "Upload CSR", has ended, or the engine has not shown the task yet — try again in a few seconds`,
  );

export function csrUploadRoutes({ pool, ca, tasklistUrl, engine }: CsrUploadDeps): Router {
  const r = Router();
  const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  // The body limit answers with the sentence a person needs, not express's generic one.
  const readBody = (req: Request, res: Response, next: NextFunction) =>
    raw(req, res, (err?: unknown) => {
      if ((err as { type?: string } | undefined)?.type === 'entity.too.large') return tooLarge(res);
      next(err);
    });

  r.get('/requests/:id/csr', async (req, res) => {
    const id = parseInput(objectId, req.params.id, 'id');
    const request = await getRequest(pool, id);
    const rootKey = assertP10Enrollment(request);
    if (!engine) return unavailable(res);
    const api = await engine();
    const open = await openUploadTask(api, rootKey);
    if (!open) return res.json({ requestId: id, waiting: false, userTaskKey: null, assignee: null, candidateGroups: [], forYou: false, tasklistUrl: null, refusal: null });
    res.json({
      requestId: id,
      waiting: true,
      userTaskKey: open.task.userTaskKey,
      assignee: open.task.assignee ?? null,
      candidateGroups: open.task.candidateGroups,
      forYou: mayComplete(callerOf(req), open.task),
      tasklistUrl: `${tasklistUrl}/${open.task.userTaskKey}`,
      refusal: await lastRefusal(api, open.sub),
    });
  });

  r.post('/requests/:id/csr', readBody, async (req, res) => {
    const id = parseInput(objectId, req.params.id, 'id');
    const request = await getRequest(pool, id);
    const rootKey = assertP10Enrollment(request);
    const type = req.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'multipart/form-data' && !(RAW_CSR_TYPES as readonly string[]).includes(type ?? '')) return unsupportedType(res, type);

    // The file first: a bad one is refused before anything is asked of the engine, and the task stays open.
    const bytes = await uploadedBytes(req);
    let pem: string;
    let review: Awaited<ReturnType<CaConnector['reviewCsr']>>;
    try {
      pem = canonicalPem(csrToDer(bytes));
      if (!request.certificateId) throw conflict(`request ${id} has no certificate object yet: nothing waits for its CSR`);
      const cert = await getCertificate(pool, request.certificateId);
      const profile = await getProfile(pool, cert.profileId);
      const asset = cert.assetId ? await getAsset(pool, cert.assetId) : undefined;
      // What "Check the CSR" does next in the process (the parser, then the profile's rules), so its refusal is this answer.
      review = await ca.reviewCsr({ csr: pem, profile: toCaProfile(profile, assetSubjectValues(asset)), edits: {} });
    } catch (err) {
      if (isCaError(err) && err.code === CaErrorCode.CSR_TOO_LARGE) return tooLarge(res, bytes.length);
      if (isCaError(err)) throw new ValidationError(err.message);
      throw err;
    }

    if (!engine) return unavailable(res);
    const api = await engine();
    const open = await openUploadTask(api, rootKey);
    if (!open) throw noTask(request);
    const caller = callerOf(req);
    if (!mayComplete(caller, open.task)) {
      throw new ForbiddenError(`${caller.username} may not complete "Upload CSR" of request ${id}: ${whoMay(open.task)} (as in Tasklist)`);
    }
    // The caller's own session with the engine: Tasklist records them as the one who completed it.
    const creds = basicCredentials(req.headers.authorization);
    if (!creds) throw new ForbiddenError('sign in with basic credentials to complete a task');
    if (!open.task.assignee) {
      const claimed = await api.assignUserTaskAs(creds, open.task.userTaskKey, caller.username);
      if (!claimed.ok) throw refusedByEngine(claimed.status, claimed.detail, request);
    }
    const done = await api.completeUserTaskAs(creds, open.task.userTaskKey, { csr: pem, nextAction: 'next' });
    if (!done.ok) throw refusedByEngine(done.status, done.detail, request);
    res.json({
      requestId: id,
      userTaskKey: open.task.userTaskKey,
      processInstanceKey: open.sub,
      subject: review.subject,
      commonName: review.commonName,
      dnsNames: review.dnsNames,
      key: `${review.keyAlgorithm} ${review.keySize} bits`,
    });
  });

  return r;
}

/** The engine's no to the caller's assign or complete: theirs to fix (403), or the task moved on (409). */
function refusedByEngine(status: number, detail: string | undefined, request: WorkplaceRequest): Error {
  if (status === 401 || status === 403) return new ForbiddenError(`the engine refused it: ${detail ?? status}`);
  // Completed a moment ago (the search still showed it), or by someone else at the same time.
  if (status === 404 || status === 400 || status === 409) return conflict(`${noTask(request).message} (the engine: ${detail ?? status})`);
  return new Error(`the engine answered ${status} completing "Upload CSR" of request ${request.id}: ${detail ?? ''}`);
}
