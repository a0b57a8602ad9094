/**
 * Authentication for the API: HTTP basic credentials verified against the engine's identity.
 * Failed sign-ins are limited per client address; admin routes need the admin role.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
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

const TOO_MANY = { title: 'TOO_MANY_REQUESTS', status: 429, detail: 'too many failed sign-ins; wait 15 minutes' };

/** Limits failed sign-ins per client address; one per app (see `failedSignInLimit`). */
export interface SignInLimit {
  /** Refuses, before the credentials are checked, a client that has failed too often. */
  guard: RequestHandler;
  /** Counts one failed sign-in, then answers with `challenge` (or 429 once over the limit). */
  failed(req: Request, res: Response, challenge: () => void): void;
}

/**
 * Failed sign-ins: 20 per 15 minutes per client address, then 429 until the window ends. Only
 * a failure counts, once the credentials were checked and found wrong: a request in flight is
 * no failure (30 signed-in requests at once from one address, e.g. a burst of downloads, were
 * refused when every request counted until it succeeded), and neither is a request that
 * brings no credentials yet (a browser's first). Each app has its own counter, so two apps in
 * one process do not share one.
 */
export function failedSignInLimit(): SignInLimit {
  const limit = 20;
  const keyOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const counter = rateLimit({ windowMs: 15 * 60_000, limit, keyGenerator: keyOf, standardHeaders: 'draft-7', legacyHeaders: false, message: TOO_MANY });
  return {
    guard: async (req, res, next) => {
      try {
        if (((await counter.getKey(keyOf(req)))?.totalHits ?? 0) >= limit) {
          res.status(429).type('application/problem+json').json(TOO_MANY);
          return;
        }
        next();
      } catch (err) {
        next(err);
      }
    },
    failed: (req, res, challenge) => {
      void counter(req, res, challenge);
    },
  };
}

export function requireCaller(identity: Identity, limit: SignInLimit = failedSignInLimit()): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const creds = basicCredentials(req.headers.authorization);
    if (!creds) return challenge(res, 'sign in with the same user and password as in Camunda Tasklist');
    try {
      const caller = await identity.verify(creds.username, creds.password);
      if (!caller) return limit.failed(req, res, () => challenge(res, 'unknown user or wrong password'));
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
