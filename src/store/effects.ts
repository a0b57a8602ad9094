/**
 * Idempotent effects. Zeebe delivers a job at least once; a worker wraps its effect in
 * `applyOnce` keyed by the job (or element instance) key, so a retry returns the result stored
 * by the first delivery instead of issuing, sending or transitioning a second time.
 */
import type { Pool } from 'pg';
import { faultPoint } from '../fault-points';
import { withTransaction, type Queryable } from './db';

export interface EffectOutcome<R> {
  result: R;
  /** True when the effect had already been applied and this is the stored result. */
  replayed: boolean;
}

/**
 * Runs `effect` once for `key`, in one transaction with the record of its result. A concurrent
 * call with the same key waits for the first to commit, then gets its result.
 */
export async function applyOnce<R>(
  pool: Pool,
  key: string,
  kind: string,
  effect: (tx: Queryable) => Promise<R>,
): Promise<EffectOutcome<R>> {
  if (key.length === 0 || key.length > 200) throw new Error(`effect key must be 1..200 characters, got ${key.length}`);
  const claimed = await withTransaction(pool, async (tx) => {
    // The insert blocks on a concurrent uncommitted claim of the same key, then conflicts.
    const claim = await tx.query(
      `INSERT INTO job_effects (effect_key, kind, result) VALUES ($1, $2, 'null'::jsonb)
       ON CONFLICT (effect_key) DO NOTHING`,
      [key, kind],
    );
    if (claim.rowCount !== 1) return undefined;
    const result = await effect(tx);
    await faultPoint('in-transaction', kind); // a crash here must roll everything back (test/faults)
    await tx.query('UPDATE job_effects SET result = $2 WHERE effect_key = $1', [key, JSON.stringify(result ?? null)]);
    return { result };
  });
  if (claimed) return { result: claimed.result, replayed: false };
  const stored = await pool.query<{ result: R; kind: string }>('SELECT result, kind FROM job_effects WHERE effect_key = $1', [key]);
  const row = stored.rows[0];
  if (!row) throw new Error(`effect ${key} vanished between claim and read`);
  if (row.kind !== kind) throw new Error(`effect key ${key} was used for '${row.kind}', not '${kind}'`);
  return { result: row.result, replayed: true };
}
