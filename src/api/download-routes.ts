/**
 * Downloads:
 *   GET /api/certificates/<id>/download?format=pem|der|chain — signed in: a certificate names its
 *     holder, and ids are sequential, so without sign-in anyone could list every holder (issue
 *     17.18). Public distribution is the CRL and the CA chain (app.ts).
 *   GET /api/secrets/<token> — public: a one-time link is its own (unguessable, single-use,
 *     expiring) capability (PKCS#12 with its password, ACME EAB credentials, SCEP challenge).
 */
import { X509Certificate } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { isCaError } from '../ca/errors';
import { GoneError, NotFoundError } from '../domain/errors';
import { getCertificate } from '../store/certificates';
import { withTransaction } from '../store/db';
import { consumeSecretLink, type Sealer } from '../store/secret-links';
import { objectId, parseInput } from '../store/validate';

export interface DownloadRouteDeps {
  pool: Pool;
  ca: CaConnector;
  sealer: Sealer;
}

const format = z.enum(['pem', 'der', 'chain']).default('pem');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A secret is shown once: nothing may keep a copy. */
function noStore(res: Response): Response {
  return res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Referrer-Policy': 'no-referrer' });
}

function secretPage(title: string, rows: Array<[string, string]>, download?: { fileName: string; base64: string }): string {
  const body = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`).join('');
  const link = download
    ? `<p><a download="${escapeHtml(download.fileName)}" href="data:application/x-pkcs12;base64,${download.base64}">Download ${escapeHtml(download.fileName)}</a></p>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif">
<h1>${escapeHtml(title)}</h1><p><strong>Shown once.</strong> Note it now: this page cannot be opened again.</p>
<table cellpadding="6">${body}</table>${link}</body></html>`;
}

/** Certificate downloads; mounted behind sign-in. */
export function certificateDownloadRoutes({ pool, ca }: Pick<DownloadRouteDeps, 'pool' | 'ca'>): Router {
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

/** One-time secret links. */
export function downloadRoutes({ pool, ca, sealer }: DownloadRouteDeps): Router {
  const r = Router();

  r.get('/secrets/:token', async (req, res) => {
    noStore(res);
    // The link is used up only if the secret behind it is really handed out: one transaction,
    // which the CA joins (a second connection while holding this one could deadlock the pool).
    const shown = await withTransaction(pool, async (tx) => {
      const opened = await consumeSecretLink(tx, sealer, String(req.params.token));
      if (opened.kind !== 'pkcs12') return { opened };
      try {
        return { opened, p12: await ca.within(tx).downloadPkcs12(String(opened.payload.pkcs12Id)) };
      } catch (err) {
        if (isCaError(err)) throw new GoneError(`the PKCS#12 file is no longer available: ${err.message}`);
        throw err;
      }
    });
    const { opened, p12 } = shown;
    const json = req.accepts(['html', 'json']) === 'json';
    if (opened.kind === 'pkcs12' && p12) {
      const password = String(opened.payload.password);
      if (json) res.json({ kind: opened.kind, password, fileName: p12.fileName, pkcs12: p12.pkcs12.toString('base64') });
      else res.type('html').send(secretPage('PKCS#12 password', [['Password', password]], { fileName: p12.fileName, base64: p12.pkcs12.toString('base64') }));
      return;
    }
    const fields = Object.entries(opened.payload).filter(([k]) => k !== 'registrationId').map(([k, v]) => [k, String(v)] as [string, string]);
    if (json) res.json({ kind: opened.kind, ...Object.fromEntries(fields) });
    else res.type('html').send(secretPage(opened.kind === 'acme-eab' ? 'ACME External Account Binding' : 'SCEP challenge password', fields));
  });

  return r;
}
