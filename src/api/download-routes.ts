/**
 * Certificate downloads, signed in: a certificate names its holder, and ids are sequential, so
 * without sign-in anyone could list every holder (issue 17.18). Public distribution is the CRL
 * and the CA chain (app.ts).
 *   GET /api/certificates/<id>/download?format=pem|der|chain
 */
import { X509Certificate } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { NotFoundError } from '../domain/errors';
import { getCertificate } from '../store/certificates';
import { objectId, parseInput } from '../store/validate';

export interface DownloadRouteDeps {
  pool: Pool;
  ca: CaConnector;
}

/** ?format= of a certificate download. */
export const format = z.enum(['pem', 'der', 'chain']).default('pem');

/** Certificate downloads; mounted behind sign-in. */
export function certificateDownloadRoutes({ pool, ca }: DownloadRouteDeps): Router {
  const r = Router();

  r.get('/certificates/:id/download', async (req, res) => {
    const cert = await getCertificate(pool, parseInput(objectId, req.params.id, 'id'));
    if (!cert.pem) throw new NotFoundError('issued certificate', cert.id);
    const f = parseInput(format, req.query.format, 'format');
    const name = `certificate-${cert.serial ?? cert.id}`;
    if (f === 'der') {
      res.type('application/pkix-cert').attachment(`${name}.cer`).send(new X509Certificate(cert.pem).raw);
      return;
    }
    let body = cert.pem;
    if (f === 'chain') {
      const { issuing, root } = await ca.caCertificates();
      body = `${cert.pem.trim()}\n${issuing.trim()}\n${root.trim()}\n`;
    }
    res.type('application/x-pem-file').attachment(`${name}${f === 'chain' ? '-chain' : ''}.pem`).send(body);
  });

  return r;
}
