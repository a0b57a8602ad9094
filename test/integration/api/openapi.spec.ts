/**
 * Real answers of the API against its OpenAPI document (issue 16.10): each JSON answer of a
 * signed-in or admin route, over HTTP on the run's database, is valid against the schema the
 * served document gives for that path, method and status — so a field added, renamed or
 * dropped on one side fails here.
 *
 * Sign-in is a fixed admin instead of the engine's identity: the answers do not depend on who
 * signs in, and the suite must not need an engine.
 */
import { expect } from 'chai';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { Caller } from '../../../src/api/identity';
import { EngineUnavailableError } from '../../../src/engine/availability';
import { addCardRelation } from '../../../src/store/cards';
import { createRequest, transitionRequest } from '../../../src/store/requests';
import { createSecretLink } from '../../../src/store/secret-links';
import { updateOptions } from '../../../src/store/options';
import { testCa } from '../ca/support';
import { aCard, actor, anAsset, aProfile, aValidCertificate } from '../store/fixtures';
import { serveTestApp, type TestApp } from '../../support/test-app';

const admin: Caller = { username: 'demo', displayName: 'Demo', email: null, roles: [], groups: ['workplace-pki-admin'], isAdmin: true };

interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: object;
}

describe('API answers against the OpenAPI document (issue 16.10)', () => {
  let app: TestApp;
  let base: string;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const auth = { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`, accept: 'application/json' };
  const ids: Record<string, number> = {};
  let linkId = '';

  before(async () => {
    const { db, masterKey } = await testCa();
    app = await serveTestApp({
      identity: {
        verify: async (u, p) => {
          if (u === 'away') throw new EngineUnavailableError({ address: 'http://127.0.0.1:1', state: 'DOWN', detail: 'connect ECONNREFUSED', since: new Date().toISOString() });
          return u === 'demo' && p === 'demo' ? admin : null;
        },
      },
    });
    base = app.base;
    doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as Doc;
    ajv.addSchema({ $id: 'openapi.json', components: doc.components });

    // One of each object, with relations and history, so no list in an answer is empty.
    const asset = await anAsset(db.pool);
    const profile = await aProfile(db.pool);
    const card = await aCard(db.pool, 'virtual-smart-card');
    const cert = await aValidCertificate(db.pool, { cardId: card.id, assetId: asset.id });
    await addCardRelation(db.pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);
    const request = await createRequest(db.pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'demo', certificateId: cert.id, profileId: profile.id }, actor);
    await transitionRequest(db.pool, request.id, 'Requested', actor);
    Object.assign(ids, { assets: asset.id, 'certificate-profiles': profile.id, certificates: cert.id, requests: request.id, cards: card.id, 'virtual-smart-cards': card.id });
    linkId = (await createSecretLink(db.pool, masterKey, { kind: 'scep-challenge', subjectRef: `certificate:${cert.id}`, owner: 'demo', ttlMinutes: 5, payload: { registrationId: 'r', challengePassword: 'c' } })).id;
    await updateOptions(db.pool, 'CardsProcDeactivate', { approverEmails: ['cards@example.com'] }, 'demo');
    await updateOptions(db.pool, 'CardsProcDeactivate', { approverEmails: [] }, 'demo');
  });
  after(async () => {
    await app.close();
  });

  /** The validator of the documented JSON answer. */
  function documented(method: string, path: string, status: number): ValidateFunction {
    const media = doc.paths[path]?.[method]?.responses[String(status)]?.content;
    const schema = media?.['application/json']?.schema ?? media?.['application/problem+json']?.schema;
    expect(schema, `${method.toUpperCase()} ${path} ${status} has a JSON schema`).to.not.equal(undefined);
    return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')) as object);
  }

  /** Calls the route and checks its answer against the document; returns the body. */
  async function conforms(method: string, docPath: string, url: string, status: number, body?: unknown): Promise<unknown> {
    const res = await fetch(`${base}${url}`, {
      method: method.toUpperCase(),
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    expect(res.status, `${method.toUpperCase()} ${url}: ${JSON.stringify(json).slice(0, 300)}`).to.equal(status);
    const validate = documented(method, docPath, status);
    expect(validate(json), `${method.toUpperCase()} ${url}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
    return json;
  }

  for (const c of ['assets', 'certificate-profiles', 'certificates', 'requests', 'cards', 'virtual-smart-cards']) {
    it(`when ${c} are searched and one is viewed, then both answers are as documented`, async () => {
      const page = (await conforms('get', `/api/${c}`, `/api/${c}?limit=5`, 200)) as { items: unknown[] };
      expect(page.items).to.not.be.empty;
      const view = (await conforms('get', `/api/${c}/{id}`, `/api/${c}/${ids[c]}`, 200)) as { history: unknown[]; useCases: unknown[] };
      expect(view.history).to.not.be.empty;
    });
  }

  it('when a request is viewed and deleted, then GET and DELETE on /api/requests/{id} are both documented and the problem answers are too', async () => {
    await conforms('get', '/api/requests/{id}', `/api/requests/${ids.requests}`, 200);
    const deleted = await fetch(`${base}/api/requests/${ids.requests}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).to.equal(204);
    expect(doc.paths['/api/requests/{id}']!.delete!.responses).to.have.property('204');
    await conforms('get', '/api/requests/{id}', `/api/requests/${ids.requests}`, 404);
    await conforms('delete', '/api/requests/{id}', `/api/requests/${ids.requests}`, 404);
    await conforms('get', '/api/assets', '/api/assets?state=Gone', 400);
  });

  it("when an admin reads and changes options and a card type's commands, then every answer is as documented", async () => {
    await conforms('get', '/api/admin/options', '/api/admin/options', 200);
    await conforms('get', '/api/admin/options/{useCase}', '/api/admin/options/CardsProcDeactivate', 200);
    await conforms('get', '/api/admin/options/{useCase}', '/api/admin/options/NoSuchCase', 404);
    await conforms('put', '/api/admin/options/{useCase}', '/api/admin/options/CardsProcDeactivate', 200, { approvalStep: false });
    await conforms('put', '/api/admin/options/{useCase}', '/api/admin/options/AssetsProcApproval', 400, { approvalStep: true });
    const history = (await conforms('get', '/api/admin/options/{useCase}/history', '/api/admin/options/CardsProcDeactivate/history', 200)) as unknown[];
    expect(history).to.not.be.empty;
    await conforms('get', '/api/admin/card-types/{type}/commands', '/api/admin/card-types/virtual-smart-card/commands', 200);
    await conforms('put', '/api/admin/card-types/{type}/commands/{command}', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate', 200, { enabled: false });
    await conforms('get', '/api/admin/card-types/{type}/commands/{command}/history', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate/history', 200);
  });

  it('when the caller lists, views and opens a one-time secret, then every answer is as documented', async () => {
    const list = (await conforms('get', '/api/secret-links', '/api/secret-links', 200)) as unknown[];
    expect(list).to.not.be.empty;
    await conforms('get', '/api/secret-links/{id}', `/api/secret-links/${linkId}`, 200);
    const shown = (await conforms('post', '/api/secret-links/{id}', `/api/secret-links/${linkId}`, 200)) as { challengePassword: string };
    expect(shown.challengePassword).to.equal('c');
    await conforms('post', '/api/secret-links/{id}', `/api/secret-links/${linkId}`, 410);
  });

  it("when the console asks who is signed in and where a process went, then the answers are as documented (503 here: no engine)", async () => {
    const me = (await conforms('get', '/api/me', '/api/me', 200)) as { username: string; isAdmin: boolean };
    expect(me).to.deep.include({ username: 'demo', isAdmin: true });
    await conforms('get', '/api/processes/{processInstanceKey}', '/api/processes/2251799813685249', 503);
    await conforms('get', '/api/processes/{processInstanceKey}', '/api/processes/not-a-key', 400);
    // A lock request takes no CSR (issue 18.13): the upload's problem answers are documented too.
    const { pool } = (await testCa()).db;
    const lock = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'demo', certificateId: ids.certificates, profileId: ids['certificate-profiles'] }, actor);
    await conforms('get', '/api/requests/{id}/csr', `/api/requests/${lock.id}/csr`, 409);
    await conforms('post', '/api/requests/{id}/csr', `/api/requests/${lock.id}/csr`, 409, {});
    await conforms('post', '/api/requests/{id}/csr', '/api/requests/999999999/csr', 404, {});
  });

  it('when sign-in cannot ask the engine, then a signed-in route answers 503 as documented, naming Camunda', async () => {
    const res = await fetch(`${base}/api/assets`, { headers: { authorization: `Basic ${Buffer.from('away:away').toString('base64')}` } });
    const json = (await res.json()) as { detail: string };
    expect(res.status).to.equal(503);
    expect(json.detail).to.match(/Camunda/);
    const validate = documented('get', '/api/assets', 503);
    expect(validate(json), ajv.errorsText(validate.errors)).to.equal(true);
  });

  it('when health is asked, then its answer is as documented', async () => {
    await conforms('get', '/api/health', '/api/health', 200);
  });
});
