/**
 * The ACME server (RFC 8555, issue 12.1), one per ACME certificate profile, under
 * /acme/<profile id>/: directory, nonces, accounts (External Account Binding required),
 * orders, authorizations, http-01 challenges, finalize, certificate download, revocation.
 *
 * An account is bound to the registration (ca_acme_bindings) whose EAB created it, and through
 * it to the registration's asset and DNS names: an order may name only those. A deregistered
 * registration's accounts are refused from then on.
 */
import crypto from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { calculateJwkThumbprint, type FlattenedJWSInput, type JWK } from 'jose';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { getAsset } from '../store/assets';
import { getProfile, type CertificateProfile } from '../store/profiles';
import { validateHttp01, type Http01Target } from './http01';
import { assetIdOf, finalizeOrder, revokeOrderCertificate } from './issue';
import { asFlattenedJws, protectedHeaderOf, verifyExternalAccountBinding, verifyWithAccountKey, verifyWithEmbeddedKey, type VerifiedJws } from './jws';
import { AcmeProblem } from './problems';
import * as store from './store';

/** A registration as the ACME server sees it (src/ca/acme.ts lookupAcmeBinding). */
export interface AcmeBinding {
  registrationId: string;
  assetRef: string;
  profileId: string;
  dnsNames: string[];
  hmacKey: Buffer;
}

export interface AcmeDeps {
  pool: Pool;
  ca: CaConnector;
  /** The registration of an EAB key id; undefined when unknown or deregistered. */
  bindings: (keyId: string) => Promise<AcmeBinding | undefined>;
  /** Where http-01 validation connects (ACME_HTTP01_PORT, ACME_HTTP01_HOST). */
  http01: Http01Target;
  /** How long an order and its authorizations stay usable. Default 7 days. */
  orderTtlMs?: number;
  now?: () => Date;
}

interface Ctx {
  profile: CertificateProfile;
  /** https://host/acme/<profile> */
  base: string;
}

