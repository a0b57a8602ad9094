/**
 * The SCEP server (issue 12.2) with the stock Debian client micromdm `scepclient` (issue 12.4),
 * against the application on loopback: enrollment with the one-time challenge of a SCEP
 * registration, the certificate checked by openssl against the chain and the CRL and found in
 * the store; refusals for a reused, an unknown and a deregistered challenge.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createBuiltinCa, type BuiltinCa } from '../../../src/ca/builtin-ca';
import { createPool } from '../../../src/store/db';
import { migrate } from '../../../src/store/migrate';
import { toCaProfile } from '../../../src/ca/store-profile';
import { createScepService } from '../../../src/scep/enrollment';
import { auditHistory } from '../../../src/store/audit';
import { createAsset } from '../../../src/store/assets';
import { createProfile, type CertificateProfile } from '../../../src/store/profiles';
import { SCEPCLIENT } from '../../support/protocol-clients';
import { serveTestApp, type TestApp } from '../../support/test-app';
import { MASTER_KEY_BYTES, jobKey, testCa, verifyWithChain } from '../ca/support';
import { MasterKey } from '../../../src/ca/master-key';
import { testDatabase } from '../../support/database';
import type { Pool } from 'pg';

interface ClientRun {
  code: number;
  out: string;
  certificatePem?: string;
}

interface ScepCa {
  ca: BuiltinCa;
  pool: Pool;
  sealer: MasterKey;
  close(): Promise<void>;
}

/** The run's test CA: EC root, RSA issuing CA, so GetCACert names the issuing CA alone. */
async function runCa(): Promise<ScepCa> {
  const t = await testCa();
  return { ca: t.ca, pool: t.db.pool, sealer: t.masterKey, close: async () => undefined };
}

/**
 * A CA as `npm start` makes it (RSA-4096 root, RSA-2048 issuing CA) on a database of its own:
 * GetCACert answers the chain as a certs-only PKCS#7, and the client encrypts to both.
 */
