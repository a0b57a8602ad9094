/** Workplace assets (spec 000): name, DNS names and the data that pre-fills requests. */
import { z } from 'zod';
import { DomainError, ErrorCode, NotFoundError } from '../domain/errors';
import { assetMachine, type AssetState } from '../domain/states';
import { assertInitial } from '../domain/transitions';
import { atomically, type Queryable } from './db';
import { searchTable } from './search';
import { applyTransition, recordCreation } from './transition';
import { dnsName, email, objectId, parseInput, text, type Page, type SearchParams, type TransitionContext } from './validate';

export interface Asset {
  id: number;
  name: string;
  description: string | null;
  dnsNames: string[];
  commonName: string | null;
  organization: string | null;
  organizationalUnit: string | null;
  locality: string | null;
  country: string | null;
  ownerEmail: string | null;
  /** The certificate profile assigned by "Assign certificate profile" (AssetsProcAssignProfile, issue 18.10); null until then. */
  profileId: number | null;
  state: AssetState;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = `id, name, description, dns_names AS "dnsNames", common_name AS "commonName", organization,
  organizational_unit AS "organizationalUnit", locality, country, owner_email AS "ownerEmail", profile_id AS "profileId", state,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export const newAsset = z
  .object({
    name: text(200),
    description: text(2000).optional(),
    dnsNames: z.array(dnsName).max(100).default([]),
    commonName: text(64).optional(),
    organization: text(64).optional(),
    organizationalUnit: text(64).optional(),
    locality: text(128).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code').optional(),
    ownerEmail: email.optional(),
    state: z.string().default('Active'),
  })
  .strict();
export type NewAsset = z.input<typeof newAsset>;

export async function createAsset(q: Queryable, input: NewAsset, ctx: TransitionContext): Promise<Asset> {
  const a = parseInput(newAsset, input, 'asset');
  const state = assertInitial(assetMachine, a.state);
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO assets (name, description, dns_names, common_name, organization, organizational_unit, locality, country, owner_email, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [a.name, a.description ?? null, a.dnsNames, a.commonName ?? null, a.organization ?? null,
        a.organizationalUnit ?? null, a.locality ?? null, a.country ?? null, a.ownerEmail ?? null, state],
    );
    const id = rows[0]!.id;
    await recordCreation(tx, assetMachine, id, state, ctx);
    return getAsset(tx, id);
  });
}

export async function getAsset(q: Queryable, id: number): Promise<Asset> {
  const key = parseInput(objectId, id, 'asset id');
  const { rows } = await q.query<Asset>(`SELECT ${SELECT} FROM assets WHERE id = $1`, [key]);
  if (!rows[0]) throw new NotFoundError('asset', key);
  return rows[0];
}

export function searchAssets(q: Queryable, params?: SearchParams): Promise<Page<Asset>> {
  return searchTable<Asset>(
    q,
    { table: 'assets', select: SELECT, textColumns: ['name', 'description', 'dns_names[]', 'common_name'], machine: assetMachine },
    params,
  );
}

export async function transitionAsset(q: Queryable, id: number, to: string, ctx: TransitionContext): Promise<Asset> {
  return atomically(q, async (tx) => {
    await applyTransition(tx, { table: 'assets', machine: assetMachine, id: parseInput(objectId, id, 'asset id'), to, ctx });
    return getAsset(tx, id);
  });
}

/**
 * Assigns a valid certificate profile to a 'Pending' asset, which makes it 'Active' again (spec 000,
 * issue 18.10: the dedicated process is AssetsProcAssignProfile). Valid = the profile is 'Active'.
 * One transaction: the asset row is locked, the profile read, then the assignment and the
 * transition (with its history row naming the profile) are written together.
 * @throws NotFoundError for an unknown asset or profile; STATE_CONFLICT when the asset is not
 *   'Pending' or the profile is not 'Active'
 */
export async function assignProfile(q: Queryable, assetId: number, profileId: number, ctx: TransitionContext): Promise<Asset> {
  const id = parseInput(objectId, assetId, 'asset id');
  const profile = parseInput(objectId, profileId, 'certificate profile id');
  return atomically(q, async (tx) => {
    const asset = (await tx.query<{ state: string; name: string }>('SELECT state, name FROM assets WHERE id = $1 FOR UPDATE', [id])).rows[0];
    if (!asset) throw new NotFoundError('asset', id);
    const p = (await tx.query<{ state: string; name: string }>('SELECT state, name FROM certificate_profiles WHERE id = $1', [profile])).rows[0];
    if (!p) throw new NotFoundError('certificate profile', profile);
    if (p.state !== 'Active') {
      throw new DomainError(ErrorCode.STATE_CONFLICT, `certificate profile ${p.name} is '${p.state}': only an Active profile can be assigned`);
    }
    await applyTransition(tx, {
      table: 'assets',
      machine: assetMachine,
      id,
      to: 'Active',
      ctx: { ...ctx, reason: ctx.reason ?? `certificate profile ${p.name} (${profile}) assigned` },
      set: { profile_id: profile },
    });
    return getAsset(tx, id);
  });
}
