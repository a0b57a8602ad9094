/**
 * Downloads over HTTP, on the run's database and CA: a certificate names its holder, so it needs
 * sign-in (issue 17.18), while the CRL and the CA chain stay public; a one-time secret opens only
 * for the signed-in person it is for, and only on an explicit POST (issues 17.7, 17.8).
 *
 * Sign-in here is a fixed user directory instead of the engine's identity (as in the routing
 * suite): these routes only need to know who signs in, and the suite must not need an engine.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { SIGN_IN_LIMITS } from '../../../src/api/sign-in-limit';
import type { Caller } from '../../../src/api/identity';
import { buildCsr } from '../../../src/ca/csr-builder';
import { createCertificate } from '../../../src/store/certificates';
import { createSecretLink } from '../../../src/store/secret-links';
import { testCa, openssl, tmpFile, ecProfile, jobKey, webProfile, type TestCa } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';
import { serveTestApp, type TestApp } from '../../support/test-app';

const user = (username: string): Caller => ({ username, displayName: username, email: `${username}@example.com`, roles: [], groups: [], isAdmin: false });
const USERS: Record<string, Caller> = { operator: user('operator'), agent1: user('agent1') };

describe('API: downloads', () => {
  let app: TestApp;
  let base: string;
  let t: TestCa;
  const logLines: string[] = [];

  /** An API on a free port, signing in from a fixed directory (user = password). */
  const startApp = () => serveTestApp({ users: USERS, log: (line) => logLines.push(line) });

  before(async () => {
    t = await testCa();
    app = await startApp();
    base = app.base;
  });
  after(async () => {
    await app.close();
  });

  const as = (username: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${username}:${username}`).toString('base64')}` });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

  async function anIssuedCertificate(commonName: string) {
    const profile = await aProfile(t.db.pool, { keyAlgorithm: 'EC', minKeySize: 256 });
    const csr = buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName, dnsNames: [commonName] });
    const issued = await t.ca.issueFromCsr({ idempotencyKey: jobKey(), csr, profile: ecProfile });
    const cert = await createCertificate(t.db.pool, { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
    return { cert, issued };
  }

  describe('certificates need sign-in; CRL and CA chain stay public (issue 17.18)', () => {
    it('when a certificate is asked for without sign-in, by id or by walking the ids, then 401 and nothing about it comes back', async () => {
      const { cert } = await anIssuedCertificate('holder.example.com');
      for (const id of [cert.id, cert.id - 1, cert.id + 1]) {
        for (const format of ['pem', 'der', 'chain']) {
          const res = await get(`/api/certificates/${id}/download?format=${format}`);
          expect(res.status, `${id} ${format}`).to.equal(401);
          expect(await res.text()).to.not.contain('holder.example.com').and.not.contain('BEGIN CERTIFICATE');
        }
      }
    });

    it('when a signed-in user downloads an issued certificate as PEM, DER and chain, then openssl reads each and verifies the chain', async () => {
      const { cert, issued } = await anIssuedCertificate('dl.example.com');
      const pem = await (await get(`/api/certificates/${cert.id}/download?format=pem`, as('operator'))).text();
      expect(pem.trim()).to.equal(issued.certificatePem.trim());
      const der = Buffer.from(await (await get(`/api/certificates/${cert.id}/download?format=der`, as('operator'))).arrayBuffer());
      expect((await openssl(['x509', '-inform', 'DER', '-in', tmpFile('c.der', der), '-noout', '-subject'])).out).to.contain('dl.example.com');
      const chain = await (await get(`/api/certificates/${cert.id}/download?format=chain`, as('operator'))).text();
      const { root } = await t.ca.caCertificates();
      const verify = await openssl(['verify', '-CAfile', tmpFile('root.pem', root), '-untrusted', tmpFile('chain.pem', chain), tmpFile('leaf.pem', pem)]);
      expect(verify.code, verify.out).to.equal(0);
      expect((await get(`/api/certificates/${cert.id}/download?format=p7b`, as('operator'))).status).to.equal(400);
      expect((await get('/api/certificates/abc/download', as('operator'))).status).to.equal(400);
    });

    it('when the CRL and the CA chain are fetched without sign-in, then both answer (public distribution)', async () => {
      const crl = await get('/api/crl?format=pem');
      expect(crl.status).to.equal(200);
      expect(await crl.text()).to.contain('BEGIN X509 CRL');
      const chain = await get('/api/ca/chain');
      expect(chain.status).to.equal(200);
      expect((await chain.text()).match(/BEGIN CERTIFICATE/g)).to.have.length(2);
    });
  });
  describe('one-time secrets: signed in, for the person they are for; looking never uses one up (issues 17.7, 17.8, 17.10)', () => {
    async function aPkcs12Link(owner = 'operator') {
      const generated = await t.ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'p12.example.com' });
      const link = await createSecretLink(t.db.pool, t.masterKey, { kind: 'pkcs12', subjectRef: 'certificate:x', owner, ttlMinutes: 5, payload: { pkcs12Id: generated.pkcs12Id, password: generated.password } });
      return { link, password: generated.password! };
    }
    const post = (id: string, headers: Record<string, string>) => fetch(`${base}/api/secret-links/${id}`, { method: 'POST', headers });

    it('when the owner looks at the page (GET, HEAD, again), then it shows what it is and a button, no secret, and nothing is used up; the POST hands it out once (issue 17.8)', async () => {
      const { link, password } = await aPkcs12Link();
      const head = await fetch(`${base}/api/secret-links/${link.id}`, { method: 'HEAD', headers: as('operator') });
      expect(head.status).to.equal(200);
      for (let i = 0; i < 2; i++) {
        const res = await get(`/api/secret-links/${link.id}`, { ...as('operator'), accept: 'text/html' });
        expect(res.status).to.equal(200);
        expect(res.headers.get('cache-control')).to.equal('no-store');
        const html = await res.text();
        expect(html).to.contain('<form method="post">').and.contain('Show the password and download the file');
        expect(html).to.not.contain(password);
      }
      expect(await (await get(`/api/secret-links/${link.id}`, { ...as('operator'), accept: 'application/json' })).json()).to.include({ state: 'waiting', kind: 'pkcs12' });

      const res = await post(link.id, { ...as('operator'), accept: 'application/json' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const body = (await res.json()) as { password: string; pkcs12: string };
      expect(body.password).to.equal(password);
      const info = await openssl(['pkcs12', '-info', '-noout', '-in', tmpFile('l.p12', Buffer.from(body.pkcs12, 'base64')), '-passin', `pass:${body.password}`]);
      expect(info.code, info.out).to.equal(0);
      expect((await post(link.id, { ...as('operator'), accept: 'application/json' })).status).to.equal(410);
    });

    it('when the owner opens it, then who and from where are recorded, and the page says so afterwards (issue 17.10)', async () => {
      const { link } = await aPkcs12Link();
      expect((await post(link.id, as('operator'))).status).to.equal(200);
      const after = (await (await get(`/api/secret-links/${link.id}`, { ...as('operator'), accept: 'application/json' })).json()) as Record<string, unknown>;
      expect(after).to.include({ state: 'used', redeemedBy: 'operator' });
      expect(String(after.redeemedFrom)).to.match(/127\.0\.0\.1/);
      expect(await (await get(`/api/secret-links/${link.id}`, as('operator'))).text()).to.contain('to operator from');
    });

    it('when someone else signed in asks for the owner\'s secret, then it does not exist for them (404) and it still waits (issue 17.7)', async () => {
      const { link } = await aPkcs12Link('operator');
      expect((await get(`/api/secret-links/${link.id}`, as('agent1'))).status).to.equal(404);
      expect((await post(link.id, as('agent1'))).status).to.equal(404);
      expect(((await (await get('/api/secret-links', as('agent1'))).json()) as Array<{ id: string }>).map((l) => l.id)).to.not.include(link.id);
      const mine = (await (await get('/api/secret-links', as('operator'))).json()) as Array<{ id: string; state: string }>;
      expect(mine.find((l) => l.id === link.id)).to.include({ state: 'waiting' });
    });

    it('when a POST comes from another site\'s page with the owner\'s saved sign-in, then 403 and the secret still waits', async () => {
      const { link } = await aPkcs12Link();
      expect((await post(link.id, { ...as('operator'), origin: 'https://evil.example' })).status).to.equal(403);
      expect((await post(link.id, { ...as('operator'), 'sec-fetch-site': 'cross-site' })).status).to.equal(403);
      expect((await post(link.id, { ...as('operator'), origin: base, 'sec-fetch-site': 'same-origin', accept: 'application/json' })).status).to.equal(200);
    });

    it('when a SCEP challenge is opened in a browser, then its page shows it once, escaped', async () => {
      const link = await createSecretLink(t.db.pool, t.masterKey, { kind: 'scep-challenge', subjectRef: 'asset:1', owner: 'operator', ttlMinutes: 5, payload: { registrationId: 'r', challengePassword: 'ch4llenge-<b>' } });
      expect(await (await get(`/api/secret-links/${link.id}`, as('operator'))).text()).to.contain('Show the challenge password').and.not.contain('ch4llenge');
      const html = await (await post(link.id, { ...as('operator'), accept: 'text/html' })).text();
      expect(html).to.contain('SCEP challenge password').and.contain('ch4llenge-&#60;b&#62;').and.contain('Shown once');
      expect((await post(link.id, as('operator'))).status).to.equal(410);
    });

    it('when a link id is unknown or malformed, then 404 or 400', async () => {
      expect((await get(`/api/secret-links/${crypto.randomUUID()}`, as('operator'))).status).to.equal(404);
      expect((await post(crypto.randomUUID(), as('operator'))).status).to.equal(404);
      expect((await get('/api/secret-links/short', as('operator'))).status).to.equal(400);
    });
  });
  describe('the limit on failed sign-ins counts failures only', () => {
    it('when 30 signed-in requests come at once from one address (a burst of secret downloads), then none is refused', async () => {
      const links = await Promise.all(Array.from({ length: 30 }, () => createSecretLink(t.db.pool, t.masterKey, { kind: 'scep-challenge', subjectRef: 'asset:2', owner: 'operator', ttlMinutes: 5, payload: { challengePassword: 'c' } })));
      const statuses = await Promise.all(links.map((l) => fetch(`${base}/api/secret-links/${l.id}`, { method: 'POST', headers: as('operator') }).then((r) => r.status)));
      expect(statuses).to.deep.equal(links.map(() => 200));
    });

    it('when requests bring no credentials yet (a browser\'s first), then they do not count; wrong passwords do, and the attempt past the limit is refused before it is checked', async () => {
      const own = await startApp();
      try {
        const wrong = { authorization: `Basic ${Buffer.from('operator:wrong').toString('base64')}` };
        for (let i = 0; i < 25; i++) expect((await fetch(`${own.base}/api/assets`)).status).to.equal(401);
        expect((await fetch(`${own.base}/api/secret-links`, { headers: as('operator') })).status).to.equal(200);
        for (let i = 0; i < SIGN_IN_LIMITS.perAddressAndAccount; i++) expect((await fetch(`${own.base}/api/assets`, { headers: wrong })).status, `failure ${i + 1}`).to.equal(401);
        expect((await fetch(`${own.base}/api/assets`, { headers: wrong })).status).to.equal(429);
        // Another app in the same process keeps its own count.
        expect((await fetch(`${base}/api/secret-links`, { headers: as('operator') })).status).to.equal(200);
      } finally {
        await own.close();
      }
    });
  });
});
