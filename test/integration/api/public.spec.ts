/**
 * The API's public routes and its edge, over HTTP on a real server and database: health,
 * OpenAPI, one-time secret links, sign-in required, malformed bodies (certificate downloads,
 * which need sign-in, are in downloads.spec.ts).
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { createSecretLink } from '../../../src/store/secret-links';
import { testApi, type TestApi } from '../../support/api';
import { testCa, openssl, tmpFile, webProfile, jobKey } from '../ca/support';

describe('API: public routes and the edge', () => {
  let api: TestApi;
  before(async () => {
    api = await testApi();
  });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.base}${path}`, { headers });

  it('when health and the OpenAPI document are asked, then both answer without sign-in', async () => {
    expect(await (await get('/api/health')).json()).to.deep.equal({ status: 'UP' });
    const doc = (await (await get('/api/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).to.equal('3.1.0');
    expect(Object.keys(doc.paths)).to.include.members(['/api/assets', '/api/cards/{id}/use-cases/{useCase}', '/api/secrets/{token}']);
  });

  it('when an object route is called without credentials, then 401 with a Basic challenge', async () => {
    const res = await get('/api/assets');
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Basic realm="Workplace PKI"/);
    expect(((await res.json()) as { detail: string }).detail).to.contain('same user and password as in Camunda Tasklist');
  });

  it('when the body is malformed JSON or too large, then 400/413 with a clear problem and nothing happens', async () => {
    const bad = await fetch(`${api.base}/api/cards/1/use-cases/CardsProcDeactivate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"profileId": ' });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { detail: string }).detail).to.equal('the request body is not valid JSON');
    const big = await fetch(`${api.base}/api/cards/1/use-cases/CardsProcDeactivate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(70_000) }) });
    expect(big.status).to.equal(413);
  });

  it('when a PKCS#12 one-time link is opened, then it gives the password and a file openssl opens; the second time 410; the token never reaches the log', async () => {
    const { ca, db, masterKey } = await testCa();
    const generated = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'p12.example.com' });
    const link = await createSecretLink(db.pool, masterKey, { kind: 'pkcs12', subjectRef: 'certificate:x', createdBy: 'agent1', ttlMinutes: 5, payload: { pkcs12Id: generated.pkcs12Id, password: generated.password } });
    const res = await get(`/api/secrets/${link.token}`, { accept: 'application/json' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const body = (await res.json()) as { password: string; pkcs12: string };
    expect(body.password).to.equal(generated.password);
    const info = await openssl(['pkcs12', '-info', '-noout', '-in', tmpFile('l.p12', Buffer.from(body.pkcs12, 'base64')), '-passin', `pass:${body.password}`]);
    expect(info.code, info.out).to.equal(0);
    const again = await get(`/api/secrets/${link.token}`, { accept: 'application/json' });
    expect(again.status).to.equal(410);
    expect(api.logLines.join('\n')).to.contain('/api/secrets/*** 410').and.not.contain(link.token);
  });

  it('when a SCEP challenge link is opened in a browser, then an HTML page shows it once', async () => {
    const { db, masterKey } = await testCa();
    const link = await createSecretLink(db.pool, masterKey, { kind: 'scep-challenge', subjectRef: 'asset:1', createdBy: 'agent1', ttlMinutes: 5, payload: { registrationId: 'r', challengePassword: 'ch4llenge-<b>' } });
    const res = await get(`/api/secrets/${link.token}`, { accept: 'text/html' });
    const html = await res.text();
    expect(html).to.contain('SCEP challenge password').and.contain('ch4llenge-&#60;b&#62;').and.contain('Shown once');
    expect((await get(`/api/secrets/${link.token}`)).status).to.equal(410);
  });

  it('when a link token is unknown or malformed, then 404 or 400', async () => {
    expect((await get(`/api/secrets/${crypto.randomBytes(32).toString('base64url')}`)).status).to.equal(404);
    expect((await get('/api/secrets/short')).status).to.equal(400);
  });
});