export function acmeRoutes(deps: AcmeDeps): Router {
  const { pool } = deps;
  const now = deps.now ?? (() => new Date());
  const orderTtlMs = deps.orderTtlMs ?? 7 * 86_400_000;
  const r = Router();
  r.use(express.json({ type: ['application/jose+json', 'application/json'], limit: '64kb' }));

  async function ctxOf(req: Request): Promise<Ctx> {
    const raw = String(req.params.profile);
    const id = /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
    const profile = id ? await getProfile(pool, id).catch(() => undefined) : undefined;
    if (!profile || profile.protocol !== 'ACME') throw new AcmeProblem('malformed', `There is no ACME certificate profile ${raw}.`, 404);
    if (profile.state !== 'Active') throw new AcmeProblem('unauthorized', `The certificate profile ${profile.name} is '${profile.state}'.`);
    return { profile, base: `${req.protocol}://${req.get('host')}/acme/${profile.id}` };
  }

  /** Every answer carries a fresh nonce and the directory link (RFC 8555 6.5, 7.1). */
  async function headers(res: Response, ctx?: Ctx): Promise<void> {
    res.set('Replay-Nonce', await store.newNonce(pool, now()));
    res.set('Cache-Control', 'no-store');
    if (ctx) res.append('Link', `<${ctx.base}/directory>;rel="index"`);
  }

  /** Checks url and nonce of a request's JWS (before its signature: the cheap refusals first). */
  async function checkHeader(req: Request, ctx: Ctx): Promise<{ jws: FlattenedJWSInput; header: ReturnType<typeof protectedHeaderOf> }> {
    const jws = asFlattenedJws(req.body);
    const header = protectedHeaderOf(jws);
    const url = `${req.protocol}://${req.get('host')}${req.originalUrl}`;
    if (header.url !== url) throw new AcmeProblem('unauthorized', `The JWS "url" must be the URL the request was sent to (${url}).`);
    if (!header.nonce || !(await store.consumeNonce(pool, header.nonce, now()))) {
      throw new AcmeProblem('badNonce', 'The nonce is unknown, used or expired; get a fresh one.');
    }
    return { jws, header };
  }

  /** A request signed by an account (kid), whose registration is still Registered. */
  async function authenticate(req: Request, ctx: Ctx): Promise<VerifiedJws & { account: store.AcmeAccount; binding: AcmeBinding }> {
    const { jws, header } = await checkHeader(req, ctx);
    if (!header.kid) throw new AcmeProblem('malformed', 'This request must be signed by an account key named by "kid".');
    const prefix = `${ctx.base}/acct/`;
    const account = header.kid.startsWith(prefix) ? await store.accountById(pool, header.kid.slice(prefix.length)) : undefined;
    if (!account || account.profileId !== String(ctx.profile.id)) throw new AcmeProblem('accountDoesNotExist', 'No such account on this ACME server.');
    const verified = await verifyWithAccountKey(jws, header, account.jwk);
    if (account.status !== 'valid') throw new AcmeProblem('unauthorized', `The account is ${account.status}.`);
    const binding = await deps.bindings(account.eabKeyId);
    if (!binding || binding.registrationId !== account.bindingId) {
      throw new AcmeProblem('unauthorized', 'The ACME registration of this account was deregistered; its accounts are refused.');
    }
    return { ...verified, account, binding };
  }

  const accountJson = (ctx: Ctx, a: store.AcmeAccount) => ({
    status: a.status,
    contact: a.contact,
    orders: `${ctx.base}/orders/${a.id}`,
  });

  async function orderJson(ctx: Ctx, o: store.AcmeOrder) {
    const authzs = await store.authorizationsOf(pool, o.id);
    return {
      status: o.status,
      expires: o.expiresAt.toISOString(),
      identifiers: o.identifiers.map((value) => ({ type: 'dns', value })),
      authorizations: authzs.map((a) => `${ctx.base}/authz/${a.id}`),
      finalize: `${ctx.base}/finalize/${o.id}`,
      ...(o.status === 'valid' ? { certificate: `${ctx.base}/cert/${o.id}` } : {}),
      ...(o.error ? { error: o.error } : {}),
    };
  }

  function challengeJson(ctx: Ctx, a: store.AcmeAuthorization) {
    return {
      type: 'http-01',
      url: `${ctx.base}/chall/${a.id}`,
      token: a.challengeToken,
      status: a.challengeStatus,
      ...(a.validatedAt ? { validated: a.validatedAt.toISOString() } : {}),
      ...(a.error ? { error: a.error } : {}),
    };
  }

  const authzJson = (ctx: Ctx, a: store.AcmeAuthorization) => ({
    status: a.status,
    expires: a.expiresAt.toISOString(),
    identifier: { type: 'dns', value: a.identifier },
    challenges: [challengeJson(ctx, a)],
  });

  /** The order, if it belongs to the account; else 404 (no hint that it exists). */
  async function ownOrder(id: string, account: store.AcmeAccount): Promise<store.AcmeOrder> {
    const order = await store.orderById(pool, id);
    if (!order || order.accountId !== account.id) throw new AcmeProblem('malformed', 'No such order.', 404);
    return order;
  }

  r.get('/:profile/directory', async (req, res) => {
    const ctx = await ctxOf(req);
    res.set('Cache-Control', 'no-store');
    res.json({
      newNonce: `${ctx.base}/new-nonce`,
      newAccount: `${ctx.base}/new-account`,
      newOrder: `${ctx.base}/new-order`,
      revokeCert: `${ctx.base}/revoke-cert`,
      meta: { externalAccountRequired: true, website: ctx.base.replace(/\/acme\/\d+$/, '/console') },
    });
  });

  r.head('/:profile/new-nonce', async (req, res) => {
    const ctx = await ctxOf(req);
    await headers(res, ctx);
    res.status(200).end();
  });
  r.get('/:profile/new-nonce', async (req, res) => {
    const ctx = await ctxOf(req);
    await headers(res, ctx);
    res.status(204).end();
  });

  r.post('/:profile/new-account', async (req, res) => {
    const ctx = await ctxOf(req);
    const { jws, header } = await checkHeader(req, ctx);
    if (!header.jwk) throw new AcmeProblem('malformed', 'A new account is signed by its key, given as "jwk".');
    const { payload } = await verifyWithEmbeddedKey(jws, header);
    const p = (payload ?? {}) as { contact?: unknown; onlyReturnExisting?: unknown; termsOfServiceAgreed?: unknown; externalAccountBinding?: unknown };
    const thumbprint = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
    const existing = await store.accountByThumbprint(pool, String(ctx.profile.id), thumbprint);
    if (existing) {
      await headers(res, ctx);
      res.set('Location', `${ctx.base}/acct/${existing.id}`).status(200).json(accountJson(ctx, existing));
      return;
    }
    if (p.onlyReturnExisting === true) throw new AcmeProblem('accountDoesNotExist', 'No account exists for this key.');
    if (p.externalAccountBinding === undefined) {
      throw new AcmeProblem('externalAccountRequired', 'This ACME server requires an External Account Binding: the key id and HMAC key of an ACME registration.');
    }
    let binding: AcmeBinding | undefined;
    const keyId = await verifyExternalAccountBinding(p.externalAccountBinding, {
      url: `${ctx.base}/new-account`,
      accountJwk: header.jwk,
      hmacKeyOf: async (keyId) => {
        binding = await deps.bindings(keyId);
        return binding && binding.profileId === String(ctx.profile.id) ? binding.hmacKey : undefined;
      },
    });
    const contact = Array.isArray(p.contact) ? p.contact.filter((c): c is string => typeof c === 'string').slice(0, 10) : [];
    const { kty, crv, x, y, n, e } = header.jwk;
    const account = await store.createAccount(pool, {
      profileId: String(ctx.profile.id),
      bindingId: binding!.registrationId,
      eabKeyId: keyId,
      jwk: Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK,
      jwkThumbprint: thumbprint,
      contact,
    });
    await headers(res, ctx);
    res.set('Location', `${ctx.base}/acct/${account.id}`).status(201).json(accountJson(ctx, account));
  });

  r.post('/:profile/acct/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account, payload } = await authenticate(req, ctx);
    if (account.id !== String(req.params.id)) throw new AcmeProblem('unauthorized', 'An account can only be changed with its own key.');
    const p = (payload ?? {}) as { contact?: unknown; status?: unknown };
    if (p.status === 'deactivated') await store.updateAccount(pool, account.id, { status: 'deactivated' });
    if (Array.isArray(p.contact)) await store.updateAccount(pool, account.id, { contact: p.contact.filter((c): c is string => typeof c === 'string').slice(0, 10) });
    await headers(res, ctx);
    res.json(accountJson(ctx, (await store.accountById(pool, account.id))!));
  });

  r.post('/:profile/orders/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account } = await authenticate(req, ctx);
    if (account.id !== String(req.params.id)) throw new AcmeProblem('unauthorized', 'Only the account itself lists its orders.');
    const orders = await store.ordersOf(pool, account.id);
    await headers(res, ctx);
    res.json({ orders: orders.filter((o) => o.status !== 'invalid').map((o) => `${ctx.base}/order/${o.id}`) });
  });

  r.post('/:profile/new-order', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account, binding, payload } = await authenticate(req, ctx);
    const ids = (payload as { identifiers?: unknown } | undefined)?.identifiers;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) throw new AcmeProblem('malformed', 'An order names 1 to 100 identifiers.');
    const names: string[] = [];
    for (const id of ids as { type?: unknown; value?: unknown }[]) {
      if (id?.type !== 'dns' || typeof id.value !== 'string') throw new AcmeProblem('unsupportedIdentifier', 'Only identifiers of type "dns" are issued.');
      const name = id.value.trim().toLowerCase().replace(/\.$/, '');
      if (!binding.dnsNames.includes(name)) {
        throw new AcmeProblem('rejectedIdentifier', `${id.value} is not a DNS name of this registration's asset (registered: ${binding.dnsNames.join(', ')}).`);
      }
      if (!names.includes(name)) names.push(name);
    }
    const assetId = assetIdOf(binding.assetRef);
    if (assetId && (await getAsset(pool, assetId)).state !== 'Active') throw new AcmeProblem('unauthorized', 'The registration\'s asset is not Active.');
    const order = await store.createOrder(pool, account.id, names, new Date(now().getTime() + orderTtlMs));
    await headers(res, ctx);
    res.set('Location', `${ctx.base}/order/${order.id}`).status(201).json(await orderJson(ctx, order));
  });

  r.post('/:profile/order/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account } = await authenticate(req, ctx);
    const order = await ownOrder(String(req.params.id), account);
    await headers(res, ctx);
    res.json(await orderJson(ctx, order));
  });

  async function ownAuthorization(id: string, account: store.AcmeAccount): Promise<{ authz: store.AcmeAuthorization; order: store.AcmeOrder }> {
    const authz = await store.authorizationById(pool, id);
    const order = authz && (await store.orderById(pool, authz.orderId));
    if (!authz || !order || order.accountId !== account.id) throw new AcmeProblem('malformed', 'No such authorization.', 404);
    return { authz, order };
  }

  r.post('/:profile/authz/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account, payload } = await authenticate(req, ctx);
    const { authz } = await ownAuthorization(String(req.params.id), account);
    if ((payload as { status?: unknown } | undefined)?.status === 'deactivated') await store.setAuthorization(pool, authz.id, { status: 'deactivated' });
    await headers(res, ctx);
    res.json(authzJson(ctx, (await store.authorizationById(pool, authz.id))!));
  });

  /** Responding to the challenge validates it at once: the client serves the token before it responds. */
  r.post('/:profile/chall/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account, payload } = await authenticate(req, ctx);
    let { authz, order } = await ownAuthorization(String(req.params.id), account);
    if (payload !== undefined && authz.status === 'pending' && authz.challengeStatus === 'pending') {
      const keyAuthorization = `${authz.challengeToken}.${await calculateJwkThumbprint(account.jwk, 'sha256')}`;
      try {
        await validateHttp01(deps.http01, authz.identifier, authz.challengeToken, keyAuthorization);
        await store.setAuthorization(pool, authz.id, { status: 'valid', challengeStatus: 'valid', validatedAt: now() });
      } catch (err) {
        if (!(err instanceof AcmeProblem)) throw err;
        await store.setAuthorization(pool, authz.id, { status: 'invalid', challengeStatus: 'invalid', error: err.toJSON() });
        await store.setOrder(pool, order.id, { status: 'invalid', error: err.toJSON() });
      }
      const all = await store.authorizationsOf(pool, order.id);
      if (all.every((a) => a.status === 'valid')) await store.setOrder(pool, order.id, { status: 'ready' });
      ({ authz, order } = await ownAuthorization(authz.id, account));
    }
    await headers(res, ctx);
    res.append('Link', `<${ctx.base}/authz/${authz.id}>;rel="up"`).json(challengeJson(ctx, authz));
  });

  r.post('/:profile/finalize/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account, binding, payload } = await authenticate(req, ctx);
    const order = await ownOrder(String(req.params.id), account);
    if (order.status !== 'ready') throw new AcmeProblem('orderNotReady', `The order is '${order.status}', not 'ready'.`);
    const csr = (payload as { csr?: unknown } | undefined)?.csr;
    if (typeof csr !== 'string' || !/^[A-Za-z0-9_-]+$/.test(csr)) throw new AcmeProblem('malformed', 'Finalize needs "csr": the CSR in DER, base64url-encoded.');
    const done = await finalizeOrder(deps, { account, order, profile: ctx.profile, assetRef: binding.assetRef, csr: Buffer.from(csr, 'base64url') });
    await headers(res, ctx);
    res.set('Location', `${ctx.base}/order/${done.id}`).json(await orderJson(ctx, done));
  });

  r.post('/:profile/cert/:id', async (req, res) => {
    const ctx = await ctxOf(req);
    const { account } = await authenticate(req, ctx);
    const order = await ownOrder(String(req.params.id), account);
    if (order.status !== 'valid' || !order.serial) throw new AcmeProblem('malformed', 'The order has no certificate (yet).', 404);
    const pem = (await pool.query<{ pem: string }>('SELECT pem FROM certificates WHERE id = $1', [order.certificateId])).rows[0]!.pem;
    const { issuing } = await deps.ca.caCertificates();
    await headers(res, ctx);
    res.type('application/pem-certificate-chain').send(`${pem.trim()}\n${issuing.trim()}\n`);
  });

  /** Revocation by the account that ordered the certificate, or signed by the certificate's own key. */
  r.post('/:profile/revoke-cert', async (req, res) => {
    const ctx = await ctxOf(req);
    let verified: VerifiedJws;
    let actor: string;
    let accountId: string | undefined;
    const peek = protectedHeaderOf(asFlattenedJws(req.body));
    if (peek.jwk) {
      const { jws, header } = await checkHeader(req, ctx);
      verified = await verifyWithEmbeddedKey(jws, header);
      actor = 'acme-certificate-key';
    } else {
      const a = await authenticate(req, ctx);
      verified = a;
      actor = `acme-account:${a.account.id}`;
      accountId = a.account.id;
    }
    const p = (verified.payload ?? {}) as { certificate?: unknown; reason?: unknown };
    if (typeof p.certificate !== 'string') throw new AcmeProblem('malformed', 'Revocation needs "certificate": the certificate in DER, base64url-encoded.');
    let x509: crypto.X509Certificate;
    try {
      x509 = new crypto.X509Certificate(Buffer.from(p.certificate, 'base64url'));
    } catch {
      throw new AcmeProblem('malformed', 'The certificate to revoke is not a DER certificate.');
    }
    const serial = x509.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
    const order = (await pool.query<{ id: string }>("SELECT id FROM acme_orders WHERE ltrim(serial, '0') = $1", [serial])).rows[0];
    const found = order && (await store.orderById(pool, order.id));
    const stored = found && (await pool.query<{ pem: string }>('SELECT pem FROM certificates WHERE id = $1', [found.certificateId])).rows[0];
    if (!found || !stored || !new crypto.X509Certificate(stored.pem).raw.equals(x509.raw)) {
      throw new AcmeProblem('unauthorized', 'This server did not issue that certificate over ACME.', 404);
    }
    if (accountId ? found.accountId !== accountId : !crypto.createPublicKey({ key: verified.header.jwk!, format: 'jwk' }).equals(x509.publicKey)) {
      throw new AcmeProblem('unauthorized', 'Only the account that ordered the certificate, or its own key, may revoke it.');
    }
    const reasonCode = p.reason === undefined ? 0 : Number(p.reason);
    await revokeOrderCertificate(deps, { order: found, reasonCode, actor });
    await headers(res, ctx);
    res.status(200).end();
  });

  r.use(() => {
    throw new AcmeProblem('malformed', 'No such ACME resource.', 404);
  });

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const problem = err instanceof AcmeProblem ? err : undefined;
      if (!problem) return next(err);
      await headers(res).catch(() => undefined);
      res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON()));
    })();
  });

  return r;
}

