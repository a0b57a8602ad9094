/**
 * The P10 CSR as a file (issue 18.13), without an engine: what the API refuses before it asks
 * the engine — the request that takes no CSR (404/409), the body that is no CSR file (415, 413,
 * 400 with the reason, as "Check the CSR" would give it) — and that a good file in each form
 * (DER, PEM, PEM with text around it, multipart) gets past every check to the engine, which
 * this API has not (503). Completing the task is the engine suite's (processes/csr-upload.spec.ts).
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { buildCsr } from '../../../src/ca/csr-builder';
import { createCertificate } from '../../../src/store/certificates';
import { createRequest, relateToCertificate } from '../../../src/store/requests';
import { signedInApi, type Problem, type SignedInApi } from '../../support/signed-in-api';
import { testCa } from '../ca/support';
import { aProfile, aValidCertificate, actor, anAsset } from '../store/fixtures';

const rsa = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const pemOf = (der: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;

describe('API: a P10 CSR uploaded as a file, checked before the engine (issue 18.13)', () => {
  let api: SignedInApi;
  let pool: Pool;
  let p10: number;
  let lock: number;
  let p12: number;
  const good = buildCsr({ keyPair: rsa(), commonName: 'web.example.com', dnsNames: ['web.example.com'] });

  before(async () => {
    pool = (await testCa()).db.pool;
    api = await signedInApi({ operator: { email: 'operator@example.com' }, agent1: { email: null } });
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['example.com'] });
    const asset = await anAsset(pool);
    // As enroll.prepare leaves it: the request of the use case's instance, with its certificate object.
    const request = await createRequest(
      pool,
      { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator', profileId: profile.id, assetId: asset.id, details: { protocol: 'P10' }, processInstanceKey: '2251799813685249' },
      actor,
    );
    const cert = await createCertificate(pool, { state: 'Certificate requested', profileId: profile.id, assetId: asset.id, subject: 'CN=web.example.com' }, actor);
    await relateToCertificate(pool, request.id, cert.id, actor);
    p10 = request.id;
    const held = await aValidCertificate(pool);
    lock = (await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator', certificateId: held.id, profileId: profile.id }, actor)).id;
    const p12Profile = await aProfile(pool, { protocol: 'P12', extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: [] });
    p12 = (await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator', profileId: p12Profile.id, details: { protocol: 'P12' }, processInstanceKey: '2251799813685250' }, actor)).id;
  });
  after(() => api.close());

  /** POSTs `body` as `type` to the request's csr route as operator. */
  async function upload(id: number, body: RequestInit['body'], type?: string): Promise<{ status: number; body: Problem }> {
    const res = await fetch(`${api.base}/api/requests/${id}/csr`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('operator:operator').toString('base64')}`, ...(type ? { 'content-type': type } : {}) },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Problem };
  }

  it('when the request is unknown, a lock request or a P12 enrollment, then 404 or 409 saying only a P10 enrollment takes a CSR', async () => {
    expect((await upload(999999999, good, 'application/pkcs10')).status).to.equal(404);
    const locked = await upload(lock, good, 'application/pkcs10');
    expect(locked.status).to.equal(409);
    expect(locked.body.detail).to.equal(`request ${lock} is a lock request: only a P10 enrollment takes a CSR file`);
    const other = await upload(p12, good, 'application/pkcs10');
    expect(other.status).to.equal(409);
    expect(other.body.detail).to.contain('an enrollment of a P12 profile');
    expect((await api.call('GET', `/api/requests/${lock}/csr`, 'operator')).status).to.equal(409);
  });

  it('when the body is JSON or an image, then 415 naming the media types it takes', async () => {
    const json = await upload(p10, JSON.stringify({ csr: pemOf(good) }), 'application/json');
    expect(json.status).to.equal(415);
    expect(json.body.detail).to.contain('application/pkcs10').and.contain('multipart/form-data');
    expect((await upload(p10, Buffer.from('GIF89a'), 'image/gif')).status).to.equal(415);
  });

  it('when the file is empty, not a CSR, a certificate, forged or larger than any CSR, then 400 or 413 with the reason a person can act on', async () => {
    const empty = await upload(p10, Buffer.alloc(0), 'application/pkcs10');
    expect(empty.status).to.equal(400);
    expect(empty.body.detail).to.match(/the upload is empty/);
    const text = await upload(p10, 'hello, this is my CSR', 'text/plain');
    expect(text.status).to.equal(400);
    expect(text.body.detail).to.match(/not a valid certificate signing request.*neither PEM nor DER/);
    const { issuing } = await (await testCa()).ca.caCertificates();
    const wrongPem = await upload(p10, issuing, 'application/x-pem-file');
    expect(wrongPem.status).to.equal(400);
    expect(wrongPem.body.detail).to.contain('it is a PEM "CERTIFICATE", not a "CERTIFICATE REQUEST"');
    const forged = Buffer.from(good);
    forged[forged.length - 5]! ^= 0xff;
    const bad = await upload(p10, forged, 'application/pkcs10');
    expect(bad.status).to.equal(400);
    expect(bad.body.detail).to.match(/signature/i);
    const large = await upload(p10, Buffer.alloc(70 * 1024, 0x41), 'application/octet-stream');
    expect(large.status).to.equal(413);
    expect(large.body.detail).to.match(/at most 65536 bytes; this one has 71680/);
    const huge = await upload(p10, Buffer.alloc(1024 * 1024, 0x41), 'application/octet-stream');
    expect(huge.status).to.equal(413);
    expect(huge.body.detail).to.match(/at most 65536 bytes/);
  });

  it('when the CSR is sound but the profile refuses it (an EC key for an RSA profile, a DNS name outside the domain policy), then 400 with the CA\'s reason', async () => {
    const ec = buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: 'web.example.com', dnsNames: ['web.example.com'] });
    const wrongKey = await upload(p10, ec, 'application/pkcs10');
    expect(wrongKey.status).to.equal(400);
    expect(wrongKey.body.detail).to.match(/RSA/);
    const outside = await upload(p10, buildCsr({ keyPair: rsa(), commonName: 'web.example.net', dnsNames: ['web.example.net'] }), 'application/pkcs10');
    expect(outside.status).to.equal(400);
    expect(outside.body.detail).to.contain('web.example.net');
  });

  it('when a multipart body has no CSR file or cannot be read, then 400 saying so', async () => {
    const form = new FormData();
    form.set('comment', 'no file here');
    const noFile = await fetch(`${api.base}/api/requests/${p10}/csr`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('operator:operator').toString('base64')}` }, body: form });
    expect(noFile.status).to.equal(400);
    expect(((await noFile.json()) as Problem).detail).to.equal('the multipart/form-data body has no field "csr" with the CSR file');
    const broken = await upload(p10, 'not a multipart body', 'multipart/form-data; boundary=xyz');
    expect(broken.status).to.equal(400);
    expect(broken.body.detail).to.equal('the multipart/form-data body cannot be read');
  });

  it('when a good CSR comes as DER, as PEM, as PEM with text around it or in a multipart form, then it passes every check and only the engine is missing (503)', async () => {
    expect((await upload(p10, good, 'application/pkcs10')).status, 'DER').to.equal(503);
    expect((await upload(p10, pemOf(good), 'application/x-pem-file')).status, 'PEM').to.equal(503);
    expect((await upload(p10, `Certificate Request:\n    Data: ...\n${pemOf(good)}`, 'text/plain')).status, 'PEM with text').to.equal(503);
    expect((await upload(p10, good, 'application/octet-stream')).status, 'DER as octet-stream').to.equal(503);
    const form = new FormData();
    form.set('csr', new Blob([good], { type: 'application/pkcs10' }), 'server.csr');
    const multipart = await fetch(`${api.base}/api/requests/${p10}/csr`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('operator:operator').toString('base64')}` }, body: form });
    expect(multipart.status, 'multipart').to.equal(503);
    expect((await api.call('GET', `/api/requests/${p10}/csr`, 'operator')).status).to.equal(503);
  });
});
