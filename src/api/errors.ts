/**
 * The one error middleware: typed errors become problem-details responses (RFC 9457);
 * anything else is a 500 whose details stay in the server log.
 */
import type { ErrorRequestHandler } from 'express';
import { DomainError, ErrorCode, ValidationError } from '../domain/errors';
import { EngineUnavailableError } from '../engine/availability';
import { loggablePath } from './loggable-path';

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.STATE_CONFLICT]: 409,
  [ErrorCode.VALIDATION]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.GONE]: 410,
};

export const problemDetails: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof DomainError) {
    const status = STATUS[err.code];
    res.status(status).type('application/problem+json').json({
      type: `urn:workplace-pki:${err.code}`,
      title: err.code,
      status,
      detail: err.message,
      ...(err instanceof ValidationError ? { issues: err.issues } : {}),
    });
    return;
  }
  // The engine is down or not there yet (issue 16.6): the client may retry later.
  if (err instanceof EngineUnavailableError) {
    res.status(503).set('Retry-After', '30').type('application/problem+json').json({
      type: 'urn:workplace-pki:ENGINE_UNAVAILABLE',
      title: 'ENGINE_UNAVAILABLE',
      status: 503,
      detail: err.message,
      engine: { state: err.status.state, address: err.status.address },
    });
    return;
  }
  // express.json() marks a body it cannot parse with type 'entity.parse.failed' and status 400/413.
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed' || e.type === 'entity.too.large') {
    const status = e.status ?? 400;
    res.status(status).type('application/problem+json').json({
      type: 'urn:workplace-pki:VALIDATION',
      title: 'VALIDATION',
      status,
      detail: e.type === 'entity.too.large' ? 'the request body is too large' : 'the request body is not valid JSON',
    });
    return;
  }
  console.error(`[api] ${req.method} ${loggablePath(req.originalUrl)} failed: ${e.message ?? String(err)}`);
  res.status(500).type('application/problem+json').json({ title: 'INTERNAL', status: 500, detail: 'internal error; see the server log' });
};
