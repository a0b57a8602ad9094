/**
 * ACME registration: an External Account Binding (RFC 8555 7.3.4) per asset, bound to the DNS
 * names it may obtain certificates for. The HMAC key is returned once; it is stored only
 * sealed with the master key, because the ACME server needs it back to check the binding.
 */
import crypto from 'node:crypto';
import { atomically } from '../store/db';
import type { AcmeRegistration, AcmeRegistrationRequest, DeregistrationRequest, DeregistrationResult } from './connector';
import type { CaContext } from './context';
import { CaError, CaErrorCode } from './errors';
import { checkDnsNames } from './dns-policy';
import { assertSameRequest, checkIdempotencyKey, fingerprint, lockKey, recordOperation, storedOperation } from './idempotency';
import { checkProfile } from './profile';

interface BindingRow {
  id: string;
  request_fingerprint: string;
  key_id: string;
  dns_names: string[];
  state: 'Registered' | 'Deregistered';
}

const hmacContext = (keyId: string): string => `ca_acme_bindings:${keyId}:hmac_key`;

/** Creates an External Account Binding for an asset. */
export async function registerAcme(ctx: CaContext, request: AcmeRegistrationRequest): Promise<AcmeRegistration> {
  checkIdempotencyKey(request.idempotencyKey);
  checkProfile(request.profile);
  const fp = fingerprint({ op: 'acme', assetRef: request.assetRef, profile: request.profile, dnsNames: request.dnsNames });
  const find = async (): Promise<BindingRow | undefined> => {
    const row = (await ctx.db.query<BindingRow>('SELECT id, request_fingerprint, key_id, dns_names, state FROM ca_acme_bindings WHERE idempotency_key = $1', [request.idempotencyKey])).rows[0];
    if (row) assertSameRequest(row.request_fingerprint, fp, request.idempotencyKey);
    return row;
  };
  const replay = (row: BindingRow): AcmeRegistration => ({ registrationId: row.id, keyId: row.key_id, dnsNames: row.dns_names, state: row.state, replayed: true });
  const earlier = await find();
  if (earlier) return replay(earlier);

  const dnsNames = checkDnsNames(request.dnsNames, request.profile);
  if (dnsNames.length === 0) {
    throw new CaError(CaErrorCode.SUBJECT_MISSING, 'An ACME registration needs at least one DNS name the asset may obtain certificates for.');
  }
  const id = crypto.randomUUID();
  // Hex, not base64url: a key id beginning with '-' is taken for an option by lego and certbot.
  const keyId = crypto.randomBytes(16).toString('hex');
  const hmacKey = crypto.randomBytes(32);
  const { rowCount } = await ctx.db.query(
    `INSERT INTO ca_acme_bindings (id, idempotency_key, request_fingerprint, key_id, hmac_key_encrypted, asset_ref, profile_id, dns_names, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Registered') ON CONFLICT (idempotency_key) DO NOTHING`,
    [id, request.idempotencyKey, fp, keyId, ctx.masterKey.seal(hmacKey, hmacContext(keyId)), request.assetRef, request.profile.id, dnsNames],
  );
  if (rowCount !== 1) return replay((await find())!);
  return { registrationId: id, keyId, hmacKey: hmacKey.toString('base64url'), dnsNames, state: 'Registered', replayed: false };
}

/** Revokes an External Account Binding; the ACME server refuses it from then on. */
export async function deregisterAcme(ctx: CaContext, request: DeregistrationRequest): Promise<DeregistrationResult> {
  return deregister(ctx, 'ca_acme_bindings', 'acme-deregister', request);
}

/** The binding for an EAB key id, for the ACME server; undefined when unknown or deregistered. */
export async function lookupAcmeBinding(
  ctx: CaContext,
  keyId: string,
): Promise<{ registrationId: string; assetRef: string; profileId: string; dnsNames: string[]; hmacKey: Buffer } | undefined> {
  const row = (
    await ctx.db.query<{ id: string; asset_ref: string; profile_id: string; dns_names: string[]; hmac_key_encrypted: Buffer }>(
      "SELECT id, asset_ref, profile_id, dns_names, hmac_key_encrypted FROM ca_acme_bindings WHERE key_id = $1 AND state = 'Registered'",
      [keyId],
    )
  ).rows[0];
  if (!row) return undefined;
  return { registrationId: row.id, assetRef: row.asset_ref, profileId: row.profile_id, dnsNames: row.dns_names, hmacKey: ctx.masterKey.open(row.hmac_key_encrypted, hmacContext(keyId)) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Shared by ACME and SCEP: Registered → Deregistered, once. */
export async function deregister(
  ctx: CaContext,
  table: 'ca_acme_bindings' | 'ca_scep_challenges',
  operation: string,
  request: DeregistrationRequest,
): Promise<DeregistrationResult> {
  checkIdempotencyKey(request.idempotencyKey);
  const fp = fingerprint({ op: operation, id: request.registrationId });
  const kind = table === 'ca_acme_bindings' ? 'ACME binding' : 'SCEP registration';
  return atomically(ctx.db, async (tx) => {
    await lockKey(tx, request.idempotencyKey);
    const earlier = await storedOperation<DeregistrationResult>(tx, request.idempotencyKey, operation, fp);
    if (earlier) return { ...earlier, replayed: true };
    const row = UUID.test(request.registrationId)
      ? (await tx.query<{ state: string }>(`SELECT state FROM ${table} WHERE id = $1 FOR UPDATE`, [request.registrationId])).rows[0]
      : undefined;
    if (!row) {
      throw new CaError(CaErrorCode.REGISTRATION_NOT_FOUND, `No ${kind} with id ${request.registrationId} exists.`, { registrationId: request.registrationId });
    }
    if (row.state === 'Deregistered') {
      throw new CaError(CaErrorCode.REGISTRATION_ALREADY_DEREGISTERED, `The ${kind} ${request.registrationId} is already deregistered.`, { registrationId: request.registrationId });
    }
    await tx.query(`UPDATE ${table} SET state = 'Deregistered', deregistered_at = $2 WHERE id = $1`, [request.registrationId, ctx.now()]);
    const result: DeregistrationResult = { registrationId: request.registrationId, state: 'Deregistered', replayed: false };
    await recordOperation(tx, request.idempotencyKey, operation, fp, result);
    return result;
  });
}
