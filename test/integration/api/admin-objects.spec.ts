/**
 * Admins create assets and certificate profiles and switch them Active/Inactive through the API
 * (issue 18.12; spec 002 "Create asset", "Create certificate profile"; spec 000: new ones start
 * 'Active'). A Pending asset becomes Active only by Assign certificate profile. Without an engine:
 * users' groups are the store's (test/support/signed-in-api.ts).
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { auditHistory } from '../../../src/store/audit';
import { signedInApi, type SignedInApi } from '../../support/signed-in-api';
import { testCa } from '../ca/support';

describe('API: admins create assets and certificate profiles and switch their state (issue 18.12)', () => {
  let api: SignedInApi;
  let pool: Pool;
  const tag = crypto.randomBytes(3).toString('hex');

  before(async () => {
    pool = (await testCa()).db.pool;
    api = await signedInApi({ operator: { email: 'operator@example.com' }, demo: { email: 'demo@example.com' } });
  });
  after(() => api.close());

  it('when an admin creates an asset, then it is Active with its creation in the history; an operator gets 403; a taken name 409; a state other than Active 400', async () => {
    const body = { name: `created-${tag}`, dnsNames: [`created-${tag}.corp.example.com`], ownerEmail: 'owner@example.com' };
    expect((await api.call('POST', '/api/admin/assets', 'operator', body)).status).to.equal(403);
    const created = await api.call<{ id: number; state: string; profileId: number | null }>('POST', '/api/admin/assets', 'demo', body);
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ state: 'Active', profileId: null });
    expect((await auditHistory(pool, 'asset', created.body.id))[0]).to.include({ fromState: null, toState: 'Active', actor: 'demo' });
    expect((await api.call('POST', '/api/admin/assets', 'demo', body)).status).to.equal(409);
    expect((await api.call('POST', '/api/admin/assets', 'demo', { name: `pending-${tag}`, state: 'Pending' })).status).to.equal(400);
  });

  it('when an admin deactivates and activates an asset, then the history says who; Pending to Active is refused (409: Assign certificate profile)', async () => {
    const { body: asset } = await api.call<{ id: number }>('POST', '/api/admin/assets', 'demo', { name: `switch-${tag}` });
    const off = await api.call<{ state: string }>('PUT', `/api/admin/assets/${asset.id}/state`, 'demo', { state: 'Inactive', reason: 'decommissioned' });
    expect(off.status).to.equal(200);
    expect(off.body.state).to.equal('Inactive');
    expect((await auditHistory(pool, 'asset', asset.id)).at(-1)).to.include({ fromState: 'Active', toState: 'Inactive', actor: 'demo', reason: 'decommissioned' });
    expect((await api.call('PUT', `/api/admin/assets/${asset.id}/state`, 'demo', { state: 'Active' })).status).to.equal(200);
    expect((await api.call('PUT', `/api/admin/assets/${asset.id}/state`, 'demo', { state: 'Pending' })).status).to.equal(200);
    const back = await api.call<{ detail: string }>('PUT', `/api/admin/assets/${asset.id}/state`, 'demo', { state: 'Active' });
    expect(back.status).to.equal(409);
    expect(back.body.detail).to.contain('AssetsProcAssignProfile');
    expect((await api.call('PUT', `/api/admin/assets/${asset.id}/state`, 'operator', { state: 'Inactive' })).status).to.equal(403);
  });

  it('when an admin creates a certificate profile and deactivates it, then it is Active, then Inactive, each with history; a bad profile is 400 naming the field', async () => {
    const profile = {
      name: `profile-${tag}`, protocol: 'P10', keyAlgorithm: 'EC', minKeySize: 256, validityDays: 90,
      subjectTemplate: 'CN={commonName},O=Example', allowedDnsSuffixes: ['corp.example.com'],
    };
    const created = await api.call<{ id: number; state: string }>('POST', '/api/admin/certificate-profiles', 'demo', profile);
    expect(created.status).to.equal(201);
    expect(created.body.state).to.equal('Active');
    const off = await api.call<{ state: string }>('PUT', `/api/admin/certificate-profiles/${created.body.id}/state`, 'demo', { state: 'Inactive' });
    expect(off.body.state).to.equal('Inactive');
    expect((await auditHistory(pool, 'certificate profile', created.body.id)).map((h) => h.toState)).to.deep.equal(['Active', 'Inactive']);
    const bad = await api.call<{ detail: string }>('POST', '/api/admin/certificate-profiles', 'demo', { ...profile, name: `bad-${tag}`, minKeySize: 1024, keyAlgorithm: 'RSA' });
    expect(bad.status).to.equal(400);
    expect(bad.body.detail).to.contain('minKeySize');
  });
});
