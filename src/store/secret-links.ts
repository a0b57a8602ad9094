/**
 * One-time secrets for one person: a PKCS#12 password with its file, ACME EAB credentials, a
 * SCEP challenge. The payload is sealed with the master key and opened exactly once, by its
 * owner, before it expires; then it is erased. The second use, or a use after expiry, is GONE.
 *
 * A link has a non-secret id, and that id is all that goes into process variables or job
 * effects (issue 17.7): it opens nothing by itself. Its owner — the person the secret is for —
 * reaches it signed in (src/api/secret-link-routes.ts); anyone else is told it does not exist.
 * Who opened it, when and from where is kept (issue 17.10).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { GoneError, NotFoundError } from '../domain/errors';
import { recordAudit } from './audit';
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
  /** The link's id: not a secret, safe in a process variable. */
  id: string;
  expiresAt: Date;
}

const newLink = z
  .object({
    kind: z.enum(SECRET_KINDS),
    subjectRef: text(200),
    /** The one user who may open it (signed in). */
    owner: text(100),
    ttlMinutes: z.number().int().min(1).max(7 * 24 * 60),
    payload: z.record(z.string(), z.unknown()),
  })
  .strict();
export type NewSecretLink = z.input<typeof newLink>;

/** A secret link's id (a UUID). */
export const linkId = z.string().uuid('not a secret link id');
const redeemer = z.object({ username: text(100), from: z.string().trim().min(1).max(100) }).strict();

/** Who opens a link, and from where (the client address as the API saw it). */
export type Redeemer = z.input<typeof redeemer>;

/**
 * The sealing context binds a payload to its link. Links made before issue 17.7 were sealed
 * under their token's hash, which is kept for that alone.
 */
const context = (kind: string, id: string, legacyTokenHash: string | null): string => `secret-link:${kind}:${legacyTokenHash ?? id}`;

