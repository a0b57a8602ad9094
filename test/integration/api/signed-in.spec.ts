/**
 * The API with sign-in against the engine's identity, over HTTP: search, available use cases,
 * starting use cases, roles, admin options. An engine suite: pending where there is none.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createAsset, transitionAsset } from '../../../src/store/assets';
import { setCardTypeCommandEnabled, transitionCard } from '../../../src/store/cards';
import { createRequest, transitionRequest } from '../../../src/store/requests';
import { auditHistory } from '../../../src/store/audit';
import { pollUntil, waitForUserTask, waitForVariables } from '../../../src/engine/user-tasks';
import { testApi, type TestApi } from '../../support/api';
import { appEngine } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { testCa } from '../ca/support';
import { aCard, aProfile, actor } from '../store/fixtures';

interface Offer {
  symbolicName: string;
  available: boolean;
  reason?: string;
}

describe('API: signed in with the Camunda users (engine)', function () {
  this.timeout(120_000);
  let api: TestApi;
  let pool: Pool;
  let engine: TestEngine;
  const tag = `api${Date.now().toString(36)}`;

  before(async function () {
    engine = await appEngine(this);
    api = await testApi();
    pool = (await testCa()).db.pool;
    for (let i = 0; i < 3; i++) await createAsset(pool, { name: `${tag}-${i}` }, actor);
  });

  const call = async (method: string, path: string, user = 'operator', body?: unknown, password = user) => {
    const res = await fetch(`${api.base}${path}`, {
      method,
      headers: { ...api.basic(user, password), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it('when the password is wrong, then 401; when right, then the search answers with paging', async () => {
    expect((await call('GET', '/api/assets', 'operator', undefined, 'wrong')).status).to.equal(401);
    const page = await call('GET', `/api/assets?text=${tag}&limit=2&offset=0`);
    expect(page.status).to.equal(200);
    expect(page.body.total).to.equal(3);
    expect(page.body.items).to.have.length(2);
  });

  it('when the query is bad, then 400 naming it', async () => {
    expect((await call('GET', '/api/assets?state=Deleted')).status).to.equal(400);
    expect((await call('GET', '/api/assets?colour=red')).status).to.equal(400);
    expect((await call('GET', '/api/assets/x')).status).to.equal(400);
    expect((await call('GET', '/api/assets/999999999')).status).to.equal(404);
  });

  it('when an asset goes Inactive, then Enroll profile is no longer available and starting it answers 409 and starts nothing', async () => {
    const asset = await createAsset(pool, { name: `${tag}-enroll` }, actor);
    const offer = async () => ((await call('GET', `/api/assets/${asset.id}`)).body.useCases as Offer[]).find((o) => o.symbolicName === 'AssetsProcEnrollProfile')!;
    expect((await offer()).available).to.equal(true);
    await transitionAsset(pool, asset.id, 'Inactive', actor);
    expect(await offer()).to.deep.include({ available: false });
    const profile = await aProfile(pool);
    const started = await call('POST', `/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, 'operator', { profileId: profile.id });
    expect(started.status).to.equal(409);
    expect(started.body.detail).to.contain("it is 'Inactive'");
  });

  it('when reactivation is disabled, then it is not offered and 409; an admin enables it through the API and it is offered', async () => {
    const card = await aCard(pool, 'virtual-smart-card');
    await transitionCard(pool, card.id, 'inactive', actor);
    const offers = async () => (await call('GET', `/api/cards/${card.id}`)).body.useCases as Offer[];
    expect((await offers()).find((o) => o.symbolicName === 'VirtualSmartCardProcReactivate')!.available).to.equal(false);
    expect((await call('POST', `/api/cards/${card.id}/use-cases/VirtualSmartCardProcReactivate`)).status).to.equal(409);
    expect((await call('PUT', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate', 'operator', { enabled: true })).status).to.equal(403);
    expect((await call('PUT', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate', 'demo', { enabled: true })).status).to.equal(200);
    try {
      expect((await offers()).find((o) => o.symbolicName === 'VirtualSmartCardProcReactivate')!.available).to.equal(true);
    } finally {
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
    }
  });

  it('when an admin switches on the approval step through the API, then the next Deactivate card instance takes it', async () => {
    expect((await call('PUT', '/api/admin/options/CardsProcDeactivate', 'demo', { approvalStep: true })).status).to.equal(200);
    try {
      const card = await aCard(pool);
      const started = await call('POST', `/api/cards/${card.id}/use-cases/CardsProcDeactivate`);
      expect(started.status).to.equal(201);
      await waitForUserTask(engine.api, { processInstanceKey: started.body.processInstanceKey, state: 'CREATED' });
      expect((await waitForVariables(engine.api, started.body.processInstanceKey, ['approvalStep'])).approvalStep).to.equal(true);
    } finally {
      await call('PUT', '/api/admin/options/CardsProcDeactivate', 'demo', { approvalStep: false });
    }
  });

  it('when a request not yet decided is deleted by its requester, then 204 and its history says who (someone else: 403); a decided one answers 409', async () => {
    const open = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'agent1' }, actor);
    expect((await call('DELETE', `/api/requests/${open.id}`)).status, 'not her request (issue 17.11)').to.equal(403);
    expect((await call('DELETE', `/api/requests/${open.id}`, 'agent1')).status).to.equal(204);
    const last = (await auditHistory(pool, 'request', open.id)).pop()!;
    expect(last).to.include({ toState: 'Deleted', actor: 'agent1' });
    const decided = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'agent1' }, actor);
    await transitionRequest(pool, decided.id, 'Requested', actor);
    await transitionRequest(pool, decided.id, 'Approved', { actor: 'agent2' });
    expect((await call('DELETE', `/api/requests/${decided.id}`, 'agent1')).status).to.equal(409);
  });

  it('when an ACME profile has no domain policy, then Enroll profile answers 409 with the reason and starts nothing (issue 18.4)', async () => {
    const profile = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: ['corp.example.com'] });
    await pool.query("UPDATE certificate_profiles SET allowed_dns_suffixes = '{}' WHERE id = $1", [profile.id]);
    const before = (await pool.query('SELECT count(*)::int AS n FROM requests WHERE profile_id = $1', [profile.id])).rows[0].n;
    const asset = await createAsset(pool, { name: `${tag}-acme` }, actor);
    const started = await call('POST', `/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, 'operator', { profileId: profile.id });
    expect(started.status).to.equal(409);
    expect(started.body.detail).to.contain('has no domain policy');
    expect((await pool.query('SELECT count(*)::int AS n FROM requests WHERE profile_id = $1', [profile.id])).rows[0].n).to.equal(before);
  });

  it('when an enrollment is refused inside the process (here: an unknown profile), then whoever follows it reads the refusal, with no incident (issue 18.8)', async () => {
    const asset = await createAsset(pool, { name: `${tag}-refused` }, actor);
    // Started around the API (Modeler, the engine's REST): the API would have answered 404.
    const created = await engine.clients.rest.createProcessInstance({ processDefinitionId: 'AssetsProcEnrollProfile', variables: { requester: 'operator', profileId: 999999999, assetId: asset.id } });
    const key = String(created.processInstanceKey);
    const progress = await pollUntil('the refused enrollment', async () => {
      const p = await call('GET', `/api/processes/${key}`);
      return p.status === 200 && p.body.state === 'COMPLETED' && p.body.refusal ? p.body : undefined;
    }, { timeoutMs: 60_000 });
    expect(progress.refusal).to.equal('certificate profile 999999999 does not exist');
    expect(progress.incidents).to.deep.equal([]);
    expect((await auditHistory(pool, 'asset', asset.id)).at(-1)!.reason).to.equal('Enroll profile refused: certificate profile 999999999 does not exist');
  });

  it('when the body has unknown fields or a bad id, then 400 and nothing starts', async () => {
    const card = await aCard(pool);
    expect((await call('POST', `/api/cards/${card.id}/use-cases/CardsProcDeactivate`, 'operator', { colour: 'red' })).status).to.equal(400);
    expect((await call('POST', '/api/cards/-1/use-cases/CardsProcDeactivate')).status).to.equal(400);
    expect((await call('POST', `/api/cards/${card.id}/use-cases/NoSuchUseCase`)).status).to.equal(404);
  });
});
