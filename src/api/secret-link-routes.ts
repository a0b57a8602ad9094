/**
 * One-time secrets, for the signed-in person they are for (issue 17.7): a PKCS#12 password with
 * its file, ACME EAB credentials, a SCEP challenge. Process variables hold only the link's id;
 * its owner opens it here. Anyone else is told it does not exist.
 *
 *   GET  /api/secret-links            the caller's links (never a secret)
 *   GET  /api/secret-links/<id>       what the link is, and a button; looking never uses it up,
 *                                     nor does HEAD or a link preview (issue 17.8)
 *   POST /api/secret-links/<id>       hands the secret out, once; who and from where is recorded
 *                                     (issue 17.10); a second time answers 410
 */
import { Router, type Request, type Response } from 'express';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { isCaError } from '../ca/errors';
import { ForbiddenError, GoneError } from '../domain/errors';
import { withTransaction } from '../store/db';
import { describeSecretLink, listSecretLinks, redeemSecretLink, type Sealer, type SecretKind, type SecretLinkInfo } from '../store/secret-links';
import { callerOf } from './auth';

export interface SecretLinkRouteDeps {
  pool: Pool;
  ca: CaConnector;
  sealer: Sealer;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A secret is shown once: nothing may keep a copy, and its address goes nowhere. */
function noStore(res: Response): Response {
  return res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Referrer-Policy': 'no-referrer' });
}

const TITLE: Record<SecretKind, string> = {
  pkcs12: 'PKCS#12 password and file',
  'acme-eab': 'ACME External Account Binding',
  'scep-challenge': 'SCEP challenge password',
};
const ACTION: Record<SecretKind, string> = {
  pkcs12: 'Show the password and download the file',
  'acme-eab': 'Show the credentials',
  'scep-challenge': 'Show the challenge password',
};

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif">
<h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** The page behind the link: what it is, and a button. It shows no secret and uses nothing up. */
function linkPage(link: SecretLinkInfo): string {
  const facts = `<p>For <code>${escapeHtml(link.subjectRef)}</code>; expires ${escapeHtml(link.expiresAt.toISOString())}.</p>`;
  if (link.state === 'used') {
    const by = link.redeemedBy ? ` to ${escapeHtml(link.redeemedBy)}${link.redeemedFrom ? ` from ${escapeHtml(link.redeemedFrom)}` : ''}` : '';
    return page(TITLE[link.kind], `${facts}<p>It was shown on ${escapeHtml(link.usedAt!.toISOString())}${by}; it is gone.</p>`);
  }
  if (link.state === 'expired') return page(TITLE[link.kind], `${facts}<p>It has expired; it is gone.</p>`);
  return page(
    TITLE[link.kind],
    `${facts}<p>It is shown <strong>once</strong>: after you press the button, nobody can show it again. Note it then.</p>
<form method="post"><button type="submit">${escapeHtml(ACTION[link.kind])}</button></form>`,
  );
}

function secretPage(kind: SecretKind, rows: Array<[string, string]>, download?: { fileName: string; base64: string }): string {
  const body = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`).join('');
  const link = download
    ? `<p><a download="${escapeHtml(download.fileName)}" href="data:application/x-pkcs12;base64,${download.base64}">Download ${escapeHtml(download.fileName)}</a></p>`
    : '';
  return page(TITLE[kind], `<p><strong>Shown once.</strong> Note it now: it cannot be shown again.</p><table cellpadding="6">${body}</table>${link}`);
}

/**
 * A POST from another site's page would carry the browser's saved sign-in and use the secret up
 * (nobody there could read it, but its owner would lose it): only this site's own form, or a
 * client that is no browser page (no Origin, no Sec-Fetch-Site), may hand a secret out.
 */
function assertSameOrigin(req: Request): void {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const crossSite = (site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !sameHost(origin, req.get('host')));
  if (crossSite) throw new ForbiddenError('a one-time secret is handed out only from its own page');
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Mounted behind sign-in. */
export function secretLinkRoutes({ pool, ca, sealer }: SecretLinkRouteDeps): Router {
  const r = Router();

  r.get('/secret-links', async (req, res) => {
    noStore(res).json(await listSecretLinks(pool, callerOf(req).username));
  });

  // GET, and HEAD through it: read only.
  r.get('/secret-links/:id', async (req, res) => {
    noStore(res);
    const link = await describeSecretLink(pool, String(req.params.id), callerOf(req).username);
    if (req.accepts(['html', 'json']) === 'json') res.json(link);
    else res.type('html').send(linkPage(link));
  });

  r.post('/secret-links/:id', async (req, res) => {
    noStore(res);
    assertSameOrigin(req);
    const by = { username: callerOf(req).username, from: (req.ip ?? req.socket.remoteAddress ?? 'unknown').slice(0, 100) };
    // The link is used up only if the secret behind it is really handed out: one transaction,
    // which the CA joins (a second connection while holding this one could deadlock the pool).
    const { opened, p12 } = await withTransaction(pool, async (tx) => {
      const o = await redeemSecretLink(tx, sealer, String(req.params.id), by);
      if (o.kind !== 'pkcs12') return { opened: o, p12: undefined };
      try {
        return { opened: o, p12: await ca.within(tx).downloadPkcs12(String(o.payload.pkcs12Id)) };
      } catch (err) {
        if (isCaError(err)) throw new GoneError(`the PKCS#12 file is no longer available: ${err.message}`);
        throw err;
      }
    });
    const json = req.accepts(['html', 'json']) === 'json';
    if (opened.kind === 'pkcs12' && p12) {
      const password = String(opened.payload.password);
      if (json) res.json({ kind: opened.kind, password, fileName: p12.fileName, pkcs12: p12.pkcs12.toString('base64') });
      else res.type('html').send(secretPage(opened.kind, [['Password', password]], { fileName: p12.fileName, base64: p12.pkcs12.toString('base64') }));
      return;
    }
    const fields = Object.entries(opened.payload)
      .filter(([k]) => k !== 'registrationId')
      .map(([k, v]) => [k, String(v)] as [string, string]);
    if (json) res.json({ kind: opened.kind, ...Object.fromEntries(fields) });
    else res.type('html').send(secretPage(opened.kind, fields));
  });

  return r;
}
