/**
 * The operator and admin API, built by a factory from its dependencies (so tests run it on
 * port 0 against a real database). Routes live in modules of their own and are added here.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { problemDetails } from './errors';

export interface ApiDeps {
  pool: Pool;
  ca: CaConnector;
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

  /** The CRL the issued certificates name as their CRL distribution point (DER; `?format=pem` for PEM). */
  app.get('/api/crl', async (req, res, next) => {
    try {
      const crl = await deps.ca.currentCrl();
      res.set('Cache-Control', `max-age=${Math.max(0, Math.floor((crl.nextUpdate.getTime() - Date.now()) / 1000 / 2))}`);
      if (req.query.format === 'pem') res.type('application/x-pem-file').send(crl.pem);
      else res.type('application/pkix-crl').send(crl.der);
    } catch (err) {
      next(err);
    }
  });

  /** The issuing and root CA certificates (PEM), for chains and trust stores. */
  app.get('/api/ca/chain', async (_req, res, next) => {
    try {
      const { issuing, root } = await deps.ca.caCertificates();
      res.type('application/x-pem-file').send(`${issuing.trim()}\n${root.trim()}\n`);
    } catch (err) {
      next(err);
    }
  });

  app.use(problemDetails);
  return app;
}
