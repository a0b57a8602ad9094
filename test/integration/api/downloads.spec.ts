/**
 * Downloads over HTTP, on the run's database and CA: a certificate names its holder, so it needs
 * sign-in (issue 17.18), while the CRL and the CA chain stay public.
 *
 * Sign-in here is a fixed user directory instead of the engine's identity (as in the routing
 * suite): these routes only need to know who signs in, and the suite must not need an engine.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { createApp } from '../../../src/api/app';
import type { Caller } from '../../../src/api/identity';
import { buildCsr } from '../../../src/ca/csr-builder';
import type { ProcessEngine } from '../../../src/engine/processes';
import { createCertificate } from '../../../src/store/certificates';
import { testCa, openssl, tmpFile, ecProfile, jobKey, type TestCa } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

const user = (username: string): Caller => ({ username, displayName: username, email: `${username}@example.com`, roles: [], groups: [], isAdmin: false });
const USERS: Record<string, Caller> = { operator: user('operator'), agent1: user('agent1') };

describe('API: downloads', () => {
  let server: Server;
  let base: string;
  let t: TestCa;
  const logLines: string[] = [];

  before(async () => {
    t = await testCa();
    const notStarted = async (): Promise<never> => {
      throw new Error('no process is started in this suite');
    };
    const app = createApp({
      pool: t.db.pool,
      ca: t.ca,
      sealer: t.masterKey,
      identity: { verify: async (u, p) => (USERS[u] && p === u ? USERS[u] : null) },
      processes: { start: notStarted, cancel: notStarted } as ProcessEngine,
      tasklistUrl: 'http://tasklist.invalid',
      log: (line) => logLines.push(line),
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
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
});
