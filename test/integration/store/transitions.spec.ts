import { expect } from 'chai';
import type { Pool } from 'pg';
import { StateConflictError, ValidationError, NotFoundError } from '../../../src/domain/errors';
import { auditHistory } from '../../../src/store/audit';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { transitionAsset } from '../../../src/store/assets';
import { createRequest, deleteRequest, getRequest, transitionRequest } from '../../../src/store/requests';
import { withTransaction } from '../../../src/store/db';
import { testDatabase } from '../../support/database';
import { aValidCertificate, anAsset, aProfile, actor } from './fixtures';

async function auditCount(pool: Pool, type: string, id: number): Promise<number> {
  return (await auditHistory(pool, type, id)).length;
}

describe('store: transitions on PostgreSQL', () => {
  let pool: Pool;
  before(async () => {
    pool = (await testDatabase()).pool;
  });

  it('when a certificate is put on hold, then its state changes and exactly one audit row is written', async () => {
    const cert = await aValidCertificate(pool);
    const before = await auditCount(pool, 'certificate', cert.id);
    const held = await transitionCertificate(pool, cert.id, 'Certificate hold', {
      actor: 'agent1',
      processInstanceKey: '2251799813685249',
      reason: 'card deactivated',
    });
    expect(held.state).to.equal('Certificate hold');
    const history = await auditHistory(pool, 'certificate', cert.id);
    expect(history).to.have.length(before + 1);
    const last = history[history.length - 1]!;
    expect(last).to.include({
      fromState: 'Valid',
      toState: 'Certificate hold',
      actor: 'agent1',
      processInstanceKey: '2251799813685249',
      reason: 'card deactivated',
    });
    expect(last.at).to.be.instanceOf(Date);
  });

  it('when two transitions start from the same state at once, then exactly one wins and the other gets STATE_CONFLICT', async () => {
    const cert = await aValidCertificate(pool);
    const auditBefore = await auditCount(pool, 'certificate', cert.id);
    // Both read 'Valid' inside their transactions before either writes.
    let reads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((r) => (release = r));
    const attempt = (to: string) =>
      withTransaction(pool, async (tx) => {
        await tx.query('SELECT state FROM certificates WHERE id = $1', [cert.id]);
        if (++reads === 2) release();
        await bothRead;
        return transitionCertificate(tx, cert.id, to, actor);
      });
    const results = await Promise.allSettled([attempt('Certificate hold'), attempt('Key compromised')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).to.have.length(1);
    expect(lost).to.have.length(1);
    expect(lost[0]!.reason).to.be.instanceOf(StateConflictError);
    const winner = (won[0] as PromiseFulfilledResult<{ state: string }>).value.state;
    expect((await getCertificate(pool, cert.id)).state).to.equal(winner);
    expect(await auditCount(pool, 'certificate', cert.id)).to.equal(auditBefore + 1);
  });

  it('when a refused transition is asked, then STATE_CONFLICT is thrown and nothing changes', async () => {
    const cert = await aValidCertificate(pool);
    await transitionCertificate(pool, cert.id, 'Superseded', actor);
    const audit = await auditCount(pool, 'certificate', cert.id);
    try {
      await transitionCertificate(pool, cert.id, 'Valid', actor);
      expect.fail('a revoked certificate became valid');
    } catch (e) {
      expect(e).to.be.instanceOf(StateConflictError);
      expect((e as StateConflictError).message).to.equal(`certificate ${cert.id} is in state 'Superseded' and cannot change to 'Valid'`);
    }
    expect((await getCertificate(pool, cert.id)).state).to.equal('Superseded');
    expect(await auditCount(pool, 'certificate', cert.id)).to.equal(audit);
  });

  it('when the object does not exist, then NOT_FOUND', async () => {
    try {
      await transitionAsset(pool, 987654321, 'Inactive', actor);
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(NotFoundError);
    }
  });

  it('when issuance data comes with the transition, then it is stored with the new state', async () => {
    const profile = await aProfile(pool);
    const cert = await createCertificate(pool, { state: 'Certificate requested', profileId: profile.id, subject: 'CN=web01' }, actor);
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const valid = await transitionCertificate(pool, cert.id, 'Valid', actor, {
      serial: '0a1b2c',
      pem,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      dnsNames: ['web01.corp.example.com'],
    });
    expect(valid).to.include({ state: 'Valid', serial: '0a1b2c', pem });
    expect(valid.dnsNames).to.deep.equal(['web01.corp.example.com']);
  });

  it('when a request is rejected without a reason, then it is refused and stays Requested', async () => {
    const asset = await anAsset(pool);
    const req = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'agent1', assetId: asset.id }, actor);
    await transitionRequest(pool, req.id, 'Requested', actor);
    try {
      await transitionRequest(pool, req.id, 'Rejected', { actor: 'agent2' });
      expect.fail('rejected without reason');
    } catch (e) {
      expect(e).to.be.instanceOf(ValidationError);
    }
    expect((await getRequest(pool, req.id)).state).to.equal('Requested');
    const rejected = await transitionRequest(pool, req.id, 'Rejected', { actor: 'agent2' }, { rejectionReason: 'not our domain' });
    expect(rejected).to.include({ state: 'Rejected', decidedBy: 'agent2', rejectionReason: 'not our domain' });
    expect(rejected.decidedAt).to.be.instanceOf(Date);
  });
});

describe('store: delete request (spec 001)', () => {
  it('when a request not yet decided is deleted, then it is gone and the audit says who deleted it; a decided one cannot be', async () => {
    const { pool } = await testDatabase();
    const open = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator' }, actor);
    await transitionRequest(pool, open.id, 'Requested', actor);
    await deleteRequest(pool, open.id, { actor: 'agent2', reason: 'duplicate' });
    try {
      await getRequest(pool, open.id);
      expect.fail('still there');
    } catch (e) {
      expect(e).to.be.instanceOf(NotFoundError);
    }
    const last = (await auditHistory(pool, 'request', open.id)).pop()!;
    expect(last).to.include({ fromState: 'Requested', toState: 'Deleted', actor: 'agent2', reason: 'duplicate' });

    const decided = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator' }, actor);
    await transitionRequest(pool, decided.id, 'Requested', actor);
    await transitionRequest(pool, decided.id, 'Approved', { actor: 'agent2' });
    try {
      await deleteRequest(pool, decided.id, { actor: 'agent2' });
      expect.fail('deleted a decided request');
    } catch (e) {
      expect(e).to.be.instanceOf(StateConflictError);
    }
    expect((await getRequest(pool, decided.id)).state).to.equal('Approved');
  });
});
