/**
 * The one module that owns PostgreSQL connections. Repositories take a `Queryable` (the pool
 * or a client inside a transaction) so that several of them compose in one transaction.
 */
import { Pool, types, type PoolClient, type QueryResultRow } from 'pg';

// Ids and counts are bigint in SQL; they stay far below 2^53, so read them as numbers.
types.setTypeParser(types.builtins.INT8, (v) => Number(v));

/** Anything that can run a query: the pool, or a client holding a transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface PoolOptions {
  connectionString: string;
  max?: number;
}

/** Creates the application's pool. Errors of idle clients are reported, not thrown. */
export function createPool({ connectionString, max = 10 }: PoolOptions): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', (err) => {
    // An idle client lost its connection (server restart): the pool replaces it.
    console.error(`[db] idle connection error: ${err.message}`);
  });
  return pool;
}

/**
 * Runs `work` inside one transaction on one client, which is released in `finally`.
 * Commits when `work` resolves, rolls back when it throws (and rethrows).
 */
export async function withTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** True when `q` is a pool (can start transactions) rather than a client already in one. */
export function isPool(q: Queryable): q is Pool {
  return q instanceof Pool;
}

/**
 * Runs `work` atomically on `q`: in a new transaction when `q` is the pool, or within the
 * caller's transaction when `q` is already a client (so repositories compose).
 */
export async function atomically<T>(q: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return isPool(q) ? withTransaction(q, work) : work(q);
}
