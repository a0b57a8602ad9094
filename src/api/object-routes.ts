/**
 * Search and view objects, start a use case on an object, delete a request.
 *   GET    /api/<collection>?state=&text=&limit=&offset=
 *   GET    /api/<collection>/<id>
 *   POST   /api/<collection>/<id>/use-cases/<SymbolicName>
 *   DELETE /api/requests/<id>
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { mayDeleteRequest } from '../domain/authorization';
import { ForbiddenError, NotFoundError, StateConflictError, UseCaseUnavailableError, ValidationError } from '../domain/errors';
import { findUseCase } from '../domain/use-cases';
import type { EngineApi } from '../engine/engine-api';
import type { ProcessEngine } from '../engine/processes';
import { getAsset } from '../store/assets';
import { enrollmentBlocker, getProfile } from '../store/profiles';
import { deleteRequest, getRequest } from '../store/requests';
import { claimUseCaseRun, type StillRunning } from '../store/use-case-runs';
import { objectId, parseInput } from '../store/validate';
import { callerOf } from './auth';
import { COLLECTIONS, objectView, offers, permissionToStart, useCaseSwitches, type Collection } from './objects';

export interface ObjectRouteDeps {
  pool: Pool;
  /** Revokes what a deleted enrollment had issued already. */
  ca: CaConnector;
  processes: ProcessEngine;
  tasklistUrl: string;
  /** The engine's searches: whether the run of a use case still goes on (absent: only a start under way blocks another). */
  engine?: () => Promise<EngineApi>;
}

function collectionOf(name: string): Collection {
  // Own properties only: `__proto__`, `constructor` or `toString` are no collections (issue 17.20).
  const c = Object.hasOwn(COLLECTIONS, name) ? COLLECTIONS[name] : undefined;
  if (!c) throw new NotFoundError('collection', name);
  return c;
}

/** What a start may carry besides the object: the profile to enroll when started on an asset, and vice versa. */
export const startBody = z
  .object({ profileId: objectId.optional(), assetId: objectId.optional() })
  .strict()
  .default({});

/** Enroll profile needs an Active profile and, when one is named, an Active asset (spec 002): 404 when unknown, 409 when not Active. */
async function assertEnrollable(pool: Pool, profileId: number | undefined, assetId: number | undefined): Promise<void> {
  if (profileId !== undefined) {
    const profile = await getProfile(pool, profileId);
    if (profile.state !== 'Active') {
      throw new UseCaseUnavailableError('AssetsProcEnrollProfile', `certificate profile ${profile.name} is '${profile.state}': only an Active profile can be enrolled`);
    }
    const blocker = enrollmentBlocker(profile);
    if (blocker) throw new UseCaseUnavailableError('AssetsProcEnrollProfile', blocker);
  }
  if (assetId !== undefined) {
    const asset = await getAsset(pool, assetId);
    if (asset.state !== 'Active') {
      throw new UseCaseUnavailableError('AssetsProcEnrollProfile', `asset ${asset.name} is '${asset.state}': enrollment needs an Active asset`);
    }
  }
}

/**
 * What a run of a use case claims (src/store/use-case-runs.ts): the object, and for an enrollment
 * the asset and the profile together, whichever it was started on. An enrollment without an asset
 * (the operator picks or creates one in the process) claims nothing: two of them are two assets.
 */
export function runObjectRef(kind: Collection['kind'], id: number, body: z.output<typeof startBody>): string | undefined {
  if (kind === 'asset') return `asset:${id}/profile:${body.profileId}`;
  if (kind === 'certificate-profile') return body.assetId === undefined ? undefined : `asset:${body.assetId}/profile:${id}`;
  return `${kind}:${id}`;
}

/** How long a started instance may be missing from the engine's search (it shows up a few seconds late). */
const SEARCH_LAG_MS = 60_000;

/** Whether a use case's instance still runs, asked of the engine's search. */
function stillRunningIn(engine: () => Promise<EngineApi>): StillRunning {
  return async (processInstanceKey, startedAt) => {
    const [found] = await (await engine()).searchProcessInstances({ processInstanceKey });
    if (!found) return Date.now() - startedAt.getTime() < SEARCH_LAG_MS;
    return found.state === 'ACTIVE';
  };
}