async function defaultCa(): Promise<ScepCa> {
  const { url } = await testDatabase();
  const name = `wpki_scep_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const pool = createPool({ connectionString: dbUrl.toString(), max: 5 });
  await migrate(pool);
  const sealer = new MasterKey(MASTER_KEY_BYTES);
  const ca = await createBuiltinCa({ pool, masterKey: sealer, name: 'SCEP Default', publicUrl: 'https://pki.example.test' });
  return {
    ca,
    pool,
    sealer,
    close: async () => {
      await pool.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

for (const [shape, open] of [['a CA with an EC root', runCa], ['a CA with the default RSA root', defaultCa]] as const) describe(`SCEP server with the stock scepclient, ${shape} (issue 12.2, 12.4)`, function () {
  this.timeout(180_000);
  let t: ScepCa;
  let app: TestApp | undefined;
  let base: string;
  let profile: CertificateProfile;
  let assetId: number;
  let workDir: string;
  const logLines: string[] = [];

  before(async () => {
    t = await open();
    const scep = createScepService({ pool: t.pool, ca: t.ca, log: (l) => logLines.push(l) });
    expect(scep, 'the test CA has an RSA issuing CA').to.not.equal(undefined);
    // SCEP and the CRL are public: no sign-in, no engine.
    app = await serveTestApp({ pool: t.pool, ca: t.ca, sealer: t.sealer, scep });
    base = app.base;
    const actor = { actor: 'test-suite' };
    profile = await createProfile(
      t.pool,
      { name: `scep-${jobKey()}`, protocol: 'SCEP', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 365, subjectTemplate: 'CN={commonName},O={organization},C=DE', allowedDnsSuffixes: ['example.com'] },
      actor,
    );
    assetId = (await createAsset(t.pool, { name: `device-${jobKey()}`, dnsNames: ['device.example.com'], organization: 'Example AG' }, actor)).id;
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-scep-'));
  });

  after(async () => {
    await app?.close();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    await t?.close();
  });

  async function register(commonName: string): Promise<{ registrationId: string; challenge: string }> {
    const reg = await t.ca.registerScep({ idempotencyKey: jobKey(), assetRef: `asset:${assetId}`, profile: toCaProfile(profile), commonName, dnsNames: [commonName] });
    return { registrationId: reg.registrationId, challenge: reg.challengePassword! };
  }

  /** Runs scepclient as the README shows, in a folder of its own (it writes csr.pem and self.pem beside the key). */
  function scepclient(commonName: string, challenge: string): Promise<ClientRun> {
    const dir = fs.mkdtempSync(path.join(workDir, 'client-'));
    const certificate = path.join(dir, 'cert.pem');
    const args = ['-server-url', `${base}/scep/${profile.id}`, '-private-key', path.join(dir, 'key.pem'), '-certificate', certificate, '-cn', commonName, '-challenge', challenge];
    return new Promise((resolve) => {
      execFile(SCEPCLIENT.executable, args, { timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, out: stdout + stderr, certificatePem: fs.existsSync(certificate) ? fs.readFileSync(certificate, 'utf8') : undefined });
      });
    });
  }

  it('when GetCACaps and GetCACert are asked, then the profile answers with its capabilities and the issuing CA', async () => {
    const caps = await (await fetch(`${base}/scep/${profile.id}?operation=GetCACaps`)).text();
    expect(caps.split('\n')).to.include.members(['POSTPKIOperation', 'SHA-256', 'AES', 'SCEPStandard']);
    const caCert = await fetch(`${base}/scep/${profile.id}?operation=GetCACert`);
    expect(caCert.headers.get('content-type')).to.equal(shape.includes('RSA root') ? 'application/x-x509-ca-ra-cert' : 'application/x-x509-ca-cert');
    expect((await fetch(`${base}/scep/999999?operation=GetCACaps`)).status).to.equal(404);
  });

  it('when scepclient enrolls with the challenge, then it gets a certificate that openssl verifies against the chain and the CRL, and the store has it', async () => {
    const { challenge, registrationId } = await register('device1.example.com');
    const run = await scepclient('device1.example.com', challenge);
    expect(run.code, run.out + logLines.join('\n')).to.equal(0);
    expect(run.certificatePem).to.match(/^-----BEGIN CERTIFICATE-----/);

    const chain = await (await fetch(`${base}/api/ca/chain`)).text();
    const [issuing, root] = chain.split(/(?<=-----END CERTIFICATE-----)\n/).map((p) => p.trim());
    const crl = await (await fetch(`${base}/api/crl?format=pem`)).text();
    const verified = await verifyWithChain(run.certificatePem!, { issuing: `${issuing!}\n`, root: `${root!}\n` }, crl);
    expect(verified.code, verified.out).to.equal(0);

    const x509 = new (await import('node:crypto')).X509Certificate(run.certificatePem!);
    expect(x509.subject).to.include('CN=device1.example.com');
    expect(x509.subjectAltName).to.equal('DNS:device1.example.com');
    const serial = x509.serialNumber.toLowerCase().replace(/^0+/, '');
    const { rows } = await t.pool.query<{ id: number; state: string; asset_id: number; serial: string }>(
      "SELECT id, state, asset_id, serial FROM certificates WHERE ltrim(serial, '0') = $1",
      [serial],
    );
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ state: 'Valid', asset_id: assetId });
    const history = await auditHistory(t.pool, 'certificate', rows[0]!.id);
    expect(history.map((h) => h.reason).join(' ')).to.include(registrationId);
    const atCa = await t.pool.query("SELECT status FROM ca_certificates WHERE ltrim(serial, '0') = $1", [serial]);
    expect(atCa.rows).to.deep.equal([{ status: 'valid' }]);

    // The challenge is one-time: a second enrollment with it is refused.
    const again = await scepclient('device1.example.com', challenge);
    expect(again.code).to.not.equal(0);
    expect(again.out).to.match(/failInfo: badRequest/);
    expect(again.certificatePem).to.equal(undefined);
  });

  it('when scepclient sends an unknown challenge or one for another name, then it is refused and nothing is issued', async () => {
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM ca_certificates')).rows[0].n as number;
    const unknown = await scepclient('device2.example.com', 'not-a-registered-challenge-000000');
    expect(unknown.code).to.not.equal(0);
    expect(unknown.out).to.match(/failInfo: badRequest/);
    const { challenge } = await register('device3.example.com');
    const otherName = await scepclient('device4.example.com', challenge);
    expect(otherName.out).to.match(/failInfo: badRequest/);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM ca_certificates')).rows[0].n).to.equal(before);
    // The refusal for another name did not use the challenge up.
    expect((await scepclient('device3.example.com', challenge)).code).to.equal(0);
  });

  it('when the registration is deregistered, then its challenge is refused', async () => {
    const { challenge, registrationId } = await register('device5.example.com');
    await t.ca.deregisterScep({ idempotencyKey: jobKey(), registrationId });
    const run = await scepclient('device5.example.com', challenge);
    expect(run.code).to.not.equal(0);
    expect(run.out).to.match(/failInfo: badRequest/);
    expect(logLines.join('\n')).to.not.include(challenge);
  });
});