export async function createSecretLink(q: Queryable, sealer: Sealer, input: NewSecretLink): Promise<CreatedSecretLink> {
  const l = parseInput(newLink, input, 'secret link');
  const id = crypto.randomUUID();
  const expiresAt = new Date(Date.now() + l.ttlMinutes * 60_000);
  const sealed = sealer.seal(Buffer.from(JSON.stringify(l.payload)), context(l.kind, id, null));
  await q.query(
    `INSERT INTO secret_links (id, kind, subject_ref, payload, owner, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, l.kind, l.subjectRef, sealed, l.owner, expiresAt],
  );
  return { id, expiresAt };
}

export type SecretLinkState = 'waiting' | 'used' | 'expired';

/** What a link is — never the secret. */
export interface SecretLinkInfo {
  id: string;
  kind: SecretKind;
  subjectRef: string;
  owner: string;
  createdAt: Date;
  expiresAt: Date;
  state: SecretLinkState;
  usedAt: Date | null;
  redeemedBy: string | null;
  redeemedFrom: string | null;
}

const INFO = `id, kind, subject_ref AS "subjectRef", owner, created_at AS "createdAt", expires_at AS "expiresAt",
  CASE WHEN used_at IS NOT NULL THEN 'used' WHEN payload IS NULL OR expires_at <= now() THEN 'expired' ELSE 'waiting' END AS state,
  used_at AS "usedAt", redeemed_by AS "redeemedBy", redeemed_from AS "redeemedFrom"`;

/**
 * The link, for its owner. Looking changes nothing (issue 17.8).
 * @throws NotFoundError when there is no such link or it is someone else's (which is not told)
 */
export async function describeSecretLink(q: Queryable, rawId: string, owner: string): Promise<SecretLinkInfo> {
  const id = parseInput(linkId, rawId, 'secret link id');
  const { rows } = await q.query<SecretLinkInfo>(`SELECT ${INFO} FROM secret_links WHERE id = $1 AND owner = $2`, [id, owner]);
  if (!rows[0]) throw new NotFoundError('secret link', id);
  return rows[0];
}

/** The owner's links, newest first (at most 100). */
export async function listSecretLinks(q: Queryable, owner: string): Promise<SecretLinkInfo[]> {
  return (await q.query<SecretLinkInfo>(`SELECT ${INFO} FROM secret_links WHERE owner = $1 ORDER BY created_at DESC LIMIT 100`, [owner])).rows;
}

export interface OpenedSecret {
  id: string;
  kind: SecretKind;
  subjectRef: string;
  payload: Record<string, unknown>;
}

/**
 * Opens the link once, for its owner: returns its payload and erases it in the same
 * transaction, recording who opened it and from where — on the link, and in the history of
 * the certificate it belongs to.
 * @throws NotFoundError when there is no such link or it is someone else's; GoneError when used or expired.
 */
export async function redeemSecretLink(q: Queryable, sealer: Sealer, rawId: string, by: Redeemer): Promise<OpenedSecret> {
  const id = parseInput(linkId, rawId, 'secret link id');
  const who = parseInput(redeemer, by, 'redeemer');
  // The erase of an expired payload must commit, so the refusal is thrown after the transaction.
  const opened = await atomically(q, async (tx) => {
    const { rows } = await tx.query<{ kind: SecretKind; subject_ref: string; payload: Buffer | null; expired: boolean; used_at: Date | null; legacy_token_hash: string | null }>(
      `SELECT kind, subject_ref, payload, expires_at <= now() AS expired, used_at, legacy_token_hash
         FROM secret_links WHERE id = $1 AND owner = $2 FOR UPDATE`,
      [id, who.username],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('secret link', id);
    if (row.used_at) return 'used' as const;
    if (row.expired || row.payload === null) {
      await tx.query('UPDATE secret_links SET payload = NULL WHERE id = $1', [id]);
      return 'expired' as const;
    }
    await tx.query('UPDATE secret_links SET payload = NULL, used_at = now(), redeemed_by = $2, redeemed_from = $3 WHERE id = $1', [id, who.username, who.from]);
    await recordInSubjectHistory(tx, row.subject_ref, row.kind, id, who);
    const payload = JSON.parse(sealer.open(row.payload, context(row.kind, id, row.legacy_token_hash)).toString('utf8')) as Record<string, unknown>;
    return { id, kind: row.kind, subjectRef: row.subject_ref, payload };
  });
  if (opened === 'used') throw new GoneError('this one-time secret was already shown; it is gone');
  if (opened === 'expired') throw new GoneError('this one-time secret has expired; it is gone');
  return opened;
}

const HANDED_OUT: Record<SecretKind, string> = {
  pkcs12: 'PKCS#12 password and file',
  'acme-eab': 'ACME EAB credentials',
  'scep-challenge': 'SCEP challenge password',
};

/** An audit row on the certificate a secret belongs to: its state stays, the hand-out is recorded. */
async function recordInSubjectHistory(tx: Queryable, subjectRef: string, kind: SecretKind, linkId: string, who: z.output<typeof redeemer>): Promise<void> {
  const m = /^certificate:(\d+)$/.exec(subjectRef);
  if (!m) return;
  const { rows } = await tx.query<{ state: string }>('SELECT state FROM certificates WHERE id = $1', [m[1]]);
  if (!rows[0]) return;
  await recordAudit(tx, {
    objectType: 'certificate',
    objectId: m[1]!,
    fromState: rows[0].state,
    toState: rows[0].state,
    actor: who.username,
    reason: `${HANDED_OUT[kind]} handed out once (secret link ${linkId}) to ${who.username} from ${who.from}`,
  });
}

/**
 * Withdraws the links of a subject not opened yet (its request was deleted, issue 18.3): each
 * payload is erased and the link expires now, so it opens nothing and shows as expired. Links
 * already opened keep their record. Returns how many were withdrawn.
 */
export async function withdrawSecretLinks(q: Queryable, subjectRef: string): Promise<number> {
  const ref = parseInput(text(200), subjectRef, 'subject');
  const r = await q.query(
    'UPDATE secret_links SET payload = NULL, expires_at = LEAST(expires_at, now()) WHERE subject_ref = $1 AND used_at IS NULL AND payload IS NOT NULL',
    [ref],
  );
  return r.rowCount ?? 0;
}

/** Housekeeping: erases the payloads of expired links; returns how many. */
export async function purgeExpiredSecretLinks(q: Queryable): Promise<number> {
  const r = await q.query('UPDATE secret_links SET payload = NULL WHERE payload IS NOT NULL AND expires_at <= now()');
  return r.rowCount ?? 0;
}
