/**
 * What admins change without code or redeploy (admin role only):
 *   GET /api/admin/options                      PUT /api/admin/options/<UseCase>
 *   GET /api/admin/card-types/<type>/commands   PUT /api/admin/card-types/<type>/commands/<Command>
 * and the history of every change, with the admin who made it (issue 17.10):
 *   GET /api/admin/options/<UseCase>/history    GET /api/admin/card-types/<type>/commands/<Command>/history
 * and the objects seed data made before (issue 18.12; spec 002 refers to "Create asset" and
 * "Create certificate profile"; spec 000: new ones are 'Active'):
 *   POST /api/admin/assets                      PUT /api/admin/assets/<id>/state
 *   POST /api/admin/certificate-profiles        PUT /api/admin/certificate-profiles/<id>/state
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import { DomainError, ErrorCode, NotFoundError, UseCaseUnavailableError } from '../domain/errors';
import { createAsset, getAsset, newAsset, transitionAsset } from '../store/assets';
import { createProfile, newProfile, transitionProfile } from '../store/profiles';
import { cardTypeCommands, setCardTypeCommandEnabled } from '../store/cards';
import { optionHistory } from '../store/option-history';
import { configurableUseCase, getOptions, listOptions, updateOptions } from '../store/options';
import { parseInput, text } from '../store/validate';
import { callerOf } from './auth';

/** The body of PUT .../commands/<Command>. */
export const commandUpdate = z.object({ enabled: z.boolean() }).strict();

/** The body of PUT /api/admin/assets/<id>/state. 'Active' from 'Pending' is Assign certificate profile's (spec 000). */
export const assetStateChange = z.object({ state: z.enum(['Active', 'Inactive', 'Pending']), reason: text(2000).optional() }).strict();
/** The body of PUT /api/admin/certificate-profiles/<id>/state. */
export const profileStateChange = z.object({ state: z.enum(['Active', 'Inactive']), reason: text(2000).optional() }).strict();
/** New assets and profiles start 'Active' (spec 000): the store refuses any other initial state. */
export const assetCreation = newAsset;
export const profileCreation = newProfile;

/** A name that is taken is a conflict the admin resolves (409), not an internal error. */
function nameTaken(what: string, name: string) {
  return (err: { code?: string }) => {
    throw err.code === '23505' ? new DomainError(ErrorCode.STATE_CONFLICT, `a ${what} named '${name}' exists already`) : err;
  };
}

export function adminRoutes(pool: Pool): Router {
  const r = Router();
  r.post('/assets', async (req, res) => {
    const body = parseInput(assetCreation, req.body ?? {}, 'asset');
    res.status(201).json(await createAsset(pool, body, { actor: callerOf(req).username, reason: 'created by an admin' }).catch(nameTaken('asset', body.name)));
  });
  r.put('/assets/:id/state', async (req, res) => {
    const { state, reason } = parseInput(assetStateChange, req.body ?? {}, 'asset state');
    const id = Number(parseInput(z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number'), req.params.id, 'id'));
    const asset = await getAsset(pool, id);
    if (asset.state === 'Pending' && state === 'Active') {
      // Spec 000: "A valid certificate profile must be assigned by using a dedicated process".
      throw new UseCaseUnavailableError('AssetsProcAssignProfile', `asset ${asset.name} is 'Pending': it becomes Active when a certificate profile is assigned (Assign certificate profile, AssetsProcAssignProfile)`);
    }
    res.json(await transitionAsset(pool, id, state, { actor: callerOf(req).username, reason: reason ?? `set to ${state} by an admin` }));
  });
  r.post('/certificate-profiles', async (req, res) => {
    const body = parseInput(profileCreation, req.body ?? {}, 'certificate profile');
    res.status(201).json(await createProfile(pool, body, { actor: callerOf(req).username, reason: 'created by an admin' }).catch(nameTaken('certificate profile', body.name)));
  });
  r.put('/certificate-profiles/:id/state', async (req, res) => {
    const { state, reason } = parseInput(profileStateChange, req.body ?? {}, 'certificate profile state');
    const id = Number(parseInput(z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number'), req.params.id, 'id'));
    res.json(await transitionProfile(pool, id, state, { actor: callerOf(req).username, reason: reason ?? `set to ${state} by an admin` }));
  });
  r.get('/options', async (_req, res) => {
    res.json(await listOptions(pool));
  });
  r.get('/options/:useCase', async (req, res) => {
    res.json(await getOptions(pool, configurableUseCase(String(req.params.useCase)).symbolicName));
  });
  r.get('/options/:useCase/history', async (req, res) => {
    res.json(await optionHistory(pool, 'use case option', configurableUseCase(String(req.params.useCase)).symbolicName));
  });
  r.put('/options/:useCase', async (req, res) => {
    res.json(await updateOptions(pool, String(req.params.useCase), req.body ?? {}, callerOf(req).username));
  });
  r.get('/card-types/:type/commands', async (req, res) => {
    res.json(await cardTypeCommands(pool, String(req.params.type)));
  });
  r.get('/card-types/:type/commands/:command/history', async (req, res) => {
    const type = String(req.params.type);
    const command = String(req.params.command);
    if (!(await cardTypeCommands(pool, type)).some((c) => c.command === command)) throw new NotFoundError('card type command', `${type}/${command}`);
    res.json(await optionHistory(pool, 'card type command', `${type}/${command}`));
  });
  r.put('/card-types/:type/commands/:command', async (req, res) => {
    const { enabled } = parseInput(commandUpdate, req.body ?? {}, 'card type command');
    res.json(await setCardTypeCommandEnabled(pool, String(req.params.type), String(req.params.command), enabled, callerOf(req).username));
  });
  return r;
}
