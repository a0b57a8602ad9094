/**
 * Certificate objects (spec 000): the store's view of a certificate — state, serial, subject,
 * DNS names, validity and PEM, linked to asset, profile and card. Never a private key.
 */
import { z } from 'zod';
import { NotFoundError } from '../domain/errors';
import { certificateMachine, type CertificateState } from '../domain/states';
import { assertInitial } from '../domain/transitions';
import { atomically, type Queryable } from './db';
import { searchTable } from './search';
import { applyTransition, lockForTransition, recordCreation } from './transition';
import { recordAudit } from './audit';
import { dnsName, objectId, parseInput, text, transitionContext, type Page, type SearchParams, type TransitionContext } from './validate';

export interface Certificate {
  id: number;
  state: CertificateState;
  profileId: number;
  assetId: number | null;
  cardId: number | null;
  subject: string;
  dnsNames: string[];
  serial: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  pem: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = `id, state, profile_id AS "profileId", asset_id AS "assetId", card_id AS "cardId", subject,
  dns_names AS "dnsNames", serial, not_before AS "notBefore", not_after AS "notAfter", pem,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

const certificatePem = z
  .string()
  .max(20000)
  .regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, 'must be a PEM certificate')
  .refine((s) => !s.includes('PRIVATE KEY'), 'must not contain a private key');

const issuedData = {
  subject: text(1000).optional(),
  dnsNames: z.array(dnsName).max(100).optional(),
  serial: z.string().regex(/^[0-9a-f]{1,40}$/, 'must be a lower-case hex serial').optional(),
  notBefore: z.coerce.date().optional(),
  notAfter: z.coerce.date().optional(),
  pem: certificatePem.optional(),
};

export const newCertificate = z
  .object({
    state: z.string(),
    profileId: objectId,
    assetId: objectId.optional(),
    cardId: objectId.optional(),
    ...issuedData,
    subject: text(1000),
  })
  .strict();
export type NewCertificate = z.input<typeof newCertificate>;

/** What issuance adds to a certificate object along with its new state. */
export const certificateUpdate = z.object(issuedData).strict();
export type CertificateUpdate = z.input<typeof certificateUpdate>;

const COLUMNS: Record<keyof z.output<typeof certificateUpdate>, string> = {
  subject: 'subject',
  dnsNames: 'dns_names',
  serial: 'serial',
  notBefore: 'not_before',
  notAfter: 'not_after',
  pem: 'pem',
};

export async function createCertificate(q: Queryable, input: NewCertificate, ctx: TransitionContext): Promise<Certificate> {
  const c = parseInput(newCertificate, input, 'certificate');
  const state = assertInitial(certificateMachine, c.state);
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO certificates (state, profile_id, asset_id, card_id, subject, dns_names, serial, not_before, not_after, pem)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [state, c.profileId, c.assetId ?? null, c.cardId ?? null, c.subject, c.dnsNames ?? [], c.serial ?? null,
        c.notBefore ?? null, c.notAfter ?? null, c.pem ?? null],
    );
    const id = rows[0]!.id;
    await recordCreation(tx, certificateMachine, id, state, ctx);
    return getCertificate(tx, id);
  });
}

export async function getCertificate(q: Queryable, id: number): Promise<Certificate> {
  const key = parseInput(objectId, id, 'certificate id');
  const { rows } = await q.query<Certificate>(`SELECT ${SELECT} FROM certificates WHERE id = $1`, [key]);
  if (!rows[0]) throw new NotFoundError('certificate', key);
  return rows[0];
}

export function searchCertificates(q: Queryable, params?: SearchParams): Promise<Page<Certificate>> {
  return searchTable<Certificate>(
    q,
    { table: 'certificates', select: SELECT, textColumns: ['subject', 'serial', 'dns_names[]'], machine: certificateMachine },
    params,
  );
}

export async function certificatesByAsset(q: Queryable, assetId: number): Promise<Certificate[]> {
  const key = parseInput(objectId, assetId, 'asset id');
  return (await q.query<Certificate>(`SELECT ${SELECT} FROM certificates WHERE asset_id = $1 ORDER BY id`, [key])).rows;
}

export async function certificatesByCard(q: Queryable, cardId: number): Promise<Certificate[]> {
  const key = parseInput(objectId, cardId, 'card id');
  return (await q.query<Certificate>(`SELECT ${SELECT} FROM certificates WHERE card_id = $1 ORDER BY id`, [key])).rows;
}

/** Locks the certificate object for a move to `to` that an effect at the CA will precede (see lockForTransition). */
export function lockCertificateFor(tx: Queryable, id: number, to: string): Promise<string> {
  return lockForTransition(tx, 'certificates', certificateMachine, parseInput(objectId, id, 'certificate id'), to);
}

/** Changes the certificate's state, with the data issuance produced (serial, PEM, validity). */
export async function transitionCertificate(
  q: Queryable,
  id: number,
  to: string,
  ctx: TransitionContext,
  update: CertificateUpdate = {},
): Promise<Certificate> {
  const u = parseInput(certificateUpdate, update, 'certificate update');
  const set = Object.fromEntries(
    Object.entries(u)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [COLUMNS[k as keyof typeof COLUMNS], v]),
  );
  return atomically(q, async (tx) => {
    await applyTransition(tx, { table: 'certificates', machine: certificateMachine, id: parseInput(objectId, id, 'certificate id'), to, ctx, set });
    return getCertificate(tx, id);
  });
}

/**
 * Relates a certificate object (and the request that carries it) to an asset chosen after the
 * start, e.g. in P12 enrollment's "search asset" step (spec 002). Not a state change, but a
 * change all the same: certificate, request and asset each get a history row with the actor
 * (issue 17.10).
 */
export async function relateToAsset(q: Queryable, certificateId: number, assetId: number, ctx: TransitionContext): Promise<Certificate> {
  const cert = parseInput(objectId, certificateId, 'certificate id');
  const asset = parseInput(objectId, assetId, 'asset id');
  const c = parseInput(transitionContext, ctx, 'transition context');
  return atomically(q, async (tx) => {
    const before = (await tx.query<{ state: string; asset_id: number | null }>('SELECT state, asset_id FROM certificates WHERE id = $1 FOR UPDATE', [cert])).rows[0];
    if (!before) throw new NotFoundError('certificate', cert);
    const assetState = (await tx.query<{ state: string }>('SELECT state FROM assets WHERE id = $1', [asset])).rows[0]?.state;
    if (assetState === undefined) throw new NotFoundError('asset', asset);
    if (before.asset_id === asset) return getCertificate(tx, cert);
    const was = before.asset_id === null ? 'none' : `asset ${before.asset_id}`;
    await tx.query('UPDATE certificates SET asset_id = $2, updated_at = now() WHERE id = $1', [cert, asset]);
    await recordAudit(tx, { objectType: 'certificate', objectId: cert, fromState: before.state, toState: before.state, ...c, reason: `related to asset ${asset} (was: ${was})` });
    const requests = await tx.query<{ id: number; state: string; asset_id: number | null }>(
      'UPDATE requests r SET asset_id = $2, updated_at = now() FROM requests old WHERE r.id = old.id AND r.certificate_id = $1 RETURNING r.id, r.state, old.asset_id',
      [cert, asset],
    );
    for (const r of requests.rows) {
      await recordAudit(tx, { objectType: 'request', objectId: r.id, fromState: r.state, toState: r.state, ...c, reason: `related to asset ${asset} (was: ${r.asset_id === null ? 'none' : `asset ${r.asset_id}`})` });
    }
    await recordAudit(tx, { objectType: 'asset', objectId: asset, fromState: assetState, toState: assetState, ...c, reason: `certificate ${cert} related` });
    return getCertificate(tx, cert);
  });
}