export function objectRoutes({ pool, ca, processes, tasklistUrl, engine }: ObjectRouteDeps): Router {
  const r = Router();

  r.get('/:collection', async (req, res) => {
    const c = collectionOf(String(req.params.collection));
    res.json(await c.search(pool, req.query as Record<string, string>));
  });

  r.get('/:collection/:id', async (req, res) => {
    const c = collectionOf(String(req.params.collection));
    res.json(await objectView(pool, c, parseInput(objectId, req.params.id, 'id'), callerOf(req)));
  });

  r.post('/:collection/:id/use-cases/:useCase', async (req, res) => {
    const c = collectionOf(String(req.params.collection));
    const id = parseInput(objectId, req.params.id, 'id');
    const useCase = findUseCase(String(req.params.useCase));
    if (!useCase) throw new NotFoundError('use case', String(req.params.useCase));
    const body = parseInput(startBody, req.body ?? {}, 'start of a use case');
    const obj = await c.get(pool, id);
    const offer = offers({ kind: c.kind, state: obj.state, cardType: c.cardType?.(obj) }, await useCaseSwitches(pool)).find(
      (o) => o.symbolicName === useCase.symbolicName,
    );
    if (!offer) throw new ValidationError(`${useCase.label} does not start on ${c.kind} objects`);
    const caller = callerOf(req);
    // Who may, before whether it can now: a refusal says nothing about a state the caller may not act on.
    // A named asset that does not exist is a 404, not "you do not own it".
    if (c.kind === 'certificate-profile' && body.assetId !== undefined) await COLLECTIONS.assets!.get(pool, body.assetId);
    const permission = await permissionToStart(pool, caller, useCase, c, id, c.kind === 'certificate-profile' ? body.assetId : undefined);
    if (!permission.allowed) throw new ForbiddenError(permission.reason);
    if (!offer.available) throw new UseCaseUnavailableError(useCase.symbolicName, offer.reason ?? `${useCase.label} is not available`);

    if (useCase.symbolicName === 'AssetsProcApproval') {
      // One request, one decision task (issue 18.1): the request's own process already waits in
      // its approval; "Approve request" leads there and starts nothing.
      const request = await getRequest(pool, id);
      if (!request.approvalProcessInstanceKey) {
        throw new UseCaseUnavailableError(useCase.symbolicName, `request ${id} is being sent for approval: its task appears in a moment`);
      }
      res.status(200).json({ useCase: useCase.symbolicName, processInstanceKey: request.approvalProcessInstanceKey, tasklistUrl });
      return;
    }
    const variables: Record<string, unknown> = { requester: caller.username, requesterEmail: caller.email };
    // What the process would refuse at its first step is refused here, before anything starts
    // (issue 18.8): the refusal reaches the caller instead of a variable nobody reads.
    if (useCase.symbolicName === 'AssetsProcEnrollProfile') await assertEnrollable(pool, c.kind === 'asset' ? body.profileId : id, c.kind === 'asset' ? id : body.assetId);
    switch (c.kind) {
      case 'asset':
        if (useCase.symbolicName === 'AssetsProcAssignProfile') {
          // The profile is chosen in the process's form; one named here pre-selects it (issue 18.10).
          Object.assign(variables, { assetId: id, profileId: body.profileId ?? null });
          break;
        }
        if (!body.profileId) throw new ValidationError('choose the certificate profile to enroll: { "profileId": ... }');
        Object.assign(variables, { assetId: id, profileId: body.profileId });
        break;
      case 'certificate-profile':
        Object.assign(variables, { profileId: id, assetId: body.assetId ?? null });
        break;
      case 'certificate':
        variables.certificateId = id;
        break;
      case 'request':
        variables.requestId = id;
        break;
      case 'card':
        variables.cardId = id;
        break;
    }
    // One run of a use case per object at a time (issue 15.6): of two starts at once, one runs.
    const objectRef = runObjectRef(c.kind, id, body);
    const claim = objectRef
      ? await claimUseCaseRun(
          pool,
          { useCase: useCase.symbolicName, label: useCase.label, objectRef, objectLabel: `${c.kind} ${id}`, startedBy: caller.username },
          engine ? stillRunningIn(engine) : undefined,
        )
      : undefined;
    let started: { processInstanceKey: string };
    try {
      started = await processes.start(useCase.symbolicName, variables);
    } catch (err) {
      await claim?.abandon();
      throw err;
    }
    await claim?.started(started.processInstanceKey);
    res.status(201).json({ useCase: useCase.symbolicName, processInstanceKey: started.processInstanceKey, tasklistUrl });
  });

  r.delete('/requests/:id', async (req, res) => {
    const id = parseInput(objectId, req.params.id, 'id');
    const request = await getRequest(pool, id);
    const permission = mayDeleteRequest(callerOf(req), `request ${id}`, request.requester);
    if (!permission.allowed) throw new ForbiddenError(permission.reason);
    if (request.state !== 'Registered' && request.state !== 'Requested') throw new StateConflictError('request', id, request.state, 'Deleted');
    await deleteRequest(pool, id, { actor: callerOf(req).username, reason: 'deleted by an operator' }, {
      // Cancelled with the request locked and still undecided: a request must not vanish while its
      // process still waits for an approval, and a decision made meanwhile wins (issue 15.6).
      cancelProcess: async (r) => {
        if (r.processInstanceKey) await processes.cancel(r.processInstanceKey);
      },
      // A P12 certificate issued before its installation was confirmed is revoked (issue 18.3).
      ca,
    });
    res.status(204).end();
  });

  return r;
}
