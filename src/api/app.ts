/**
 * The operator and admin API, built by a factory from its dependencies (so tests run it on
 * port 0 against a real database). Routes live in modules of their own and are added here.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Pool } from 'pg';
import { problemDetails } from './errors';

export interface ApiDeps {
  pool: Pool;
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.use(express.json({ limit: '256kb' }));

  /** Readiness: the API answers and its database does. */
  app.get('/api/health', async (_req, res, next) => {
    try {
      await deps.pool.query('SELECT 1');
      res.json({ status: 'UP' });
    } catch (err) {
      next(err);
    }
  });

  app.use(problemDetails);
  return app;
}
