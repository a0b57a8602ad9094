/**
 * Authentication for the API: HTTP basic credentials verified against the engine's identity.
 * Failed attempts are rate-limited per client address; admin routes need the admin role.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ForbiddenError } from '../domain/errors';
import type { Caller, Identity } from './identity';

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

function challenge(res: Response, detail: string): void {
  res
    .status(401)
    .set('WWW-Authenticate', 'Basic realm="Workplace PKI", charset="UTF-8"')
    .type('application/problem+json')
    .json({ type: 'urn:workplace-pki:UNAUTHENTICATED', title: 'UNAUTHENTICATED', status: 401, detail });
}

/** Parses `Authorization: Basic ...`; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Counts only failed authentications: 20 per 15 minutes per address, then 429. */
export const failedAuthenticationLimit: RequestHandler = rateLimit({
  windowMs: 15 * 60_000,
  limit: 20,
  standardHeaders: 'draft-7',
  legacyHeaders: false,
  requestWasSuccessful: (_req, res) => res.statusCode !== 401,
  skipSuccessfulRequests: true,
  message: { title: 'TOO_MANY_REQUESTS', status: 429, detail: 'too many failed sign-ins; wait 15 minutes' },
});

export function requireCaller(identity: Identity): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const creds = basicCredentials(req.headers.authorization);
    if (!creds) return challenge(res, 'sign in with the same user and password as in Camunda Tasklist');
    try {
      const caller = await identity.verify(creds.username, creds.password);
      if (!caller) return challenge(res, 'unknown user or wrong password');
      req.caller = caller;
      next();
    } catch (err) {
      next(err);
    }
  };
}

export const requireAdmin: RequestHandler = (req, _res, next) => {
  if (!req.caller?.isAdmin) return next(new ForbiddenError(`${req.caller?.username ?? 'this user'} is not an admin; admin routes need the admin role`));
  next();
};

/** The signed-in caller (after requireCaller). */
export function callerOf(req: Request): Caller {
  if (!req.caller) throw new Error('route mounted without requireCaller');
  return req.caller;
}
