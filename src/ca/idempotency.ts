/**
 * Idempotency of CA operations: Zeebe delivers a job at least once, so every effect is keyed by
 * the caller's idempotency key. A repeated call with the same key and the same request gets the
 * stored result; the same key with a different request is refused (a caller bug, not a retry).
 */
import crypto from 'node:crypto';
import type { Queryable } from '../store/db';
import { CaError, CaErrorCode } from './errors';

/** A stable hash of the non-secret parts of a request. */
export function fingerprint(value: unknown): string {
  const stable = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(stable)
      : v && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, stable(x)]))
        : v instanceof Uint8Array
          ? Buffer.from(v).toString('base64')
          : v;
  return crypto.createHash('sha256').update(JSON.stringify(stable(value))).digest('hex');
}

/** Checks an idempotency key given by a caller. */
export function checkIdempotencyKey(key: string): void {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 200) {
    throw new Error('idempotencyKey must be a non-empty string of at most 200 characters (the job key or element instance key)');
  }
}

/** Throws IDEMPOTENCY_CONFLICT when a stored result was made for a different request. */
export function assertSameRequest(storedFingerprint: string, fp: string, key: string): void {
  if (storedFingerprint !== fp) {
    throw new CaError(
      CaErrorCode.IDEMPOTENCY_CONFLICT,
      `The idempotency key "${key}" was already used for a different request; a retry must repeat the same request.`,
      { idempotencyKey: key },
    );
  }
}

/** Serializes work on one key within the caller's transaction. */
export async function lockKey(tx: Queryable, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 727))', [key]);
}

/** The stored result of an operation (revoke, hold, release, deregister) for this key, if any. */
export async function storedOperation<T>(tx: Queryable, key: string, operation: string, fp: string): Promise<T | undefined> {
  const { rows } = await tx.query<{ operation: string; request_fingerprint: string; result: T }>(
    'SELECT operation, request_fingerprint, result FROM ca_operations WHERE idempotency_key = $1',
    [key],
  );
  const row = rows[0];
  if (!row) return undefined;
  assertSameRequest(row.operation === operation ? row.request_fingerprint : '', fp, key);
  return row.result;
}

/** Records the result of an operation under its key (same transaction as the effect). */
export async function recordOperation(tx: Queryable, key: string, operation: string, fp: string, result: unknown): Promise<void> {
  await tx.query('INSERT INTO ca_operations (idempotency_key, operation, request_fingerprint, result) VALUES ($1, $2, $3, $4)', [
    key,
    operation,
    fp,
    JSON.stringify(result),
  ]);
}
