/**
 * The admin CLIs beside a running application (issue 16.7): with the embedded PostgreSQL started
 * as `npm start` starts it, `npm run migrate` and `npm run options -- list` connect to that
 * server instead of starting a second one on the same data folder (which crashed with
 * "Cannot read properties of undefined (reading 'message')").
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from 'pg';
import { PROJECT_ROOT } from '../../../src/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/store/embedded-postgres';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('admin CLIs beside the running application (issue 16.7)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let db: EmbeddedDatabase;
  let port: number;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-cli-'));
    fs.chmodSync(dataDir, 0o777);
    port = await freePort();
    db = await startEmbeddedPostgres({ dataDir, port, log: () => undefined });
  });
  after(async () => {
    await db?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const cli = (script: string, args: string[] = []) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port + 1) };
    delete env.DATABASE_URL;
    return run(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, script), ...args], { cwd: PROJECT_ROOT, env });
  };

  it('migrate and options list use the running server (its port from postmaster.pid), and leave it running', async () => {
    const migrate = await cli('src/store/migrate-cli.ts');
    expect(migrate.stdout).to.contain(`using the embedded PostgreSQL already running on port ${port}`);
    expect(migrate.stdout).to.match(/is up to date/);
    const list = await cli('src/store/options-cli.ts', ['list']);
    expect(list.stdout).to.match(/^AssetsProcLockCertificate\s/m);
    // The application's server still answers, and holds what migrate applied.
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM use_case_options');
    await c.end();
    expect(rows[0]!.n).to.be.greaterThan(0);
  });
});
