/**
 * Lifecycles from the specification, walked through the store on PostgreSQL (issue 16.1): each
 * object goes the way spec 000-004 describe, every step lands in the audit history, and the
 * steps the specification forbids are refused and change nothing. The expected paths are
 * written out here, not read from src/domain.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { StateConflictError, ValidationError } from '../../../src/domain/errors';
import { auditHistory } from '../../../src/store/audit';
import { createAsset, getAsset, transitionAsset } from '../../../src/store/assets';
import { addCardRelation, cardRelations, getCard, transitionCard, transitionCardRelation } from '../../../src/store/cards';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { getProfile, transitionProfile } from '../../../src/store/profiles';
import { createRequest, getRequest, transitionRequest } from '../../../src/store/requests';
import { testDatabase } from '../../support/database';
import { aCard, aProfile, actor } from './fixtures';

/** The audit history of an object as [from, to] pairs, oldest first. */
async function path(pool: Pool, type: string, id: number): Promise<Array<[string | null, string]>> {
  return (await auditHistory(pool, type, id)).map((h) => [h.fromState, h.toState]);
}

/** Asserts that `step` is refused with STATE_CONFLICT naming `from` and `to`. */
async function refused(step: () => Promise<unknown>, from: string, to: string): Promise<void> {
  let caught: unknown;
  try {
    await step();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${from} -> ${to} was allowed`).to.be.instanceOf(StateConflictError);
  expect(caught).to.include({ currentState: from, requestedState: to });
}

describe('store: lifecycles from the specification', () => {
  let pool: Pool;
  before(async () => {
    pool = (await testDatabase()).pool;
  });

  it('when a P10 certificate is requested, issued, held, released and revoked as key compromised, then each step is recorded and it never becomes valid again', async () => {
    const profile = await aProfile(pool);
    const cert = await createCertificate(pool, { state: 'Certificate requested', profileId: profile.id, subject: 'CN=p10-life' }, actor);
    for (const to of ['Issued', 'Valid', 'Certificate hold', 'Valid', 'Key compromised']) await transitionCertificate(pool, cert.id, to, actor);
    await refused(() => transitionCertificate(pool, cert.id, 'Valid', actor), 'Key compromised', 'Valid');
    await refused(() => transitionCertificate(pool, cert.id, 'Certificate hold', actor), 'Key compromised', 'Certificate hold');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Key compromised');
    expect(await path(pool, 'certificate', cert.id)).to.deep.equal([
      [null, 'Certificate requested'],
      ['Certificate requested', 'Issued'],
      ['Issued', 'Valid'],
      ['Valid', 'Certificate hold'],
      ['Certificate hold', 'Valid'],
      ['Valid', 'Key compromised'],
    ]);
  });

  it('when a SCEP registration is requested, registered and deregistered, then it stays deregistered; a registration can be neither made valid nor held', async () => {
    const profile = await aProfile(pool, { protocol: 'SCEP' });
    const cert = await createCertificate(pool, { state: 'Requested', profileId: profile.id, subject: 'CN=scep-life' }, actor);
    await refused(() => transitionCertificate(pool, cert.id, 'Valid', actor), 'Requested', 'Valid');
    await transitionCertificate(pool, cert.id, 'Registered', actor);
    await refused(() => transitionCertificate(pool, cert.id, 'Certificate hold', actor), 'Registered', 'Certificate hold');
    await transitionCertificate(pool, cert.id, 'Deregistered', actor);
    await refused(() => transitionCertificate(pool, cert.id, 'Registered', actor), 'Deregistered', 'Registered');
    expect(await path(pool, 'certificate', cert.id)).to.deep.equal([
      [null, 'Requested'],
      ['Requested', 'Registered'],
      ['Registered', 'Deregistered'],
    ]);
  });

  it('when an enrollment is rejected, then its certificate object is Rejected and stays so', async () => {
    const profile = await aProfile(pool);
    const cert = await createCertificate(pool, { state: 'Certificate requested', profileId: profile.id, subject: 'CN=rejected-life' }, actor);
    await transitionCertificate(pool, cert.id, 'Rejected', actor);
    await refused(() => transitionCertificate(pool, cert.id, 'Issued', actor), 'Rejected', 'Issued');
    await refused(() => transitionCertificate(pool, cert.id, 'Valid', actor), 'Rejected', 'Valid');
  });

  it('when a certificate is created as Issued or revoked, then it is refused: a certificate starts requested or valid', async () => {
    const profile = await aProfile(pool);
    for (const state of ['Issued', 'Certificate hold', 'Superseded', 'Registered']) {
      let caught: unknown;
      try {
        await createCertificate(pool, { state, profileId: profile.id, subject: `CN=start-${state}` }, actor);
      } catch (e) {
        caught = e;
      }
      expect(caught, state).to.be.instanceOf(ValidationError);
    }
  });

  it('when a request is sent for approval, held, approved and completed, then those are its states; once decided it is never decided again', async () => {
    const r = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator' }, actor);
    expect(r.state).to.equal('Registered');
    await refused(() => transitionRequest(pool, r.id, 'Approved', { actor: 'agent1' }), 'Registered', 'Approved');
    await transitionRequest(pool, r.id, 'Requested', actor);
    // "On hold: the request remains in the same state" — there is no move for it.
    expect((await getRequest(pool, r.id)).state).to.equal('Requested');
    await transitionRequest(pool, r.id, 'Approved', { actor: 'agent1' });
    await refused(() => transitionRequest(pool, r.id, 'Rejected', { actor: 'agent2' }, { rejectionReason: 'too late' }), 'Approved', 'Rejected');
    await transitionRequest(pool, r.id, 'Completed', actor);
    await refused(() => transitionRequest(pool, r.id, 'Failed', actor, { failureReason: 'late failure' }), 'Completed', 'Failed');
    expect(await path(pool, 'request', r.id)).to.deep.equal([
      [null, 'Registered'],
      ['Registered', 'Requested'],
      ['Requested', 'Approved'],
      ['Approved', 'Completed'],
    ]);
  });

  it('when a request is rejected, then it can be neither approved nor completed', async () => {
    const r = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator' }, actor);
    await transitionRequest(pool, r.id, 'Requested', actor);
    await transitionRequest(pool, r.id, 'Rejected', { actor: 'agent1' }, { rejectionReason: 'not our domain' });
    await refused(() => transitionRequest(pool, r.id, 'Approved', { actor: 'agent2' }), 'Rejected', 'Approved');
    await refused(() => transitionRequest(pool, r.id, 'Completed', actor), 'Rejected', 'Completed');
  });

  it('when an enrollment needs no approval, then its request completes from Registered; when it fails, then it is Failed for good', async () => {
    const done = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator' }, actor);
    expect((await transitionRequest(pool, done.id, 'Completed', actor)).state).to.equal('Completed');
    const failed = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator' }, actor);
    await transitionRequest(pool, failed.id, 'Failed', actor, { failureReason: 'CA unreachable' });
    await refused(() => transitionRequest(pool, failed.id, 'Requested', actor), 'Failed', 'Requested');
  });

  it('when an asset waits for a profile (Pending), then it becomes Active again; an inactive asset cannot become Pending', async () => {
    const asset = await createAsset(pool, { name: `life-${Date.now()}` }, actor);
    expect(asset.state).to.equal('Active');
    await transitionAsset(pool, asset.id, 'Pending', actor);
    await transitionAsset(pool, asset.id, 'Active', actor);
    await transitionAsset(pool, asset.id, 'Inactive', actor);
    await refused(() => transitionAsset(pool, asset.id, 'Pending', actor), 'Inactive', 'Pending');
    expect((await getAsset(pool, asset.id)).state).to.equal('Inactive');
  });

  it('when a certificate profile is deactivated, then it can be activated again', async () => {
    const profile = await aProfile(pool);
    await transitionProfile(pool, profile.id, 'Inactive', actor);
    await refused(() => transitionProfile(pool, profile.id, 'Inactive', actor), 'Inactive', 'Inactive');
    await transitionProfile(pool, profile.id, 'Active', actor);
    expect((await getProfile(pool, profile.id)).state).to.equal('Active');
  });

  it('when a card is deactivated and reactivated, then it and its relations go inactive and back; a second deactivation is refused', async () => {
    const card = await aCard(pool, 'virtual-smart-card');
    const rel = await addCardRelation(pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);
    await transitionCardRelation(pool, rel.id, 'inactive', actor);
    await transitionCard(pool, card.id, 'inactive', actor);
    await refused(() => transitionCard(pool, card.id, 'inactive', actor), 'inactive', 'inactive');
    await transitionCard(pool, card.id, 'active', actor);
    await transitionCardRelation(pool, rel.id, 'active', actor);
    expect((await getCard(pool, card.id)).state).to.equal('active');
    expect((await cardRelations(pool, card.id)).map((r) => r.state)).to.deep.equal(['active']);
    expect(await path(pool, 'card', card.id)).to.deep.equal([
      [null, 'active'],
      ['active', 'inactive'],
      ['inactive', 'active'],
    ]);
  });
});
