/**
 * What admins change without code or redeploy (admin role only):
 *   GET /api/admin/options                      PUT /api/admin/options/<UseCase>
 *   GET /api/admin/card-types/<type>/commands   PUT /api/admin/card-types/<type>/commands/<Command>
 * and the history of every change, with the admin who made it (issue 17.10):
 *   GET /api/admin/options/<UseCase>/history    GET /api/admin/card-types/<type>/commands/<Command>/history
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import { NotFoundError } from '../domain/errors';
import { cardTypeCommands, setCardTypeCommandEnabled } from '../store/cards';
import { optionHistory } from '../store/option-history';
import { configurableUseCase, getOptions, listOptions, updateOptions } from '../store/options';
import { parseInput } from '../store/validate';
import { callerOf } from './auth';

/** The body of PUT .../commands/<Command>. */
export const commandUpdate = z.object({ enabled: z.boolean() }).strict();

export function adminRoutes(pool: Pool): Router {
  const r = Router();
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
