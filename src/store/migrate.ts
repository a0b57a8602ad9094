/**
 * Versioned SQL migrations: every `migrations/NNN_name.sql` runs once, in order, each in its
 * own transaction, recorded in `schema_migrations`. An advisory lock keeps two starting
 * processes from migrating at the same time; a migrated database makes this a no-op.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';

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

/**
 * Applies pending migrations; returns the names of those applied now. Everything runs on one
 * connection (the lock's), so migrating never waits for a second one from the pool, and
 * without the pool's statement timeout: a migration may rightly take longer.
 */
export async function migrate(pool: Pool, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = listMigrations(dir);
  const lock = await pool.connect();
  let broken: Error | undefined;
  try {
    await lock.query('SET statement_timeout = 0');
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
      await lock.query('BEGIN');
      try {
        await lock.query(m.sql);
        await lock.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await lock.query('COMMIT');
      } catch (err) {
        await lock.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch((err: Error) => {
      broken = err;
    });
    // The connection goes back with the pool's settings (RESET returns to the session's defaults).
    if (!broken) await lock.query('RESET statement_timeout').catch((err: Error) => (broken = err));
    lock.release(broken);
  }
}
