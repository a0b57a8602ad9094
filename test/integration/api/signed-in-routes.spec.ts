/**
 * The signed-in routes without an engine (issue 16.4): the same ground as the engine suite
 * signed-in.spec.ts — sign-in, search, object views, starts, admin switches, deleting a request —
 * with users whose groups are the store's and process starts recorded (test/support/signed-in-api.ts).
 * What the engine then runs is the engine suite's; what the API decides and hands over is here.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createAsset, transitionAsset } from '../../../src/store/assets';
import { auditHistory } from '../../../src/store/audit';
import { transitionCard } from '../../../src/store/cards';
import { transitionProfile } from '../../../src/store/profiles';
import { createRequest, transitionRequest } from '../../../src/store/requests';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { signedInApi, type SignedInApi } from '../../support/signed-in-api';
import { testCa } from '../ca/support';
import { aCard, aProfile, actor } from '../store/fixtures';

interface Offer {
  symbolicName: string;
  available: boolean;
  reason?: string;
}
interface Page {
  items: Array<{ id: number; name: string }>;
  total: number;
}

describe('API: signed-in routes without an engine (issue 16.4)', () => {
  let api: SignedInApi;
  let pool: Pool;
  const tag = `sr${Date.now().toString(36)}`;

  before(async () => {
    pool = (await testCa()).db.pool;
    api = await signedInApi({ operator: { email: 'operator@example.com', displayName: 'Olivia Operator' }, demo: { email: 'demo@example.com' }, agent1: { email: 'agent1@example.com' }, zoe: { email: null } });
    for (let i = 0; i < 3; i++) await createAsset(pool, { name: `${tag}-${i}` }, actor);
  });
  after(() => api.close());

  it('when the password is wrong or missing, then 401 with a challenge; when right, then the search answers a page at a time', async () => {
    expect((await api.call('GET', '/api/assets', 'operator', undefined, 'wrong')).status).to.equal(401);
    expect((await fetch(`${api.base}/api/assets`)).headers.get('www-authenticate')).to.match(/^Basic/);
    const page = await api.call<Page>('GET', `/api/assets?text=${tag}&limit=2&offset=0`, 'operator');
    expect(page.status).to.equal(200);
    expect(page.body.total).to.equal(3);
    expect(page.body.items.map((a) => a.name)).to.have.length(2);
    const rest = await api.call<Page>('GET', `/api/assets?text=${tag}&limit=2&offset=2`, 'operator');
    expect(rest.body.items).to.have.length(1);
  });

  it('when the caller asks who they are, then name, address and the store\'s groups come back', async () => {
    const me = await api.call<Record<string, unknown>>('GET', '/api/me', 'operator');
    expect(me.body).to.deep.include({ username: 'operator', displayName: 'Olivia Operator', email: 'operator@example.com', isAdmin: false, groups: ['workplace-registration-authority'] });
    expect((await api.call<Record<string, unknown>>('GET', '/api/me', 'demo')).body).to.deep.include({ isAdmin: true });
  });

  it('when the query or the id is bad, then 400 naming it; an unknown id is 404', async () => {
    const bad = await api.call('GET', '/api/assets?state=Deleted', 'operator');
    expect(bad.status).to.equal(400);
    expect(bad.body.detail).to.contain('state');
    expect((await api.call('GET', '/api/assets?colour=red', 'operator')).status).to.equal(400);
    expect((await api.call('GET', '/api/assets/x', 'operator')).status).to.equal(400);
    expect((await api.call('GET', '/api/assets/999999999', 'operator')).status).to.equal(404);
  });

  it('when Enroll profile starts on an Active asset, then exactly the caller, asset and profile are handed to the engine; Inactive, then 409 and nothing starts', async () => {
    const asset = await createAsset(pool, { name: `${tag}-enroll` }, actor);
    const profile = await aProfile(pool);
    const started = await api.call<{ useCase: string; processInstanceKey: string; tasklistUrl: string }>('POST', `/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, 'operator', { profileId: profile.id });
    expect(started.status).to.equal(201);
    expect(started.body).to.deep.equal({ useCase: 'AssetsProcEnrollProfile', processInstanceKey: started.body.processInstanceKey, tasklistUrl: 'http://tasklist.invalid' });
    expect(api.starts.at(-1)).to.deep.equal({
      processId: 'AssetsProcEnrollProfile',
      variables: { requester: 'operator', requesterEmail: 'operator@example.com', assetId: asset.id, profileId: profile.id },
    });

    await transitionAsset(pool, asset.id, 'Inactive', actor);
    const offer = (await api.call<{ useCases: Offer[] }>('GET', `/api/assets/${asset.id}`, 'operator')).body.useCases.find((o) => o.symbolicName === 'AssetsProcEnrollProfile')!;
    expect(offer).to.deep.include({ available: false });
    const count = api.starts.length;
    const refused = await api.call('POST', `/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, 'operator', { profileId: profile.id });
    expect(refused.status).to.equal(409);
    expect(refused.body.detail).to.contain("it is 'Inactive'");
    expect(api.starts.length).to.equal(count);
  });

  it('when Enroll profile names an unknown profile, then 404; an Inactive profile, then 409 with the reason, and nothing starts (issue 18.8)', async () => {
    const asset = await createAsset(pool, { name: `${tag}-precheck` }, actor);
    const count = api.starts.length;
    const unknown = await api.call('POST', `/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, 'operator', { profileId: 999999999 });
    expect(unknown.status).to.equal(404);
    const profile = await aProfile(pool);
    await transitionProfile(pool, profile.id, 'Inactive', actor);
    const inactive = await api.call('POST', `/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, 'operator', { profileId: profile.id });
    expect(inactive.status).to.equal(409);
    expect(inactive.body.detail).to.contain(`certificate profile ${profile.name} is 'Inactive'`);
    expect(api.starts.length).to.equal(count);
  });

  it('when reactivation is disabled, then 409; operator may not enable it (403), demo enables it through the admin API and it is offered and starts', async () => {
    const card = await aCard(pool, 'virtual-smart-card');
    await transitionCard(pool, card.id, 'inactive', actor);
    const path = '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate';
    expect((await api.call('POST', `/api/cards/${card.id}/use-cases/VirtualSmartCardProcReactivate`, 'operator')).status).to.equal(409);
    expect((await api.call('PUT', path, 'operator', { enabled: true })).status).to.equal(403);
    expect((await api.call('PUT', path, 'demo', { enabled: true })).status).to.equal(200);
    try {
      const offers = (await api.call<{ useCases: Offer[] }>('GET', `/api/cards/${card.id}`, 'operator')).body.useCases;
      expect(offers.find((o) => o.symbolicName === 'VirtualSmartCardProcReactivate')).to.deep.include({ available: true });
      expect((await api.call('POST', `/api/cards/${card.id}/use-cases/VirtualSmartCardProcReactivate`, 'operator')).status).to.equal(201);
      expect(api.starts.at(-1)).to.deep.equal({ processId: 'VirtualSmartCardProcReactivate', variables: { requester: 'operator', requesterEmail: 'operator@example.com', cardId: card.id } });
    } finally {
      await api.call('PUT', path, 'demo', { enabled: false });
    }
  });

  it('when a request not yet decided is deleted by its requester, then its process is cancelled, 204, and its history says who; a decided one answers 409', async () => {
    const open = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'agent1' }, actor);
    await pool.query("UPDATE requests SET process_instance_key = '2251799813999777' WHERE id = $1", [open.id]);
    expect((await api.call('DELETE', `/api/requests/${open.id}`, 'agent1')).status).to.equal(204);
    expect(api.cancelled).to.include('2251799813999777');
    expect((await auditHistory(pool, 'request', open.id)).pop()).to.include({ toState: 'Deleted', actor: 'agent1' });
    expect((await api.call('GET', `/api/requests/${open.id}`, 'agent1')).status, 'gone').to.equal(404);

    const decided = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'agent1' }, actor);
    await transitionRequest(pool, decided.id, 'Requested', actor);
    await transitionRequest(pool, decided.id, 'Approved', { actor: 'agent2' });
    expect((await api.call('DELETE', `/api/requests/${decided.id}`, 'agent1')).status).to.equal(409);
  });

  it('when a P12 enrollment without approval is deleted after its key was generated, then 204, its process is cancelled and its certificate revoked at the CA and in the store (issue 18.3)', async () => {
    const { ca, masterKey } = await testCa();
    const handlers = new Map(createEnrollHandlers({ pool, ca, sealer: masterKey, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
    const profile = await aProfile(pool, { protocol: 'P12', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const asset = await createAsset(pool, { name: `${tag}-p12del`, commonName: `${tag}-p12del.corp.example.com` }, actor);
    const job = (type: string) => ({ ...aJob(type), processInstanceKey: '2251799813999888' });
    const prep = await runHandler(handlers.get('enroll.prepare')!, { profileId: profile.id, assetId: asset.id, requester: 'operator' }, job('enroll.prepare'));
    if (prep.kind !== 'complete') throw new Error(JSON.stringify(prep));
    const { certificateId, requestId } = prep.variables as { certificateId: number; requestId: number };
    await pool.query("UPDATE requests SET process_instance_key = '2251799813999888' WHERE id = $1", [requestId]);
    const gen = await runHandler(handlers.get('enroll.p12.generate')!, { certificateId, requestId, commonName: `${tag}-p12del.corp.example.com`, operator: 'operator' }, job('enroll.p12.generate'));
    if (gen.kind !== 'complete') throw new Error(JSON.stringify(gen));
    const { serialNumber } = gen.variables as { serialNumber: string };

    expect((await api.call('DELETE', `/api/requests/${requestId}`, 'operator')).status).to.equal(204);
    expect(api.cancelled).to.include('2251799813999888');
    expect((await api.call<{ state: string }>('GET', `/api/certificates/${certificateId}`, 'operator')).body.state).to.equal('Cessation of operation');
    expect(await ca.status(serialNumber)).to.include({ status: 'revoked', reason: 'cessationOfOperation' });
  });

  it('when the body has unknown fields, names a requester, or the use case is unknown, then 400/404 and nothing starts', async () => {
    const card = await aCard(pool);
    const count = api.starts.length;
    expect((await api.call('POST', `/api/cards/${card.id}/use-cases/CardsProcDeactivate`, 'operator', { colour: 'red' })).status).to.equal(400);
    expect((await api.call('POST', `/api/cards/${card.id}/use-cases/CardsProcDeactivate`, 'operator', { requester: 'demo' })).status).to.equal(400);
    expect((await api.call('POST', '/api/cards/-1/use-cases/CardsProcDeactivate', 'operator')).status).to.equal(400);
    expect((await api.call('POST', `/api/cards/${card.id}/use-cases/NoSuchUseCase`, 'operator')).status).to.equal(404);
    expect((await api.call('POST', `/api/cards/${card.id}/use-cases/AssetsProcEnrollProfile`, 'operator')).status, 'not on a card').to.equal(400);
    expect(api.starts.length).to.equal(count);
  });
  it("when the approvers' email link is followed, then its approvers and its requester go to Tasklist (the list while no task is known), anyone else gets 404 (issue 18.7)", async () => {
    const profile = await aProfile(pool);
    const r = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator', profileId: profile.id }, actor);
    await transitionRequest(pool, r.id, 'Requested', actor);
    const follow = (user: string) =>
      fetch(`${api.base}/api/requests/${r.id}/approval-task`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${user}`).toString('base64')}` }, redirect: 'manual' });
    for (const user of ['agent1', 'operator']) {
      const res = await follow(user);
      expect(res.status, user).to.equal(302);
      expect(res.headers.get('location'), user).to.equal('http://tasklist.invalid/?filter=all-open');
    }
    expect((await follow('zoe')).status, 'neither approver nor requester').to.equal(404);
    expect((await api.call('GET', '/api/requests/999999999/approval-task', 'agent1')).status).to.equal(404);
  });
});
