/**
 * Authentication for the API: HTTP basic credentials verified against the engine's identity.
 * Failed sign-ins are limited per address, per account and per both (sign-in-limit.ts); admin
 * routes need the admin role.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError } from '../domain/errors';
import type { Caller, Identity } from './identity';
import { createSignInLimiter, type SignInLimiter } from './sign-in-limit';

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

function challenge(res: Response, detail: string): void {
  // The console signs in with its own form: a challenge would make the browser open its dialog too.
  if (res.req.get('x-requested-with') !== 'workplace-pki-console') res.set('WWW-Authenticate', 'Basic realm="Workplace PKI", charset="UTF-8"');
  res
    .status(401)
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

/**
 * Verifies the caller's basic credentials with `identity`, within the failed sign-in limits
 * (src/api/sign-in-limit.ts): a refused attempt answers 429 before its password is checked, so
 * a guess past the limit learns nothing; a request without credentials is challenged and not
 * counted.
 */
export function requireCaller(identity: Identity, limiter: SignInLimiter = createSignInLimiter()): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const creds = basicCredentials(req.headers.authorization);
    if (!creds) return challenge(res, 'sign in with the same user and password as in Camunda Tasklist');
    const refusal = limiter.check(req, creds.username);
    if (refusal.refused) {
      res
        .status(429)
        .set('Retry-After', String(refusal.retryAfterSeconds))
        .type('application/problem+json')
        .json({ title: 'TOO_MANY_REQUESTS', status: 429, detail: `${refusal.why}; try again in ${Math.ceil(refusal.retryAfterSeconds / 60)} minute(s)` });
      return;
    }
    try {
      const caller = await identity.verify(creds.username, creds.password);
      if (!caller) {
        limiter.failed(req, creds.username);
        return challenge(res, 'unknown user or wrong password');
      }
      limiter.succeeded(req, creds.username);
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
