/**
 * The application as `npm start` assembles it (src/application.ts), started with an engine
 * address where nothing listens — no engine needed (issues 16.6, 16.9, 16.11): the API comes up
 * anyway and serves the CRL, the CA chain and its health, which names the engine's state with
 * the cluster check's message; a route that needs the engine answers 503 naming Camunda; an
 * unknown /api path answers 404, not 401; the demo certificates name the configured public
 * base URL as their CRL distribution point.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { startApplication, type RunningApplication } from '../../src/application';
import { testDatabase } from '../support/database';
import { openssl, tmpFile } from './ca/support';

/** A port that was free a moment ago: nothing listens there. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('The application without an engine (issue 16.6)', function () {
  this.timeout(120_000);
  let app: RunningApplication;
  let base: string;
  let engineAddress: string;
  let dataDir: string;
  let dbName: string;
  let adminUrl: string;
  const lines: string[] = [];
  const PUBLIC_URL = 'https://pki.example.test:8443/pki';

  before(async () => {
    // A database of its own: the application seeds demo data into an empty one.
    adminUrl = (await testDatabase()).url;
    dbName = `wpki_app_${Date.now()}_${process.pid}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const dbUrl = new URL(adminUrl);
    dbUrl.pathname = `/${dbName}`;

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-app-'));
    const port = await deadPort();
    engineAddress = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      DATABASE_URL: dbUrl.toString(),
      PORT: '0',
      PUBLIC_URL,
      ZEEBE_REST_ADDRESS: engineAddress,
      ZEEBE_GRPC_ADDRESS: `127.0.0.1:${port}`,
      CAMUNDA_AUTH_STRATEGY: 'BASIC',
    });
    expect(config.camunda.startLocalEngine, 'an engine address is configured: no local engine').to.equal(false);
    app = await startApplication(config, (line) => lines.push(line));
    base = `http://127.0.0.1:${app.port}`;
  });

  after(async () => {
    await app?.stop();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves its health with the engine DOWN, saying why with the cluster check (issue 16.9)', async () => {
    let health: { status: string; engine?: { state: string; address: string; detail: string } } | undefined;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/api/health`);
      expect(res.status).to.equal(200);
      health = (await res.json()) as typeof health;
      if (health?.engine?.state === 'DOWN') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(health?.status).to.equal('UP');
    expect(health?.engine?.state).to.equal('DOWN');
    expect(health?.engine?.address).to.equal(engineAddress);
    expect(health?.engine?.detail).to.contain(`The Camunda cluster at ${engineAddress} is not usable (BASIC auth)`);
    expect(health?.engine?.detail).to.match(/ECONNREFUSED/);
    expect(health?.engine?.detail).not.to.contain('error.source');
    expect(lines.join('\n')).to.contain(`[engine] Camunda at ${engineAddress} is not available: The Camunda cluster at ${engineAddress} is not usable`);
    // No model deployed, no worker registered while the engine is away.
    expect(lines.some((l) => l.startsWith('[workers]'))).to.equal(false);
  });

  it('serves the CRL (openssl reads it) and the CA chain', async () => {
    const crl = await fetch(`${base}/api/crl`);
    expect(crl.status).to.equal(200);
    expect(crl.headers.get('content-type')).to.match(/^application\/pkix-crl/);
    const chain = await fetch(`${base}/api/ca/chain`);
    expect(chain.status).to.equal(200);
    const pem = await chain.text();
    expect(pem.match(/BEGIN CERTIFICATE/g)).to.have.length(2);
    const read = await openssl(['crl', '-inform', 'DER', '-in', tmpFile('app-crl.der', Buffer.from(await crl.arrayBuffer())), '-noout', '-CAfile', tmpFile('app-chain.pem', pem)]);
    expect(read.out).to.match(/verify OK/);
  });

  it('answers 503 naming Camunda on a route that needs the engine (sign-in), not 500', async () => {
    const res = await fetch(`${base}/api/me`, { headers: { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` } });
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('30');
    const body = (await res.json()) as { title: string; detail: string; engine: { state: string } };
    expect(body.title).to.equal('ENGINE_UNAVAILABLE');
    expect(body.detail).to.contain(`Camunda is not available at ${engineAddress}`);
    expect(body.engine.state).to.equal('DOWN');
  });

  it('answers 404 on an unknown /api path, with or without credentials; a known one still asks for sign-in', async () => {
    const tries: Array<Record<string, string>> = [{}, { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` }];
    for (const headers of tries) {
      const res = await fetch(`${base}/api/no-such-thing/12`, { headers });
      expect(res.status).to.equal(404);
      expect(((await res.json()) as { detail: string }).detail).to.contain('/api/no-such-thing/12');
    }
    expect((await fetch(`${base}/api/requests/12`)).status).to.equal(401);
    expect((await fetch(`${base}/api/admin/options/`)).status).to.equal(401);
  });

  it('writes the configured public base URL into certificates as their CRL distribution point (issue 16.11)', async () => {
    const dbUrl = new URL(adminUrl);
    dbUrl.pathname = `/${dbName}`;
    const c = new Client({ connectionString: dbUrl.toString() });
    await c.connect();
    const { rows } = await c.query<{ pem: string }>('SELECT pem FROM certificates WHERE pem IS NOT NULL ORDER BY id LIMIT 1');
    await c.end();
    expect(rows, 'the demo data holds issued certificates').to.have.length(1);
    const dp = await openssl(['x509', '-in', tmpFile('app-leaf.pem', rows[0]!.pem), '-noout', '-ext', 'crlDistributionPoints']);
    expect(dp.out).to.contain(`URI:${PUBLIC_URL}/api/crl`);
    expect(dp.out).not.to.contain('localhost');
  });
});
