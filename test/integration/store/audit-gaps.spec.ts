/**
 * Issue 17.10: every change of an object or an option has a history row with its actor —
 * admins' option and card-type command changes, and relating an asset or a certificate, which
 * change no state and had no row.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { auditHistory } from '../../../src/store/audit';
import { setCardTypeCommandEnabled } from '../../../src/store/cards';
import { relateToAsset } from '../../../src/store/certificates';
import { optionHistory } from '../../../src/store/option-history';
import { getOptions, updateOptions } from '../../../src/store/options';
import { createRequest, relateToCertificate } from '../../../src/store/requests';
import { testDatabase } from '../../support/database';
import { anAsset, aValidCertificate, actor } from './fixtures';

describe('store: history of options and relations (issue 17.10)', () => {
  let pool: Pool;
  before(async () => {
    pool = (await testDatabase()).pool;
  });

  it('when an admin changes a use case\'s options, then each change is in its history with the admin, what it was and what it became; a change to the same values adds nothing', async () => {
    const before = await getOptions(pool, 'CardsProcDeactivate');
    const seen = (await optionHistory(pool, 'use case option', 'CardsProcDeactivate')).length;
    try {
      await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: !before.approvalStep, approverEmails: ['pki@example.com'] }, 'demo');
      await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: !before.approvalStep }, 'demo');
      const history = (await optionHistory(pool, 'use case option', 'CardsProcDeactivate')).slice(seen);
      expect(history).to.have.length(1);
      expect(history[0]).to.deep.include({ actor: 'demo', key: 'CardsProcDeactivate' });
      expect(history[0]!.before).to.deep.include({ approvalStep: before.approvalStep, approverEmails: before.approverEmails });
      expect(history[0]!.after).to.deep.include({ approvalStep: !before.approvalStep, approverEmails: ['pki@example.com'] });
    } finally {
      await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: before.approvalStep, approverEmails: before.approverEmails }, 'demo');
    }
    const last = (await optionHistory(pool, 'use case option', 'CardsProcDeactivate')).at(-1)!;
    expect(last.after).to.deep.include({ approvalStep: before.approvalStep });
  });

  it('when an admin enables and disables a card type\'s command, then both are in its history with the admin', async () => {
    const seen = (await optionHistory(pool, 'card type command', 'virtual-smart-card/VirtualSmartCardProcReactivate')).length;
    await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
    await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'admin2');
    const history = (await optionHistory(pool, 'card type command', 'virtual-smart-card/VirtualSmartCardProcReactivate')).slice(seen);
    expect(history.map((h) => [h.actor, h.before, h.after])).to.deep.equal([
      ['demo', { enabled: false }, { enabled: true }],
      ['admin2', { enabled: true }, { enabled: false }],
    ]);
  });

  it('when a certificate (and its request) is related to an asset, then certificate, request and asset each have a history row with the actor and process instance; the states stay', async () => {
    const asset = await anAsset(pool);
    const cert = await aValidCertificate(pool);
    const request = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator', profileId: cert.profileId }, actor);
    await relateToCertificate(pool, request.id, cert.id, { actor: 'operator', processInstanceKey: '2251799813000042' });
    await relateToAsset(pool, cert.id, asset.id, { actor: 'operator', processInstanceKey: '2251799813000042' });

    const certRows = (await auditHistory(pool, 'certificate', cert.id)).slice(1);
    expect(certRows.map((h) => [h.fromState, h.toState, h.actor, h.processInstanceKey])).to.deep.equal([['Valid', 'Valid', 'operator', '2251799813000042']]);
    expect(certRows[0]!.reason).to.equal(`related to asset ${asset.id} (was: none)`);
    const requestRows = (await auditHistory(pool, 'request', request.id)).slice(1);
    expect(requestRows.map((h) => h.reason)).to.deep.equal([`related to certificate ${cert.id} (was: none)`, `related to asset ${asset.id} (was: none)`]);
    expect(requestRows.every((h) => h.actor === 'operator' && h.fromState === h.toState)).to.equal(true);
    const assetRows = (await auditHistory(pool, 'asset', asset.id)).slice(1);
    expect(assetRows.map((h) => [h.fromState, h.toState, h.actor, h.reason])).to.deep.equal([['Active', 'Active', 'operator', `certificate ${cert.id} related`]]);
  });
});
