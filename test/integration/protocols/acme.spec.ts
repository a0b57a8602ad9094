/**
 * The ACME server with the stock Debian clients lego and certbot (issue 12.4), against the
 * application on loopback (plain http; the clients accept an http directory). Registrations are
 * made through the CA as AssetsSubProcEnrollACMEProfile makes them; no engine is needed.
 * http-01 validation connects to 127.0.0.1 on the port the client serves the challenge on.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Caller } from '../../../src/api/identity';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { recordRegistration } from '../../../src/store/registrations';
import { toCaProfile } from '../../../src/ca/store-profile';
import { createAsset } from '../../../src/store/assets';
import { auditHistory } from '../../../src/store/audit';
import { getProfile } from '../../../src/store/profiles';
import { testCa, verifyWithChain, jobKey, type TestCa } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';
import { CERTBOT, LEGO } from '../../support/protocol-clients';
import { serveTestApp, type TestApp } from '../../support/test-app';

const user = (username: string, groups: string[] = []): Caller => ({ username, displayName: username, email: `${username}@example.com`, roles: [], groups, isAdmin: false });
/** Sign-in (user = password) for the deregistration action: the assets' owner and a certificate agent. */
const USERS: Record<string, Caller> = { owner: user('owner'), agent1: user('agent1', ['workplace-certificate-agent']) };

