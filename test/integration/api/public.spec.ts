/**
 * The API's public routes and its edge, over HTTP on a real server and database: health,
 * OpenAPI, sign-in required, malformed bodies (certificate downloads and one-time secrets, which
 * need sign-in, are in downloads.spec.ts).
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { OPERATIONS, openApiDocument } from '../../../src/api/openapi';
import { testApi, type TestApi } from '../../support/api';

describe('API: public routes and the edge', () => {
  let api: TestApi;
  before(async () => {
    api = await testApi();
  });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.base}${path}`, { headers });

  it('when health and the OpenAPI document are asked, then both answer without sign-in', async () => {
    expect(await (await get('/api/health')).json()).to.deep.equal({ status: 'UP' });
    const res = await get('/api/openapi.json');
    expect(res.status).to.equal(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    // The served document is the one generated from the routes' schemas, whole (issue 16.10):
    // test/unit/api/openapi.spec.ts holds that against every registered route.
    expect(doc).to.deep.equal(JSON.parse(JSON.stringify(openApiDocument)));
    expect(doc.openapi).to.equal('3.1.0');
    for (const op of OPERATIONS) expect(doc.paths[op.path], `${op.method.toUpperCase()} ${op.path}`).to.have.property(op.method);
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

  it('when a one-time secret or a certificate is asked for without sign-in, then 401: neither is public (issues 17.7, 17.18)', async () => {
    for (const path of ['/api/secret-links', `/api/secret-links/${crypto.randomUUID()}`, '/api/certificates/1/download']) {
      expect((await get(path)).status, path).to.equal(401);
    }
    expect((await fetch(`${api.base}/api/secret-links/${crypto.randomUUID()}`, { method: 'POST' })).status).to.equal(401);
  });
});
