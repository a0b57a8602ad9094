/**
 * The one module that owns PostgreSQL connections. Repositories take a `Queryable` (the pool
 * or a client inside a transaction) so that several of them compose in one transaction.
 *
 * Two rules keep the pool from hanging (issue 17.1): no code path holds a connection and then
 * waits for a second one from the same pool (work inside a transaction runs on its client, see
 * `atomically`), and every wait is bounded — for a free connection here, for a statement or an
 * open transaction on the server (set on each connection, see `createPool`).
 */
import { Pool, types, type PoolClient, type QueryResultRow } from 'pg';
import { DATABASE_DEFAULTS } from '../config';

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
  /** Connections at most. Default `DATABASE_POOL_SIZE`'s default (src/config.ts). */
  max?: number;
  /** How long a caller waits for a free connection before it fails. Default `DATABASE_CONNECTION_TIMEOUT_MS`'s. */
  connectionTimeoutMs?: number;
  /** Server-side `statement_timeout` of every connection; 0 = none. Default `DATABASE_STATEMENT_TIMEOUT_MS`'s. */
  statementTimeoutMs?: number;
  /**
   * Server-side `idle_in_transaction_session_timeout` of every connection: the server ends a
   * session that keeps a transaction open without running a statement for longer. 0 = none.
   * Default `DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS`'s.
   */
  idleInTransactionTimeoutMs?: number;
  /** Shown in `pg_stat_activity.application_name`. Default `workplace-pki`. */
  applicationName?: string;
  /** Where lost connections are reported. Default `console.error`. */
  log?: (line: string) => void;
}

/**
 * Creates a pool with bounded waits. A connection that fails — idle in the pool or checked out
 * by a caller (issue 17.5: the server restarts, an administrator or the idle-in-transaction
 * timeout ends its session) — is reported and dropped; the work that was using it fails with
 * the error (a job is retried, a request answers 500), never the process.
 */
export function createPool(options: PoolOptions): Pool {
  const log = options.log ?? ((line: string) => console.error(line));
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.max ?? DATABASE_DEFAULTS.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DATABASE_DEFAULTS.connectionTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? DATABASE_DEFAULTS.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? DATABASE_DEFAULTS.idleInTransactionTimeoutMs,
    application_name: options.applicationName ?? 'workplace-pki',
    keepAlive: true,
  });
  // The pool listens for errors of idle clients only (it emits them here); a client checked out
  // by a caller has no listener of its own, and node ends the process on an unheard 'error'.
  pool.on('error', (err) => {
    log(`[db] idle connection lost: ${err.message} (the pool replaces it)`);
  });
  const inUse = new WeakSet<PoolClient>();
  pool.on('acquire', (client) => inUse.add(client));
  pool.on('release', (_err, client) => inUse.delete(client));
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      // The failing statement, or the next one, rejects with this error; the pool drops the client on release.
      if (inUse.has(client)) log(`[db] connection lost while in use: ${err.message} (its work fails and is retried)`);
    });
  });
  return pool;
}

/**
 * Runs `work` inside one transaction on one client, which is released in `finally`.
 * Commits when `work` resolves, rolls back when it throws (and rethrows). Inside `work`, use
 * only `tx`: asking the pool for another connection while holding this one can deadlock it.
 */
export async function withTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      // The connection is gone or unusable: it must not go back to the pool.
      broken = rollbackError;
    });
    throw err;
  } finally {
    client.release(broken);
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
