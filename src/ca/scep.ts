/**
 * SCEP registration: a one-time challenge password bound to an asset and the subject it may
 * request. Only a keyed hash of the challenge is stored; it is returned once.
 */
import crypto from 'node:crypto';
import type { DeregistrationRequest, DeregistrationResult, ScepRegistration, ScepRegistrationRequest } from './connector';
import type { CaContext } from './context';
import { deregister } from './acme';
import { assertSameRequest, checkIdempotencyKey, fingerprint } from './idempotency';
import { randomPassword } from './pkcs12';
import { checkProfile } from './profile';
import { approveNames } from './request-policy';

const HASH_CONTEXT = 'scep-challenge';

interface ScepRow {
  id: string;
  request_fingerprint: string;
  common_name: string;
  dns_names: string[];
  state: 'Registered' | 'Deregistered';
  expires_at: Date;
}

/** Creates a SCEP registration with a one-time challenge password. */
export async function registerScep(ctx: CaContext, request: ScepRegistrationRequest): Promise<ScepRegistration> {
  checkIdempotencyKey(request.idempotencyKey);
  checkProfile(request.profile);
  const fp = fingerprint({ op: 'scep', assetRef: request.assetRef, profile: request.profile, commonName: request.commonName, dnsNames: request.dnsNames });
  const find = async (): Promise<ScepRow | undefined> => {
    const row = (
      await ctx.db.query<ScepRow>('SELECT id, request_fingerprint, common_name, dns_names, state, expires_at FROM ca_scep_challenges WHERE idempotency_key = $1', [request.idempotencyKey])
    ).rows[0];
    if (row) assertSameRequest(row.request_fingerprint, fp, request.idempotencyKey);
    return row;
  };
  const replay = (row: ScepRow): ScepRegistration => ({
    registrationId: row.id, commonName: row.common_name, dnsNames: row.dns_names, expiresAt: row.expires_at, state: row.state, replayed: true,
  });
  const earlier = await find();
  if (earlier) return replay(earlier);

  const approved = approveNames({ commonName: request.commonName, dnsNames: request.dnsNames ?? [] }, request.profile);
  const id = crypto.randomUUID();
  const challengePassword = randomPassword(32);
  const expiresAt = new Date(ctx.now().getTime() + ctx.scepChallengeTtlMs);
  const { rowCount } = await ctx.db.query(
    `INSERT INTO ca_scep_challenges (id, idempotency_key, request_fingerprint, challenge_hash, asset_ref, profile_id, common_name, dns_names, state, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Registered', $9) ON CONFLICT (idempotency_key) DO NOTHING`,
    [id, request.idempotencyKey, fp, ctx.masterKey.hash(challengePassword, HASH_CONTEXT), request.assetRef, request.profile.id, approved.commonName, approved.dnsNames, expiresAt],
  );
  if (rowCount !== 1) return replay((await find())!);
  return { registrationId: id, challengePassword, commonName: approved.commonName, dnsNames: approved.dnsNames, expiresAt, state: 'Registered', replayed: false };
}

/** Deregisters: the challenge no longer works. */
export function deregisterScep(ctx: CaContext, request: DeregistrationRequest): Promise<DeregistrationResult> {
  return deregister(ctx, 'ca_scep_challenges', 'scep-deregister', request);
}

/**
 * For the SCEP server: uses up a challenge if it is registered, unused, unexpired and the
 * requested common name matches. Returns the registration, or undefined.
 */
export async function consumeScepChallenge(
  ctx: CaContext,
  challengePassword: string,
  commonName: string,
): Promise<{ registrationId: string; assetRef: string; profileId: string; dnsNames: string[] } | undefined> {
  const { rows } = await ctx.db.query<{ id: string; asset_ref: string; profile_id: string; dns_names: string[] }>(
    `UPDATE ca_scep_challenges SET used_at = $3
      WHERE challenge_hash = $1 AND lower(common_name) = lower($2) AND state = 'Registered' AND used_at IS NULL AND expires_at > $3
      RETURNING id, asset_ref, profile_id, dns_names`,
    [ctx.masterKey.hash(challengePassword, HASH_CONTEXT), commonName.trim(), ctx.now()],
  );
  const row = rows[0];
  return row && { registrationId: row.id, assetRef: row.asset_ref, profileId: row.profile_id, dnsNames: row.dns_names };
}
