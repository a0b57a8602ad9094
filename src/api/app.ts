/**
 * The operator and admin API, built by a factory from its dependencies (tests run it on port 0
 * against a real database and engine). Public routes first (health, CRL, CA chain, OpenAPI),
 * then everything else behind sign-in — certificate downloads too, as a certificate names its
 * holder (issue 17.18), and one-time secrets, which only the person they are for opens (issue
 * 17.7); admin routes need the admin role.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import type { ProcessEngine } from '../engine/processes';
import type { Sealer } from '../store/secret-links';
import { adminRoutes } from './admin-routes';
import { failedSignInLimit, requireAdmin, requireCaller } from './auth';
import { certificateDownloadRoutes } from './download-routes';
import { problemDetails } from './errors';
import { loggablePath } from './loggable-path';
import type { Identity } from './identity';
import { objectRoutes } from './object-routes';
import { openApiDocument } from './openapi';
import { secretLinkRoutes } from './secret-link-routes';

export { loggablePath };

export interface ApiDeps {
  pool: Pool;
  ca: CaConnector;
  sealer: Sealer;
  identity: Identity;
  processes: ProcessEngine;
  tasklistUrl: string;
  /** One line per request; tokens of one-time links are never written. */
  log?: (line: string) => void;
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  if (deps.log) {
    const log = deps.log;
    app.use((req, res, next) => {
      const started = Date.now();
      res.on('finish', () => log(`[api] ${req.method} ${loggablePath(req.originalUrl)} ${res.statusCode} ${Date.now() - started}ms${req.caller ? ` ${req.caller.username}` : ''}`));
      next();
    });
  }
  app.use(express.json({ limit: '64kb', strict: true }));

  /** Readiness: the API answers and its database does. */
  app.get('/api/health', async (_req, res) => {
    await deps.pool.query('SELECT 1');
    res.json({ status: 'UP' });
  });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  /** The CRL the issued certificates name as their CRL distribution point (DER; `?format=pem` for PEM). */
  app.get('/api/crl', async (req, res) => {
    const crl = await deps.ca.currentCrl();
    res.set('Cache-Control', `max-age=${Math.max(0, Math.floor((crl.nextUpdate.getTime() - Date.now()) / 1000 / 2))}`);
    if (req.query.format === 'pem') res.type('application/x-pem-file').send(crl.pem);
    else res.type('application/pkix-crl').send(crl.der);
  });

  /** The issuing and root CA certificates (PEM), for chains and trust stores. */
  app.get('/api/ca/chain', async (_req, res) => {
    const { issuing, root } = await deps.ca.caCertificates();
    res.type('application/x-pem-file').send(`${issuing.trim()}\n${root.trim()}\n`);
  });

  const signInLimit = failedSignInLimit();
  app.use('/api', signInLimit.guard, requireCaller(deps.identity, signInLimit));
  // A certificate names its holder: signed in only (issue 17.18).
  app.use('/api', certificateDownloadRoutes(deps));
  // One-time secrets, for the signed-in person they are for (issue 17.7).
  app.use('/api', secretLinkRoutes(deps));
  app.use('/api/admin', requireAdmin, adminRoutes(deps.pool));
  app.use('/api', objectRoutes(deps));

  app.use(problemDetails);
  return app;
}
