/**
 * What admins change without code or redeploy (admin role only):
 *   GET /api/admin/options                      PUT /api/admin/options/<UseCase>
 *   GET /api/admin/card-types/<type>/commands   PUT /api/admin/card-types/<type>/commands/<Command>
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import { cardTypeCommands, setCardTypeCommandEnabled } from '../store/cards';
import { configurableUseCase, getOptions, listOptions, updateOptions } from '../store/options';
import { parseInput } from '../store/validate';
import { callerOf } from './auth';

const commandUpdate = z.object({ enabled: z.boolean() }).strict();

export function adminRoutes(pool: Pool): Router {
  const r = Router();
  r.get('/options', async (_req, res) => {
    res.json(await listOptions(pool));
  });
  r.get('/options/:useCase', async (req, res) => {
    res.json(await getOptions(pool, configurableUseCase(String(req.params.useCase)).symbolicName));
  });
  r.put('/options/:useCase', async (req, res) => {
    res.json(await updateOptions(pool, String(req.params.useCase), req.body ?? {}, callerOf(req).username));
  });
  r.get('/card-types/:type/commands', async (req, res) => {
    res.json(await cardTypeCommands(pool, String(req.params.type)));
  });
  r.put('/card-types/:type/commands/:command', async (req, res) => {
    const { enabled } = parseInput(commandUpdate, req.body ?? {}, 'card type command');
    res.json(await setCardTypeCommandEnabled(pool, String(req.params.type), String(req.params.command), enabled, callerOf(req).username));
  });
  return r;
}
