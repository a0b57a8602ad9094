/**
 * Issue 17.11 in the processes: the first step of Lock certificate, Deactivate card, Reactivate
 * virtual smart card and Enroll profile checks that the requester the instance was started for
 * may start it on the object (store groups, the object's holders) — a start that went around
 * the API stops there with FORBIDDEN (no model catches it: an incident naming who may), before
 * anything is written. Handlers run as the engine calls them, on PostgreSQL.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createCaHandlers } from '../../../workers/ca';
import { createCardHandlers } from '../../../workers/cards';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler, type AnyJobHandler, type JobOutcome } from '../../../workers/runtime';
import { createAsset } from '../../../src/store/assets';
import { getCard, setCardTypeCommandEnabled, transitionCard } from '../../../src/store/cards';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { aJob } from '../../support/jobs';
import { testCa } from '../ca/support';
import { aCard, aProfile, actor } from '../store/fixtures';

describe('workers: the requester may start the use case on the object (issue 17.11)', () => {
  let pool: Pool;
  let handlers: Map<string, AnyJobHandler>;
  const run = (type: string, vars: Record<string, unknown>): Promise<JobOutcome> => runHandler(handlers.get(type)!, vars, aJob(type));
  const requests = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM requests')).rows[0]!.n);
  const alice = { requester: 'alice', requesterEmail: 'alice@example.com' };
  const bob = { requester: 'bob', requesterEmail: 'bob@example.com' };
  /** Who completed the form, as the engine would answer (a fake of deps; the engine suites use the real one). */
  let completedBy: string | undefined;
  const asked: Array<{ processInstanceKey: string; elementId: string }> = [];
  const completedTasks = {
    lastCompleted: async (processInstanceKey: string, elementId: string) => {
      asked.push({ processInstanceKey, elementId });
      return { userTaskKey: '1', completedBy };
    },
  };

  before(async () => {
    const t = await testCa();
    pool = t.db.pool;
    handlers = new Map(
      [...createCaHandlers({ pool, ca: t.ca, completedTasks }), ...createCardHandlers({ pool, ca: t.ca, completedTasks }), ...createEnrollHandlers({ pool, ca: t.ca, sealer: t.masterKey, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 })].map((h) => [h.type, h]),
    );
  });

  it('when bob\'s instance locks a certificate of alice\'s asset, then FORBIDDEN naming who may; alice\'s and operator\'s pass the check', async () => {
    const asset = await createAsset(pool, { name: `authz-w-${Date.now()}`, ownerEmail: 'alice@example.com' }, actor);
    const profile = await aProfile(pool);
    // A serial, as the check wants one known to the CA (issued is not what this test is about).
    const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, assetId: asset.id, subject: `CN=${asset.name}`, serial: crypto.randomBytes(8).toString('hex') }, actor);
    const refused = await run('ca.check-lock', { certificateId: cert.id, ...bob });
    expect(refused).to.deep.include({ kind: 'error', errorCode: 'FORBIDDEN' });
    expect((refused as { errorMessage: string }).errorMessage).to.contain(`bob may not start Lock certificate on certificate ${cert.id}`);
    expect(await run('ca.check-lock', { certificateId: cert.id, ...alice })).to.include({ kind: 'complete' });
    expect(await run('ca.check-lock', { certificateId: cert.id, requester: 'operator' })).to.include({ kind: 'complete' });
  });

  it('when bob\'s instance deactivates alice\'s card, then FORBIDDEN; alice\'s passes; alice\'s reactivation of her virtual smart card is FORBIDDEN, operator\'s passes', async () => {
    const card = await aCard(pool);
    expect(await run('cards.check-deactivate', { cardId: card.id, operator: 'bob', requesterEmail: 'bob@example.com' })).to.deep.include({ errorCode: 'FORBIDDEN' });
    expect(await run('cards.check-deactivate', { cardId: card.id, operator: 'alice', requesterEmail: 'alice@example.com' })).to.include({ kind: 'complete' });

    const vsc = await aCard(pool, 'virtual-smart-card');
    await transitionCard(pool, vsc.id, 'inactive', actor);
    await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
    try {
      expect(await run('cards.check-reactivate', { cardId: vsc.id, operator: 'alice', requesterEmail: 'alice@example.com' })).to.deep.include({ errorCode: 'FORBIDDEN' });
      expect(await run('cards.check-reactivate', { cardId: vsc.id, operator: 'operator' })).to.include({ kind: 'complete' });
    } finally {
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
    }
  });

  it('when bob\'s instance enrolls without an asset or on alice\'s, then FORBIDDEN and no request or certificate is written; alice\'s on her asset is prepared', async () => {
    const profile = await aProfile(pool);
    const asset = await createAsset(pool, { name: `authz-e-${Date.now()}`, ownerEmail: 'alice@example.com' }, actor);
    const before = await requests();
    expect(await run('enroll.prepare', { profileId: profile.id, ...bob })).to.deep.include({ errorCode: 'FORBIDDEN' });
    expect(await run('enroll.prepare', { profileId: profile.id, assetId: asset.id, ...bob })).to.deep.include({ errorCode: 'FORBIDDEN' });
    expect(await requests(), 'nothing written').to.equal(before);
    expect(await run('enroll.prepare', { profileId: profile.id, assetId: asset.id, ...alice })).to.include({ kind: 'complete' });
    expect(await requests()).to.equal(before + 1);
  });

  it('when someone took over alice\'s lock or deactivation form (Tasklist on 8.6 allows it), then FORBIDDEN and nothing changes; alice herself, or operator (RA) completing it, goes on', async () => {
    const asset = await createAsset(pool, { name: `authz-t-${Date.now()}`, ownerEmail: 'alice@example.com' }, actor);
    const profile = await aProfile(pool);
    const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, assetId: asset.id, subject: `CN=${asset.name}`, serial: crypto.randomBytes(8).toString('hex') }, actor);
    completedBy = 'bob';
    const refused = await run('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'alice' });
    expect(refused).to.deep.include({ kind: 'error', errorCode: 'FORBIDDEN' });
    expect((refused as { errorMessage: string }).errorMessage).to.contain('bob completed "Lock certificate" of alice\'s AssetsProcLockCertificate');
    expect(asked.at(-1)!.elementId).to.equal('Task_ChooseLock');
    expect((await getCertificate(pool, cert.id)).state, 'nothing changed').to.equal('Valid');
    completedBy = undefined;
    expect(await run('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'alice' }), 'unassigned').to.deep.include({ errorCode: 'FORBIDDEN' });

    const card = await aCard(pool);
    completedBy = 'bob';
    expect(await run('cards.deactivate', { cardId: card.id, operator: 'alice' })).to.deep.include({ errorCode: 'FORBIDDEN' });
    expect(asked.at(-1)!.elementId).to.equal('Task_ConfirmDeactivate');
    expect((await getCard(pool, card.id)).state).to.equal('active');
    completedBy = 'operator';
    expect(await run('cards.deactivate', { cardId: card.id, operator: 'alice' })).to.include({ kind: 'complete' });
    expect((await getCard(pool, card.id)).state).to.equal('inactive');

    const vsc = await aCard(pool, 'virtual-smart-card');
    await transitionCard(pool, vsc.id, 'inactive', actor);
    completedBy = 'alice';
    expect(await run('cards.reactivate', { cardId: vsc.id, operator: 'operator' }), 'the holder took over the RA\'s reactivation').to.deep.include({ errorCode: 'FORBIDDEN' });
    expect(asked.at(-1)!.elementId).to.equal('Task_ConfirmReactivate');
    expect((await getCard(pool, vsc.id)).state).to.equal('inactive');
  });
});
