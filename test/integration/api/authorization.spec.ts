/**
 * Issue 17.11 over HTTP, without an engine: who may start which use case on which object, and
 * who may delete a request. Each refusal is a 403 that says who may, and nothing is written:
 * no process starts, no request goes, its history is unchanged. Groups are the store's
 * (migrations 010 and 030: operator is a registration authority, agent1 a certificate agent,
 * demo an admin); alice and bob belong to no group and act only on what they hold.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { createAsset, transitionAsset } from '../../../src/store/assets';
import { auditHistory } from '../../../src/store/audit';
import { setCardTypeCommandEnabled, transitionCard } from '../../../src/store/cards';
import { createRequest, getRequest, recordApprovalProcess, transitionRequest } from '../../../src/store/requests';
import { signedInApi, type SignedInApi } from '../../support/signed-in-api';
import { testCa } from '../ca/support';
import { aCard, aProfile, aValidCertificate, actor } from '../store/fixtures';

interface Offer {
  symbolicName: string;
  available: boolean;
  reason?: string;
}

describe('API: who may act on which object (issue 17.11)', () => {
  let api: SignedInApi;
  let pool: Pool;
  const tag = `authz${Date.now().toString(36)}`;

  before(async () => {
    pool = (await testCa()).db.pool;
    api = await signedInApi({
      alice: { email: 'Alice@Example.com' },
      bob: { email: 'bob@example.com' },
      operator: { email: 'operator@example.com' },
      agent1: { email: 'agent1@example.com' },
      demo: { email: 'demo@example.com' },
      nomail: { email: null },
    });
  });
  after(() => api.close());

  const alicesAsset = (suffix: string) => createAsset(pool, { name: `${tag}-${suffix}`, ownerEmail: 'alice@example.com' }, actor);

  /** Starts `useCase` as `user`; on a refusal, checks that nothing started. */
  async function start(user: string, path: string, useCase: string, body: unknown = {}) {
    const before = api.starts.length;
    const res = await api.call('POST', `${path}/use-cases/${useCase}`, user, body);
    if (res.status !== 201) expect(api.starts.length, `${user}: nothing started`).to.equal(before);
    else expect(api.starts.at(-1)!.variables.requester).to.equal(user);
    return res;
  }

  it('when the operators group is looked at, then operator is a registration authority from migration 030 and alice is in no group', async () => {
    const me = await api.call<{ groups: string[]; isAdmin: boolean }>('GET', '/api/me', 'operator');
    expect(me.body.groups).to.include(REGISTRATION_AUTHORITY_GROUP);
    expect((await api.call<{ groups: string[] }>('GET', '/api/me', 'alice')).body.groups).to.deep.equal([]);
  });

  describe('Lock certificate', () => {
    it('when bob locks a certificate of alice\'s asset, then 403 naming who may, and nothing starts; alice (its owner, address in any case), operator (RA) and demo (admin) may', async () => {
      const cert = await aValidCertificate(pool, { assetId: (await alicesAsset('lock')).id });
      const refused = await start('bob', `/api/certificates/${cert.id}`, 'AssetsProcLockCertificate');
      expect(refused.status).to.equal(403);
      expect(refused.body.detail).to.equal(
        `bob may not start Lock certificate on certificate ${cert.id}: it is for the certificate's holder (its asset's owner, its card's holder or who enrolled it), a registration authority (group ${REGISTRATION_AUTHORITY_GROUP}) or an admin`,
      );
      expect((await start('nomail', `/api/certificates/${cert.id}`, 'AssetsProcLockCertificate')).status, 'no address is nobody\'s').to.equal(403);
      for (const user of ['alice', 'operator', 'demo']) {
        const res = await start(user, `/api/certificates/${cert.id}`, 'AssetsProcLockCertificate');
        expect(res.status, user).to.equal(201);
        expect(api.starts.at(-1)).to.deep.include({ processId: 'AssetsProcLockCertificate' });
      }
    });

    it('when the certificate is on alice\'s card, then alice may lock it and bob may not; who enrolled a certificate may lock it', async () => {
      const card = await aCard(pool);
      const onCard = await aValidCertificate(pool, { cardId: card.id });
      expect((await start('bob', `/api/certificates/${onCard.id}`, 'AssetsProcLockCertificate')).status).to.equal(403);
      expect((await start('alice', `/api/certificates/${onCard.id}`, 'AssetsProcLockCertificate')).status).to.equal(201);

      const enrolled = await aValidCertificate(pool);
      expect((await start('bob', `/api/certificates/${enrolled.id}`, 'AssetsProcLockCertificate')).status).to.equal(403);
      await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'bob', certificateId: enrolled.id, profileId: enrolled.profileId }, actor);
      expect((await start('bob', `/api/certificates/${enrolled.id}`, 'AssetsProcLockCertificate')).status).to.equal(201);
      expect((await start('alice', `/api/certificates/${enrolled.id}`, 'AssetsProcLockCertificate')).status).to.equal(403);
    });

    it('when bob views alice\'s certificate, then Lock certificate is offered as not available with the reason; to alice it is available', async () => {
      const cert = await aValidCertificate(pool, { assetId: (await alicesAsset('view')).id });
      const lock = async (user: string) =>
        (await api.call<{ useCases: Offer[] }>('GET', `/api/certificates/${cert.id}`, user)).body.useCases.find((o) => o.symbolicName === 'AssetsProcLockCertificate')!;
      expect(await lock('bob')).to.deep.include({ available: false });
      expect((await lock('bob')).reason).to.contain('bob may not start Lock certificate');
      expect(await lock('alice')).to.deep.equal({ symbolicName: 'AssetsProcLockCertificate', label: 'Lock certificate', available: true });
    });
  });

  describe('Enroll profile', () => {
    it('when bob enrolls on alice\'s asset, then 403; alice, operator and demo may', async () => {
      const asset = await alicesAsset('enroll');
      const profile = await aProfile(pool);
      const refused = await start('bob', `/api/assets/${asset.id}`, 'AssetsProcEnrollProfile', { profileId: profile.id });
      expect(refused.status).to.equal(403);
      expect(refused.body.detail).to.contain(`it is for the owner of asset ${asset.id}`);
      for (const user of ['alice', 'operator', 'demo']) {
        expect((await start(user, `/api/assets/${asset.id}`, 'AssetsProcEnrollProfile', { profileId: profile.id })).status, user).to.equal(201);
      }
    });

    it('when bob may not act on an Inactive asset, then 403 (not 409: the refusal says nothing about its state); for alice it is 409', async () => {
      const asset = await alicesAsset('inactive');
      await transitionAsset(pool, asset.id, 'Inactive', actor);
      const profile = await aProfile(pool);
      expect((await start('bob', `/api/assets/${asset.id}`, 'AssetsProcEnrollProfile', { profileId: profile.id })).status).to.equal(403);
      expect((await start('alice', `/api/assets/${asset.id}`, 'AssetsProcEnrollProfile', { profileId: profile.id })).status).to.equal(409);
    });

    it('when started on a profile, then the named asset decides; without an asset only a registration authority or an admin; an unknown asset is 404', async () => {
      const asset = await alicesAsset('profile');
      const profile = await aProfile(pool);
      const path = `/api/certificate-profiles/${profile.id}`;
      expect((await start('bob', path, 'AssetsProcEnrollProfile', { assetId: asset.id })).status).to.equal(403);
      const withoutAsset = await start('alice', path, 'AssetsProcEnrollProfile');
      expect(withoutAsset.status).to.equal(403);
      expect(withoutAsset.body.detail).to.contain('when no asset is named');
      expect((await start('alice', path, 'AssetsProcEnrollProfile', { assetId: 999_999_999 })).status).to.equal(404);
      expect((await start('alice', path, 'AssetsProcEnrollProfile', { assetId: asset.id })).status).to.equal(201);
      expect(api.starts.at(-1)!.variables).to.deep.include({ profileId: profile.id, assetId: asset.id });
      expect((await start('operator', path, 'AssetsProcEnrollProfile')).status).to.equal(201);
      expect((await start('demo', path, 'AssetsProcEnrollProfile')).status).to.equal(201);
    });
  });

  describe('cards', () => {
    it('when bob deactivates alice\'s card, then 403; alice (its holder), operator and demo may', async () => {
      const card = await aCard(pool);
      const refused = await start('bob', `/api/cards/${card.id}`, 'CardsProcDeactivate');
      expect(refused.status).to.equal(403);
      expect(refused.body.detail).to.contain("it is for the card's holder");
      for (const user of ['alice', 'operator', 'demo']) expect((await start(user, `/api/cards/${card.id}`, 'CardsProcDeactivate')).status, user).to.equal(201);
    });

    it('when alice reactivates her own virtual smart card, then 403 (a holder does not undo a deactivation); operator may', async () => {
      const card = await aCard(pool, 'virtual-smart-card');
      await transitionCard(pool, card.id, 'inactive', actor);
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      try {
        const refused = await start('alice', `/api/virtual-smart-cards/${card.id}`, 'VirtualSmartCardProcReactivate');
        expect(refused.status).to.equal(403);
        expect(refused.body.detail).to.contain('a holder cannot undo a deactivation');
        expect((await start('operator', `/api/virtual-smart-cards/${card.id}`, 'VirtualSmartCardProcReactivate')).status).to.equal(201);
      } finally {
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
    });
  });

  describe('requests', () => {
    it('when someone outside the request\'s approver group starts Approve request, then 403; agent1 (an approver) and demo may', async () => {
      const profile = await aProfile(pool);
      const request = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'alice', profileId: profile.id }, actor);
      await transitionRequest(pool, request.id, 'Requested', actor);
      await recordApprovalProcess(pool, request.id, '2251799813999101');
      for (const user of ['bob', 'alice', 'operator']) {
        const refused = await start(user, `/api/requests/${request.id}`, 'AssetsProcApproval');
        expect(refused.status, user).to.equal(403);
        expect(refused.body.detail).to.contain("the request's approvers (group workplace-certificate-agent)");
      }
      // Allowed, they are led to the request's own approval task (issue 18.1): nothing starts.
      expect((await start('agent1', `/api/requests/${request.id}`, 'AssetsProcApproval')).status).to.equal(200);
      expect((await start('demo', `/api/requests/${request.id}`, 'AssetsProcApproval')).status).to.equal(200);
    });

    it('when operator deletes alice\'s request, then 403 and the request, its process and its history stay; alice deletes it (204); demo deletes anyone\'s', async () => {
      const request = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'alice' }, actor);
      await pool.query("UPDATE requests SET process_instance_key = '2251799813999001' WHERE id = $1", [request.id]);
      const history = await auditHistory(pool, 'request', request.id);
      for (const user of ['operator', 'bob']) {
        const refused = await api.call('DELETE', `/api/requests/${request.id}`, user);
        expect(refused.status, user).to.equal(403);
        expect(refused.body.detail).to.equal(`${user} may not delete request ${request.id}: only its requester (alice) or an admin may`);
      }
      expect((await getRequest(pool, request.id)).state).to.equal('Registered');
      expect(await auditHistory(pool, 'request', request.id)).to.deep.equal(history);
      expect(api.cancelled).to.not.include('2251799813999001');

      expect((await api.call('DELETE', `/api/requests/${request.id}`, 'alice')).status).to.equal(204);
      expect(api.cancelled).to.include('2251799813999001');
      expect((await auditHistory(pool, 'request', request.id)).pop()).to.include({ toState: 'Deleted', actor: 'alice' });

      const bobs = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'bob' }, actor);
      expect((await api.call('DELETE', `/api/requests/${bobs.id}`, 'demo')).status).to.equal(204);
      expect((await auditHistory(pool, 'request', bobs.id)).pop()).to.include({ toState: 'Deleted', actor: 'demo' });
    });
  });
});
