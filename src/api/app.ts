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
import type { TrustProxy } from '../config';
import { acmeRoutes, type AcmeDeps } from '../acme/routes';
import type { CaConnector } from '../ca/connector';
import { latestRootCrl, ROOT_CRL_PATH } from '../ca/root-crl';
import { NotFoundError, ValidationError } from '../domain/errors';
import type { EngineStatus } from '../engine/availability';
import type { EngineApi } from '../engine/engine-api';
import type { ProcessEngine } from '../engine/processes';
import { consoleApp, secretLinkToConsole } from '../console/serve';
import type { ScepService } from '../scep/enrollment';
import { scepRoutes } from '../scep/routes';
import type { Sealer } from '../store/secret-links';
import { adminRoutes } from './admin-routes';
import { requireAdmin, requireCaller } from './auth';
import { consoleRoutes } from './console-routes';
import { csrUploadRoutes } from './csr-upload-routes';
import { deregistrationRoutes } from './deregistration-routes';
import { certificateDownloadRoutes } from './download-routes';
import { problemDetails } from './errors';
import { loggablePath } from './loggable-path';
import type { Identity } from './identity';
import { objectRoutes } from './object-routes';
import { openApiDocument } from './openapi';
import { unknownApiPath } from './unknown-path';
import { secretLinkRoutes } from './secret-link-routes';
import { createSignInLimiter, type SignInLimitOptions } from './sign-in-limit';

export { loggablePath };

export interface ApiDeps {
  pool: Pool;
  ca: CaConnector;
  sealer: Sealer;
  identity: Identity;
  processes: ProcessEngine;
  tasklistUrl: string;
  /** The engine's searches: where a started use case went (GET /api/processes/..., for the console). */
  engine?: () => Promise<EngineApi>;
  /** The engine's state for /api/health (src/engine/availability.ts); absent: not reported. */
  engineStatus?: () => EngineStatus;
  /**
   * Express's `trust proxy` (TRUST_PROXY in src/config.ts): which reverse proxies may name the
   * client's address in X-Forwarded-For. Unset: none, the client is the socket's peer.
   */
  trustProxy?: TrustProxy;
  /** Failed sign-in limits and clock (tests); defaults in src/api/sign-in-limit.ts. */
  signInLimits?: SignInLimitOptions;
  /**
   * The ACME server under /acme/<profile id>/ (issue 12.1): how it finds a registration by its
   * EAB key id, and where http-01 validation connects. Without it, no ACME server is served.
   */
  acme?: Omit<AcmeDeps, 'pool' | 'ca'>;
  /** The SCEP server of the built-in CA (src/scep/), public under /scep/<profileId>; none when the CA cannot speak SCEP. */
  scep?: ScepService;
  /** One line per request; tokens of one-time links are never written. */
  log?: (line: string) => void;
}

/** Whether a parsed query or JSON body holds U+0000 in any key or string. */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  return Object.entries(value).some(([k, v]) => k.includes('\0') || containsNul(v, depth + 1));
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
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
  // PostgreSQL stores no U+0000 in text: a query or body with one was a 500 (issue 15.7).
  app.use((req, _res, next) => {
    next(containsNul(req.query) || containsNul(req.body) || req.path.includes('\0') ? new ValidationError('text may not contain the NUL character (U+0000)') : undefined);
  });

  /**
   * Readiness: the API answers and its database does. The engine's state is reported, not
   * required: the CRL and the CA chain are served without it (issue 16.6).
   */
  app.get('/api/health', async (_req, res) => {
    await deps.pool.query('SELECT 1');
    res.json({ status: 'UP', ...(deps.engineStatus ? { engine: deps.engineStatus() } : {}) });
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

  /** The root CA's CRL: the issuing CA certificate's CRL distribution point (DER; `?format=pem` for PEM). */
  app.get(ROOT_CRL_PATH, async (req, res) => {
    const crl = await latestRootCrl(deps.pool);
    if (!crl) throw new NotFoundError('root CA CRL', 'of this CA', 'a CA created before issue 17.20 has none; its issuing CA certificate names none');
    res.set('Cache-Control', 'max-age=86400');
    if (req.query.format === 'pem') res.type('application/x-pem-file').send(crl.pem);
    else res.type('application/pkix-crl').send(crl.der);
  });

  /** The issuing and root CA certificates (PEM), for chains and trust stores. */
  app.get('/api/ca/chain', async (_req, res) => {
    const { issuing, root } = await deps.ca.caCertificates();
    res.type('application/x-pem-file').send(`${issuing.trim()}\n${root.trim()}\n`);
  });

  // ACME clients authenticate by JWS and External Account Binding, not by sign-in (issue 12.1).
  if (deps.acme) app.use('/acme', acmeRoutes({ pool: deps.pool, ca: deps.ca, ...deps.acme }));
  // SCEP clients authenticate with the challenge inside their request (issue 12.2).
  if (deps.scep) app.use('/scep', scepRoutes(deps.scep));

  // The operator and admin console (issue 13): its pages are public, its data comes from this API.
  app.use('/console', consoleApp());
  app.use(secretLinkToConsole);

  // A path nothing serves is 404 before sign-in is asked for (issue 16.6).
  app.use('/api', unknownApiPath);
  // Each app counts failed sign-ins on its own (two apps in one process share nothing).
  app.use('/api', requireCaller(deps.identity, createSignInLimiter(deps.signInLimits)));
  // A certificate names its holder: signed in only (issue 17.18).
  app.use('/api', certificateDownloadRoutes(deps));
  // One-time secrets, for the signed-in person they are for (issue 17.7).
  app.use('/api', secretLinkRoutes(deps));
  app.use('/api', consoleRoutes(deps));
  // The P10 CSR as a file, which Camunda 8.6's Tasklist forms cannot take (issue 18.13).
  app.use('/api', csrUploadRoutes(deps));
  app.use('/api/admin', requireAdmin, adminRoutes(deps.pool));
  // Deregister an ACME or SCEP registration (issue 12.3).
  app.use('/api', deregistrationRoutes(deps));
  app.use('/api', objectRoutes(deps));

  app.use(problemDetails);
  return app;
}
