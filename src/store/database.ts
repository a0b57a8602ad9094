/**
 * Opens the application's database: the configured DATABASE_URL, or the embedded PostgreSQL;
 * runs the migrations. Used by `npm start`, `npm run migrate` and `npm run seed`.
 */
import type { Pool } from 'pg';
import type { Config } from '../config';
import { createPool } from './db';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrate } from './migrate';

export interface OpenDatabase {
  pool: Pool;
  /** Where it is, without credentials (safe to print). */
  location: string;
  close(): Promise<void>;
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export async function openDatabase(config: Config, log: (line: string) => void = console.log): Promise<OpenDatabase> {
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log });
  const url = config.database.url ?? embedded!.url;
  const pool = createPool({
    connectionString: url,
    max: config.database.poolSize,
    connectionTimeoutMs: config.database.connectionTimeoutMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
    idleInTransactionTimeoutMs: config.database.idleInTransactionTimeoutMs,
  });
  try {
    const applied = await migrate(pool);
    if (applied.length) log(`[db] applied migrations: ${applied.join(', ')}`);
  } catch (err) {
    await pool.end();
    await embedded?.stop();
    throw err;
  }
  return {
    pool,
    location: withoutPassword(url),
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
