/**
 * SCEP over HTTP (RFC 8894 §4.1), one endpoint per SCEP certificate profile:
 * `/scep/<profileId>` (and `/scep/<profileId>/pkiclient.exe`, the path many clients append).
 * `?operation=GetCACaps|GetCACert|PKIOperation`; PKIOperation by POST (the body is the
 * pkiMessage) or GET (`message` = its base64). Public: a SCEP client authenticates with the
 * one-time challenge inside its request, not with a sign-in.
 */
import express, { type Request, type Response, type Router } from 'express';
import { ScepHttpError, type ScepReply, type ScepService } from './enrollment';

/** Largest pkiMessage accepted: a CSR in an envelope is a few KB. */
export const MAX_PKI_MESSAGE_BYTES = 64 * 1024;

function profileIdOf(req: Request): number {
  const raw = String(req.params.profileId ?? '');
  if (!/^\d{1,10}$/.test(raw)) throw new ScepHttpError(404, `no SCEP certificate profile "${raw.slice(0, 40)}"`);
  return Number(raw);
}

function send(res: Response, reply: ScepReply): void {
  res.set('Cache-Control', 'no-store').type(reply.contentType).send(reply.body);
}

export function scepRoutes(scep: ScepService): Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: MAX_PKI_MESSAGE_BYTES }));

  const handle = async (req: Request, res: Response): Promise<void> => {
    try {
      const profileId = profileIdOf(req);
      const operation = String(req.query.operation ?? '');
      if (operation === 'GetCACaps') return send(res, await scep.caps(profileId));
      if (operation === 'GetCACert') return send(res, await scep.caCert(profileId));
      if (operation === 'PKIOperation') {
        let message: Buffer;
        if (req.method === 'POST') message = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        else message = Buffer.from(String(req.query.message ?? ''), 'base64');
        if (message.length === 0) throw new ScepHttpError(400, 'PKIOperation needs a pkiMessage (POST body, or base64 in "message")');
        return send(res, await scep.pkiOperation(profileId, message));
      }
      throw new ScepHttpError(400, `unknown operation "${operation.slice(0, 40)}"; use GetCACaps, GetCACert or PKIOperation`);
    } catch (err) {
      if (!(err instanceof ScepHttpError)) throw err;
      res.status(err.status).type('text/plain').send(err.message);
    }
  };
  for (const path of ['/:profileId', '/:profileId/pkiclient.exe']) {
    router.get(path, handle);
    router.post(path, handle);
  }
  return router;
}
