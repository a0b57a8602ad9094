/**
 * The ACME server's state in PostgreSQL (migration 060_acme.sql): nonces, accounts, orders and
 * authorizations. Repositories take anything that runs a query, so they join a transaction.
 */
import crypto from 'node:crypto';
import type { JWK } from 'jose';
import type { Queryable } from '../store/db';

export interface AcmeAccount {
  id: string;
  profileId: string;
  bindingId: string;
  eabKeyId: string;
  jwk: JWK;
  jwkThumbprint: string;
  contact: string[];
  status: 'valid' | 'deactivated' | 'revoked';
}

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';

export interface AcmeOrder {
  id: string;
  accountId: string;
  status: OrderStatus;
  identifiers: string[];
  expiresAt: Date;
  error: unknown;
  certificateId: number | null;
  serial: string | null;
}

export interface AcmeAuthorization {
  id: string;
  orderId: string;
  identifier: string;
  status: 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
  expiresAt: Date;
  challengeToken: string;
  challengeStatus: 'pending' | 'processing' | 'valid' | 'invalid';
  validatedAt: Date | null;
  error: unknown;
}

const ACCOUNT = `id, profile_id AS "profileId", binding_id AS "bindingId", eab_key_id AS "eabKeyId", jwk,
  jwk_thumbprint AS "jwkThumbprint", contact, status`;
const ORDER = `id, account_id AS "accountId", status, identifiers, expires_at AS "expiresAt", error,
  certificate_id::integer AS "certificateId", serial`;
const AUTHZ = `id, order_id AS "orderId", identifier, status, expires_at AS "expiresAt", challenge_token AS "challengeToken",
  challenge_status AS "challengeStatus", validated_at AS "validatedAt", error`;

/** How long a nonce may wait for its one use. */
const NONCE_TTL_MS = 60 * 60_000;

export async function newNonce(q: Queryable, now: Date): Promise<string> {
  const nonce = crypto.randomBytes(16).toString('base64url');
  await q.query('INSERT INTO acme_nonces (nonce, expires_at) VALUES ($1, $2)', [nonce, new Date(now.getTime() + NONCE_TTL_MS)]);
  // Housekeeping on the way: nonces nobody used are gone once they expire.
  await q.query('DELETE FROM acme_nonces WHERE expires_at <= $1', [now]);
  return nonce;
}

/** Uses up a nonce; false when it is unknown, used or expired. */
export async function consumeNonce(q: Queryable, nonce: string, now: Date): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM acme_nonces WHERE nonce = $1 AND expires_at > $2', [nonce, now]);
  return rowCount === 1;
}

export async function accountByThumbprint(q: Queryable, profileId: string, thumbprint: string): Promise<AcmeAccount | undefined> {
  return (await q.query<AcmeAccount>(`SELECT ${ACCOUNT} FROM acme_accounts WHERE profile_id = $1 AND jwk_thumbprint = $2`, [profileId, thumbprint])).rows[0];
}

export async function accountById(q: Queryable, id: string): Promise<AcmeAccount | undefined> {
  if (!UUID.test(id)) return undefined;
  return (await q.query<AcmeAccount>(`SELECT ${ACCOUNT} FROM acme_accounts WHERE id = $1`, [id])).rows[0];
}

export async function createAccount(q: Queryable, a: Omit<AcmeAccount, 'id' | 'status'>): Promise<AcmeAccount> {
  const { rows } = await q.query<AcmeAccount>(
    `INSERT INTO acme_accounts (id, profile_id, binding_id, eab_key_id, jwk, jwk_thumbprint, contact, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid')
     ON CONFLICT (profile_id, jwk_thumbprint) DO NOTHING RETURNING ${ACCOUNT}`,
    [crypto.randomUUID(), a.profileId, a.bindingId, a.eabKeyId, JSON.stringify(a.jwk), a.jwkThumbprint, a.contact],
  );
  return rows[0] ?? (await accountByThumbprint(q, a.profileId, a.jwkThumbprint))!;
}

