/**
 * Deregistration of an ACME or SCEP registration (issue 12.3; spec 000 state 'Deregistered'):
 *   POST /api/certificates/<id>/deregister   { "reason"?: string }
 * on a certificate object in 'Registered'. The CA's registration is deregistered (its EAB or
 * challenge is refused by the ACME and SCEP servers from then on) and the object becomes
 * 'Deregistered', in one transaction, with the caller in its history.
 *
 * Who may: as for locking a certificate — the asset's owner, the registration authority or an
 * admin. When the profile requires approval for revocations, a deregistration needs it too, and
 * the approver's action is the approval: only a member of the profile's approver group (or an
 * admin) who did not enroll the registration may deregister it (four eyes).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { CaErrorCode, isCaError } from '../ca/errors';
import { mayStartUseCase } from '../domain/authorization';
import { ForbiddenError, UseCaseUnavailableError } from '../domain/errors';
import { partiesOf } from '../store/authorization';
import { getCertificate, lockCertificateFor, transitionCertificate } from '../store/certificates';
import { withTransaction } from '../store/db';
import { getProfile } from '../store/profiles';
import { registrationOf } from '../store/registrations';
import { objectId, parseInput } from '../store/validate';
import { callerOf } from './auth';

/** What a deregistration may carry: the reason, for the object's history. */
export const deregistrationBody = z.object({ reason: z.string().trim().min(1).max(2000).optional() }).strict().default({});

export function deregistrationRoutes(deps: { pool: Pool; ca: CaConnector }): Router {
  const r = Router();
  r.post('/certificates/:id/deregister', async (req, res) => {
    const id = parseInput(objectId, req.params.id, 'id');
    const { reason } = parseInput(deregistrationBody, req.body ?? {}, 'deregistration');
    const caller = callerOf(req);
    const cert = await getCertificate(deps.pool, id);
    const parties = await partiesOf(deps.pool, 'certificate', id);
    const profile = await getProfile(deps.pool, cert.profileId);
    if (profile.revocationApprovalRequired && !caller.isAdmin) {
      // The approver's action is the approval; the one who enrolled it cannot approve their own.
      if (!caller.groups.includes(profile.approverGroup)) {
        throw new ForbiddenError(`certificate profile ${profile.name} requires approval: only its approvers (group ${profile.approverGroup}) or an admin may deregister`);
      }
      if (parties.requesters.includes(caller.username)) {
        throw new ForbiddenError(`${caller.username} enrolled this registration and may not approve its deregistration (four eyes)`);
      }
    } else {
      const permission = mayStartUseCase(caller, 'AssetsProcLockCertificate', 'Deregister', { kind: 'certificate', label: `certificate ${id}`, parties });
      if (!permission.allowed) throw new ForbiddenError(permission.reason);
    }
    const ctx = { actor: caller.username, reason: reason ?? 'deregistered by an operator' };
    const done = await withTransaction(deps.pool, async (tx) => {
      await lockCertificateFor(tx, id, 'Deregistered');
      const registration = await registrationOf(tx, id);
      if (!registration) throw new UseCaseUnavailableError('Deregister', `no CA registration is recorded for certificate ${id}`);
      const atCa = deps.ca.within(tx);
      const request = { idempotencyKey: `deregister:certificate:${id}`, registrationId: registration.registrationId };
      try {
        await (registration.protocol === 'ACME' ? atCa.deregisterAcme(request) : atCa.deregisterScep(request));
      } catch (err) {
        // Deregistered at the CA by other means already: the object follows.
        if (!(isCaError(err) && err.code === CaErrorCode.REGISTRATION_ALREADY_DEREGISTERED)) throw err;
      }
      return transitionCertificate(tx, id, 'Deregistered', ctx);
    });
    res.json(done);
  });
  return r;
}
