/**
 * Opens the application's database: the configured DATABASE_URL, or the embedded PostgreSQL;
 * runs the migrations. Used by `npm start`, `npm run migrate` and `npm run seed`.
 *
 * Two pools (issue 17.1): `pool` for the API, housekeeping and the CA, `workerPool` for the job
 * workers, so that workers saturated by a burst of jobs cannot starve the API. A pool opens
 * connections only when asked, so a command that uses one pool costs nothing for the other.
 */
import type { Pool } from 'pg';
import type { Config } from '../config';
import { createPool } from './db';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrate } from './migrate';

export interface OpenDatabase {
  /** The API's pool (requests, housekeeping, the CA): DATABASE_POOL_SIZE connections. */
  pool: Pool;
  /** The job workers' pool: DATABASE_WORKER_POOL_SIZE connections. */
  workerPool: Pool;
  /** Where it is, without credentials (safe to print). */
  location: string;
  close(): Promise<void>;
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * What went wrong, for the admin CLIs: some failures (the embedded PostgreSQL's) are thrown
 * without being an Error, and `err.message` printed "undefined" or crashed (issue 16.7).
 */
export function failureText(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  if (typeof err === 'string' && err) return err;
  const text = err === undefined ? '' : JSON.stringify(err) ?? String(err);
  return `the database could not be opened${text && text !== '{}' ? ` (${text})` : ''}; is DATA_DIR's embedded PostgreSQL damaged, or DATABASE_URL wrong?`;
}

export async function openDatabase(config: Config, log: (line: string) => void = console.log): Promise<OpenDatabase> {
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log });
  const url = config.database.url ?? embedded!.url;
  const settings = {
    connectionString: url,
    connectionTimeoutMs: config.database.connectionTimeoutMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
    idleInTransactionTimeoutMs: config.database.idleInTransactionTimeoutMs,
    log,
  };
  const pool = createPool({ ...settings, max: config.database.poolSize, applicationName: 'workplace-pki-api' });
  const workerPool = createPool({ ...settings, max: config.database.workerPoolSize, applicationName: 'workplace-pki-workers' });
  const end = () => Promise.all([pool.end(), workerPool.end()]);
  try {
    const applied = await migrate(pool);
    if (applied.length) log(`[db] applied migrations: ${applied.join(', ')}`);
  } catch (err) {
    await end();
    await embedded?.stop();
    throw err;
  }
  return {
    pool,
    workerPool,
    location: withoutPassword(url),
    async close() {
      await end();
      await embedded?.stop();
    },
  };
}
