/**
 * One-time secret links: a random token (returned once, stored only as its SHA-256) that
 * opens a sealed payload exactly once before it expires. The second use, or a use after
 * expiry, is GONE; the payload is erased either way.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { GoneError, NotFoundError } from '../domain/errors';
import { atomically, type Queryable } from './db';
import { parseInput, text } from './validate';

export const SECRET_KINDS = ['pkcs12', 'acme-eab', 'scep-challenge'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** Seals and opens payloads at rest (the CA's master key). */
export interface Sealer {
  seal(plain: Buffer, context: string): Buffer;
  open(sealed: Buffer, context: string): Buffer;
}

export interface CreatedSecretLink {
  /** Give this to the one person who may open it; it is not stored anywhere. */
  token: string;
  expiresAt: Date;
}

const newLink = z
  .object({
    kind: z.enum(SECRET_KINDS),
    subjectRef: text(200),
    createdBy: text(100),
    ttlMinutes: z.number().int().min(1).max(7 * 24 * 60),
    payload: z.record(z.string(), z.unknown()),
  })
  .strict();
export type NewSecretLink = z.input<typeof newLink>;

const token = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a secret link token');

const hashOf = (t: string): string => crypto.createHash('sha256').update(t).digest('hex');
const context = (kind: string, hash: string): string => `secret-link:${kind}:${hash}`;

export async function createSecretLink(q: Queryable, sealer: Sealer, input: NewSecretLink): Promise<CreatedSecretLink> {
  const l = parseInput(newLink, input, 'secret link');
  const t = crypto.randomBytes(32).toString('base64url');
  const hash = hashOf(t);
  const expiresAt = new Date(Date.now() + l.ttlMinutes * 60_000);
  const sealed = sealer.seal(Buffer.from(JSON.stringify(l.payload)), context(l.kind, hash));
  await q.query(
    `INSERT INTO secret_links (token_hash, kind, subject_ref, payload, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [hash, l.kind, l.subjectRef, sealed, l.createdBy, expiresAt],
  );
  return { token: t, expiresAt };
}

export interface OpenedSecret {
  kind: SecretKind;
  subjectRef: string;
  payload: Record<string, unknown>;
}

/**
 * Opens the link once: returns its payload and erases it in the same transaction.
 * @throws NotFoundError for a token that never existed; GoneError when used or expired.
 */
export async function consumeSecretLink(q: Queryable, sealer: Sealer, rawToken: string): Promise<OpenedSecret> {
  const t = parseInput(token, rawToken, 'secret link token');
  const hash = hashOf(t);
  // The erase of an expired payload must commit, so the refusal is thrown after the transaction.
  const opened = await atomically(q, async (tx) => {
    const { rows } = await tx.query<{ kind: SecretKind; subject_ref: string; payload: Buffer | null; expired: boolean; used_at: Date | null }>(
      `SELECT kind, subject_ref, payload, expires_at <= now() AS expired, used_at FROM secret_links WHERE token_hash = $1 FOR UPDATE`,
      [hash],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('secret link', 'with this token');
    if (row.used_at) return 'used' as const;
    if (row.expired || row.payload === null) {
      await tx.query('UPDATE secret_links SET payload = NULL WHERE token_hash = $1', [hash]);
      return 'expired' as const;
    }
    await tx.query('UPDATE secret_links SET payload = NULL, used_at = now() WHERE token_hash = $1', [hash]);
    const payload = JSON.parse(sealer.open(row.payload, context(row.kind, hash)).toString('utf8')) as Record<string, unknown>;
    return { kind: row.kind, subjectRef: row.subject_ref, payload };
  });
  if (opened === 'used') throw new GoneError('this one-time link was already used; the secret behind it is gone');
  if (opened === 'expired') throw new GoneError('this one-time link has expired; the secret behind it is gone');
  return opened;
}

/** Housekeeping: erases the payloads of expired links; returns how many. */
export async function purgeExpiredSecretLinks(q: Queryable): Promise<number> {
  const r = await q.query('UPDATE secret_links SET payload = NULL WHERE payload IS NOT NULL AND expires_at <= now()');
  return r.rowCount ?? 0;
}
