/**
 * A fresh PostgreSQL database for the test run, created once on the configured server
 * (DATABASE_URL's server, else the machine's PostgreSQL at 127.0.0.1:5432, else an embedded
 * one), migrated, and dropped when the run ends.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Client, type Pool } from 'pg';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/store/embedded-postgres';
import { onRunEnd } from './lifecycle';

export interface TestDatabase {
  pool: Pool;
  url: string;
  name: string;
}

const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

let pending: Promise<TestDatabase> | undefined;

async function reachable(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function create(): Promise<TestDatabase> {
  const config = loadConfig();
  let serverUrl = config.database.url ?? MACHINE_POSTGRES;
  let embedded: EmbeddedDatabase | undefined;
  if (!(await reachable(serverUrl))) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-test-pg-'));
    fs.chmodSync(dir, 0o777);
    embedded = await startEmbeddedPostgres({ dataDir: dir, port: 54339, database: 'postgres', log: () => undefined });
    serverUrl = embedded.url;
  }
  const name = `wpki_test_${Date.now()}_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = withDatabase(serverUrl, name);
  const pool = createPool({ connectionString: url, max: 20 });
  await migrate(pool);

  onRunEnd(async () => {
    // The next testDatabase() makes a new one (bench:e2e runs the search bench after its clean-up).
    pending = undefined;
    await pool.end();
    const drop = new Client({ connectionString: serverUrl });
    await drop.connect();
    await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await drop.end();
    await embedded?.stop();
  });
  return { pool, url, name };
}

/** The run's migrated test database (created on first use). */
export function testDatabase(): Promise<TestDatabase> {
  pending ??= create();
  return pending;
}

/**
 * Runs `work` on a new, empty (unmigrated) database next to the run's test database, and drops
 * it afterwards — for tests about migrations and first starts.
 */
export async function withEmptyDatabase<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
  const { url } = await testDatabase();
  const name = `wpki_empty_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const pool = createPool({ connectionString: withDatabase(url, name), max: 3 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}
