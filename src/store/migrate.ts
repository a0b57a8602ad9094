/**
 * Versioned SQL migrations: every `migrations/NNN_name.sql` runs once, in order, each in its
 * own transaction, recorded in `schema_migrations`. An advisory lock keeps two starting
 * processes from migrating at the same time; a migrated database makes this a no-op.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { withTransaction } from './db';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Arbitrary constant identifying this project's migration lock. */
const MIGRATION_LOCK_ID = 727_3301;

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

/** Lists the migration files of `dir`, ordered by version. */
export function listMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: file.slice(0, 3),
      name: file.replace(/\.sql$/, ''),
      sql: fs.readFileSync(path.join(dir, file), 'utf8'),
    }));
}

/** Applies pending migrations; returns the names of those applied now. */
export async function migrate(pool: Pool, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = listMigrations(dir);
  const lock = await pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await lock.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await lock.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await withTransaction(pool, async (tx) => {
        await tx.query(m.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      });
      applied.push(m.name);
    }
    return applied;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    lock.release();
  }
}