/** A free loopback port (for the clients' http-01 servers). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Runs a client; never rejects on a non-zero exit. */
function runClient(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('ACME with lego and certbot (issue 12)', function () {
  this.timeout(240_000);
  let t: TestCa;
  let app: TestApp;
  let base: string;
  let http01Port: number;
  let profileId: number;
  let work: string;

  before(async () => {
    t = await testCa();
    http01Port = await freePort();
    app = await serveTestApp({
      users: USERS,
      acme: { bindings: (keyId) => t.ca.lookupAcmeBinding(keyId), http01: { port: http01Port, host: '127.0.0.1', timeoutMs: 5000 } },
    });
    base = app.base;
    profileId = (await aProfile(t.db.pool, { protocol: 'ACME', keyAlgorithm: 'RSA', minKeySize: 2048, allowedDnsSuffixes: ['example.com'] })).id;
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-acme-'));
  });
  after(async () => {
    await app.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const directory = (): string => `${base}/acme/${profileId}/directory`;

  /**
   * An asset with DNS names, its ACME registration at the CA and the certificate object in
   * 'Registered', as AssetsSubProcEnrollACMEProfile leaves them.
   */
  async function aRegistration(onProfile = profileId) {
    const host = `www-${crypto.randomBytes(4).toString('hex')}.example.com`;
    const asset = await createAsset(t.db.pool, { name: host, dnsNames: [host], commonName: host, ownerEmail: 'owner@example.com' }, actor);
    const profile = await getProfile(t.db.pool, onProfile);
    const r = await t.ca.registerAcme({ idempotencyKey: jobKey(), assetRef: `asset:${asset.id}`, profile: toCaProfile(profile), dnsNames: [host] });
    const cert = await createCertificate(t.db.pool, { state: 'Requested', profileId: onProfile, assetId: asset.id, subject: `CN=${host}`, dnsNames: [host] }, actor);
    await recordRegistration(t.db.pool, { certificateId: cert.id, protocol: 'ACME', registrationId: r.registrationId });
    await transitionCertificate(t.db.pool, cert.id, 'Registered', actor);
    return { host, asset, certificateId: cert.id, registrationId: r.registrationId, kid: r.keyId, hmac: r.hmacKey! };
  }

  /** The deregistration action of the API (issue 12.3), signed in as `username`. */
  const deregister = (certificateId: number, username: string) =>
    fetch(`${base}/api/certificates/${certificateId}/deregister`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${username}:${username}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'server retired' }),
    });

  /** The certificate a client obtained is the CA's, valid against chain and CRL, and the store's object shows it. */
  async function expectIssued(pem: string, host: string, assetId: number) {
    const x509 = new crypto.X509Certificate(pem);
    expect(x509.subjectAltName).to.equal(`DNS:${host}`);
    const chain = await t.ca.caCertificates();
    const verified = await verifyWithChain(pem, chain, (await t.ca.currentCrl()).pem);
    expect(verified.code, verified.out).to.equal(0);
    const serial = x509.serialNumber.toLowerCase().replace(/^0+/, '');
    const { rows } = await t.db.pool.query<{ id: string; state: string; asset_id: string; profile_id: string }>(
      "SELECT id, state, asset_id, profile_id FROM certificates WHERE ltrim(serial, '0') = $1",
      [serial],
    );
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ state: 'Valid' });
    expect(Number(rows[0]!.asset_id)).to.equal(assetId);
    expect(Number(rows[0]!.profile_id)).to.equal(profileId);
    const history = await auditHistory(t.db.pool, 'certificate', Number(rows[0]!.id));
    expect(history.map((h) => h.toState)).to.include.members(['Certificate requested', 'Valid']);
    return Number(rows[0]!.id);
  }

  describe('lego', () => {
    const lego = (dir: string, host: string, eab: string[], command = 'run') =>
      runClient(LEGO.executable, [
        '--accept-tos', '--server', directory(), '--email', 'admin@example.com', '--domains', host, ...eab,
        '--http', '--http.port', `127.0.0.1:${http01Port}`, '--key-type', 'rsa2048', '--path', dir, command,
      ]);

    it('when lego runs with the EAB of a registration, then it obtains a certificate that openssl verifies and the store shows', async () => {
      const reg = await aRegistration();
      const dir = path.join(work, `lego-${reg.host}`);
      const r = await lego(dir, reg.host, ['--eab', '--kid', reg.kid, `--hmac=${reg.hmac}`]);
      expect(r.code, r.out).to.equal(0);
      const pem = fs.readFileSync(path.join(dir, 'certificates', `${reg.host}.crt`), 'utf8');
      await expectIssued(pem, reg.host, reg.asset.id);
    });

    it('when lego revokes its certificate, then the store shows it revoked and openssl finds it on the CRL', async () => {
      const reg = await aRegistration();
      const dir = path.join(work, `lego-revoke-${reg.host}`);
      const eab = ['--eab', '--kid', reg.kid, `--hmac=${reg.hmac}`];
      expect((await lego(dir, reg.host, eab)).code).to.equal(0);
      const pem = fs.readFileSync(path.join(dir, 'certificates', `${reg.host}.crt`), 'utf8');
      const certificateId = await expectIssued(pem, reg.host, reg.asset.id);
      const r = await runClient(LEGO.executable, ['--server', directory(), '--email', 'admin@example.com', '--domains', reg.host, ...eab, '--path', dir, 'revoke', '--reason', '1']);
      expect(r.code, r.out).to.equal(0);
      expect((await getCertificate(t.db.pool, certificateId)).state).to.equal('Key compromised');
      const verified = await verifyWithChain(pem, await t.ca.caCertificates(), (await t.ca.currentCrl()).pem);
      expect(verified.code).to.not.equal(0);
      expect(verified.out).to.match(/certificate revoked/);
    });

    it('when lego runs without EAB, then no account is created', async () => {
      const reg = await aRegistration();
      const r = await lego(path.join(work, `lego-noeab-${reg.host}`), reg.host, []);
      expect(r.code).to.not.equal(0);
      expect(r.out).to.match(/external account/i);
      expect((await t.db.pool.query('SELECT 1 FROM acme_accounts WHERE binding_id = $1', [reg.registrationId])).rowCount).to.equal(0);
    });

    it('when lego runs with a wrong HMAC key, then the server refuses the account (unauthorized)', async () => {
      const reg = await aRegistration();
      const r = await lego(path.join(work, `lego-badmac-${reg.host}`), reg.host, ['--eab', '--kid', reg.kid, `--hmac=${crypto.randomBytes(32).toString('base64url')}`]);
      expect(r.code).to.not.equal(0);
      expect(r.out).to.contain('urn:ietf:params:acme:error:unauthorized');
      expect((await t.db.pool.query('SELECT 1 FROM acme_accounts WHERE binding_id = $1', [reg.registrationId])).rowCount).to.equal(0);
    });

    it("when lego orders a DNS name that is not the registration asset's, then the order is refused (rejectedIdentifier)", async () => {
      const reg = await aRegistration();
      const r = await lego(path.join(work, `lego-foreign-${reg.host}`), `other-${reg.host}`, ['--eab', '--kid', reg.kid, `--hmac=${reg.hmac}`]);
      expect(r.code).to.not.equal(0);
      expect(r.out).to.contain('urn:ietf:params:acme:error:rejectedIdentifier');
    });

    it('when the registration is deregistered, then its account and its EAB are refused', async () => {
      const reg = await aRegistration();
      const dir = path.join(work, `lego-dereg-${reg.host}`);
      const eab = ['--eab', '--kid', reg.kid, `--hmac=${reg.hmac}`];
      expect((await lego(dir, reg.host, eab)).code).to.equal(0);
      const res = await deregister(reg.certificateId, 'owner');
      expect(res.status, await res.clone().text()).to.equal(200);
      expect((await res.json()) as { state: string }).to.include({ state: 'Deregistered' });
      const again = await lego(dir, reg.host, eab);
      expect(again.code).to.not.equal(0);
      expect(again.out).to.contain('urn:ietf:params:acme:error:unauthorized');
      const fresh = await lego(path.join(work, `lego-dereg2-${reg.host}`), reg.host, eab);
      expect(fresh.code).to.not.equal(0);
      expect(fresh.out).to.contain('urn:ietf:params:acme:error:unauthorized');
    });
  });

  describe('deregistration (issue 12.3)', () => {
    it('when the owner deregisters, then the object is Deregistered with who and why in its history, and the CA refuses the EAB', async () => {
      const reg = await aRegistration();
      expect(await t.ca.lookupAcmeBinding(reg.kid)).to.not.equal(undefined);
      const res = await deregister(reg.certificateId, 'owner');
      expect(res.status).to.equal(200);
      expect((await getCertificate(t.db.pool, reg.certificateId)).state).to.equal('Deregistered');
      const last = (await auditHistory(t.db.pool, 'certificate', reg.certificateId)).at(-1)!;
      expect(last).to.include({ fromState: 'Registered', toState: 'Deregistered', actor: 'owner', reason: 'server retired' });
      expect(await t.ca.lookupAcmeBinding(reg.kid)).to.equal(undefined);
      // A second deregistration is a state conflict, and changes nothing.
      expect((await deregister(reg.certificateId, 'owner')).status).to.equal(409);
    });

    it('when someone who is neither owner, agent nor admin deregisters, then 403 and the registration stays', async () => {
      USERS.stranger = user('stranger');
      const reg = await aRegistration();
      expect((await deregister(reg.certificateId, 'stranger')).status).to.equal(403);
      expect((await getCertificate(t.db.pool, reg.certificateId)).state).to.equal('Registered');
      expect(await t.ca.lookupAcmeBinding(reg.kid)).to.not.equal(undefined);
    });

    it('when the profile requires approval, then the owner alone is refused and an approver deregisters', async () => {
      const strict = await aProfile(t.db.pool, { protocol: 'ACME', allowedDnsSuffixes: ['example.com'], revocationApprovalRequired: true });
      const reg = await aRegistration(strict.id);
      const refused = await deregister(reg.certificateId, 'owner');
      expect(refused.status).to.equal(403);
      expect(await refused.text()).to.contain('requires approval');
      expect((await getCertificate(t.db.pool, reg.certificateId)).state).to.equal('Registered');
      expect((await deregister(reg.certificateId, 'agent1')).status).to.equal(200);
      expect(await t.ca.lookupAcmeBinding(reg.kid)).to.equal(undefined);
    });
  });

  describe('certbot', () => {
    const certbot = (dir: string, host: string, eab: string[]) =>
      runClient(CERTBOT.executable, [
        'certonly', '--non-interactive', '--agree-tos', '--email', 'admin@example.com', '--server', directory(),
        '--standalone', '--http-01-address', '127.0.0.1', '--http-01-port', String(http01Port), '-d', host, ...eab,
        '--key-type', 'rsa', '--rsa-key-size', '2048',
        '--config-dir', path.join(dir, 'config'), '--work-dir', path.join(dir, 'work'), '--logs-dir', path.join(dir, 'logs'),
      ]);

    it('when certbot runs with the EAB of a registration, then it obtains a certificate that openssl verifies and the store shows', async () => {
      const reg = await aRegistration();
      const dir = path.join(work, `certbot-${reg.host}`);
      const r = await certbot(dir, reg.host, ['--eab-kid', reg.kid, `--eab-hmac-key=${reg.hmac}`]);
      expect(r.code, r.out).to.equal(0);
      const pem = fs.readFileSync(path.join(dir, 'config', 'live', reg.host, 'cert.pem'), 'utf8');
      await expectIssued(pem, reg.host, reg.asset.id);
    });

    it('when certbot runs without EAB, then no account is created', async () => {
      const reg = await aRegistration();
      const r = await certbot(path.join(work, `certbot-noeab-${reg.host}`), reg.host, []);
      expect(r.code).to.not.equal(0);
      expect(r.out).to.match(/external account/i);
      expect((await t.db.pool.query('SELECT 1 FROM acme_accounts WHERE binding_id = $1', [reg.registrationId])).rowCount).to.equal(0);
    });

    it('when certbot runs with a wrong HMAC key, then the server refuses the account', async () => {
      const reg = await aRegistration();
      const r = await certbot(path.join(work, `certbot-badmac-${reg.host}`), reg.host, ['--eab-kid', reg.kid, `--eab-hmac-key=${crypto.randomBytes(32).toString('base64url')}`]);
      expect(r.code).to.not.equal(0);
      expect(r.out).to.match(/HMAC key/);
      expect((await t.db.pool.query('SELECT 1 FROM acme_accounts WHERE binding_id = $1', [reg.registrationId])).rowCount).to.equal(0);
    });

    it("when certbot asks for a DNS name that is not the registration asset's, then the order is refused", async () => {
      const reg = await aRegistration();
      const r = await certbot(path.join(work, `certbot-foreign-${reg.host}`), `other-${reg.host}`, ['--eab-kid', reg.kid, `--eab-hmac-key=${reg.hmac}`]);
      expect(r.code).to.not.equal(0);
      // Debian's certbot 2.1 then fails on its own error report (josepy's immutable error on Python 3.11,
      // "AttributeError: can't set attribute"); its log has the server's problem document.
      const log = fs.readFileSync(path.join(work, `certbot-foreign-${reg.host}`, 'logs', 'letsencrypt.log'), 'utf8');
      expect(log).to.contain('urn:ietf:params:acme:error:rejectedIdentifier').and.contain('is not a DNS name of this registration');
    });

    it('when the registration is deregistered, then certbot is refused', async () => {
      const reg = await aRegistration();
      expect((await deregister(reg.certificateId, 'owner')).status).to.equal(200);
      const r = await certbot(path.join(work, `certbot-dereg-${reg.host}`), reg.host, ['--eab-kid', reg.kid, `--eab-hmac-key=${reg.hmac}`]);
      expect(r.code).to.not.equal(0);
      expect(r.out).to.match(/deregistered/);
    });
  });
});
