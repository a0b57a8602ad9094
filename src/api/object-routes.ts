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
import { NotFoundError, StateConflictError, UseCaseUnavailableError, ValidationError } from '../domain/errors';
import { findUseCase } from '../domain/use-cases';
import type { ProcessEngine } from '../engine/processes';
import { deleteRequest, getRequest } from '../store/requests';
import { objectId, parseInput } from '../store/validate';
import { callerOf } from './auth';
import { COLLECTIONS, objectView, offers, useCaseSwitches, type Collection } from './objects';

export interface ObjectRouteDeps {
  pool: Pool;
  processes: ProcessEngine;
  tasklistUrl: string;
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

export function objectRoutes({ pool, processes, tasklistUrl }: ObjectRouteDeps): Router {
  const r = Router();

  r.get('/:collection', async (req, res) => {
    const c = collectionOf(String(req.params.collection));
    res.json(await c.search(pool, req.query as Record<string, string>));
  });

  r.get('/:collection/:id', async (req, res) => {
    const c = collectionOf(String(req.params.collection));
    res.json(await objectView(pool, c, parseInput(objectId, req.params.id, 'id')));
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
    if (!offer.available) throw new UseCaseUnavailableError(useCase.symbolicName, offer.reason ?? `${useCase.label} is not available`);

    const caller = callerOf(req);
    const variables: Record<string, unknown> = { requester: caller.username, requesterEmail: caller.email };
    switch (c.kind) {
      case 'asset':
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
    const started = await processes.start(useCase.symbolicName, variables);
    res.status(201).json({ useCase: useCase.symbolicName, processInstanceKey: started.processInstanceKey, tasklistUrl });
  });

  r.delete('/requests/:id', async (req, res) => {
    const id = parseInput(objectId, req.params.id, 'id');
    const request = await getRequest(pool, id);
    if (request.state !== 'Registered' && request.state !== 'Requested') throw new StateConflictError('request', id, request.state, 'Deleted');
    // Cancel first: a request must not vanish while its process still waits for an approval.
    if (request.processInstanceKey) await processes.cancel(request.processInstanceKey);
    await deleteRequest(pool, id, { actor: callerOf(req).username, reason: 'deleted by an operator' });
    res.status(204).end();
  });

  return r;
}