export async function updateAccount(q: Queryable, id: string, change: { contact?: string[]; status?: 'deactivated' }): Promise<void> {
  if (change.contact) await q.query('UPDATE acme_accounts SET contact = $2 WHERE id = $1', [id, change.contact]);
  if (change.status) await q.query('UPDATE acme_accounts SET status = $2 WHERE id = $1', [id, change.status]);
}

/** Creates an order with one pending authorization (and http-01 challenge) per identifier. */
export async function createOrder(q: Queryable, accountId: string, identifiers: string[], expiresAt: Date): Promise<AcmeOrder> {
  const id = crypto.randomUUID();
  await q.query("INSERT INTO acme_orders (id, account_id, status, identifiers, expires_at) VALUES ($1, $2, 'pending', $3, $4)", [
    id, accountId, identifiers, expiresAt,
  ]);
  for (const identifier of identifiers) {
    await q.query(
      `INSERT INTO acme_authorizations (id, order_id, identifier, status, expires_at, challenge_token, challenge_status)
       VALUES ($1, $2, $3, 'pending', $4, $5, 'pending')`,
      [crypto.randomUUID(), id, identifier, expiresAt, crypto.randomBytes(32).toString('base64url')],
    );
  }
  return (await orderById(q, id))!;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function orderById(q: Queryable, id: string, forUpdate = false): Promise<AcmeOrder | undefined> {
  if (!UUID.test(id)) return undefined;
  return (await q.query<AcmeOrder>(`SELECT ${ORDER} FROM acme_orders WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id])).rows[0];
}

export async function orderBySerial(q: Queryable, serial: string): Promise<AcmeOrder | undefined> {
  return (await q.query<AcmeOrder>(`SELECT ${ORDER} FROM acme_orders WHERE serial = $1`, [serial])).rows[0];
}

export async function ordersOf(q: Queryable, accountId: string): Promise<AcmeOrder[]> {
  return (await q.query<AcmeOrder>(`SELECT ${ORDER} FROM acme_orders WHERE account_id = $1 ORDER BY created_at`, [accountId])).rows;
}

export async function setOrder(q: Queryable, id: string, change: { status: OrderStatus; error?: unknown; certificateId?: number; serial?: string }): Promise<void> {
  await q.query(
    'UPDATE acme_orders SET status = $2, error = COALESCE($3, error), certificate_id = COALESCE($4, certificate_id), serial = COALESCE($5, serial) WHERE id = $1',
    [id, change.status, change.error === undefined ? null : JSON.stringify(change.error), change.certificateId ?? null, change.serial ?? null],
  );
}

export async function authorizationsOf(q: Queryable, orderId: string): Promise<AcmeAuthorization[]> {
  return (await q.query<AcmeAuthorization>(`SELECT ${AUTHZ} FROM acme_authorizations WHERE order_id = $1 ORDER BY identifier`, [orderId])).rows;
}

export async function authorizationById(q: Queryable, id: string, forUpdate = false): Promise<AcmeAuthorization | undefined> {
  if (!UUID.test(id)) return undefined;
  return (await q.query<AcmeAuthorization>(`SELECT ${AUTHZ} FROM acme_authorizations WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id])).rows[0];
}

export async function setAuthorization(
  q: Queryable,
  id: string,
  change: { status: AcmeAuthorization['status']; challengeStatus?: AcmeAuthorization['challengeStatus']; validatedAt?: Date; error?: unknown },
): Promise<void> {
  await q.query(
    `UPDATE acme_authorizations SET status = $2, challenge_status = COALESCE($3, challenge_status),
            validated_at = COALESCE($4, validated_at), error = COALESCE($5, error) WHERE id = $1`,
    [id, change.status, change.challengeStatus ?? null, change.validatedAt ?? null, change.error === undefined ? null : JSON.stringify(change.error)],
  );
}
