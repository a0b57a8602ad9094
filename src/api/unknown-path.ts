/**
 * `/api/...` paths that no route serves answer 404 before sign-in is asked for (issue 16.6): a
 * typo in a script's URL said 401 and sent its author looking at the password. The routes are
 * those of the OpenAPI document, which a test holds equal to what express serves.
 */
import type { RequestHandler } from 'express';
import { openApiDocument } from './openapi';

const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

/** `/api/requests/{id}` → a pattern matching `/api/requests/12` (and a trailing slash, as express does). */
const KNOWN = Object.keys(openApiDocument.paths).map(
  // Case-insensitive, as express's routing is.
  (template) => new RegExp(`^${template.split(/\{[^}]+\}/).map(escape).join('[^/]+')}/?$`, 'i'),
);

export function isKnownApiPath(path: string): boolean {
  return KNOWN.some((pattern) => pattern.test(path));
}

export const unknownApiPath: RequestHandler = (req, res, next) => {
  if (isKnownApiPath(`${req.baseUrl}${req.path}`)) return next();
  res.status(404).type('application/problem+json').json({
    type: 'urn:workplace-pki:NOT_FOUND',
    title: 'NOT_FOUND',
    status: 404,
    detail: `no API route ${req.baseUrl}${req.path}; the routes are listed in /api/openapi.json`,
  });
};
