/**
 * CardsProcDeactivate, VirtualSmartCardProcReactivate and AssetsProcLockCertificate on the
 * engine with the application's workers, PostgreSQL and the built-in CA (CRL read by openssl).
 * An engine suite.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import { toCaProfile } from '../../../src/ca/store-profile';
import { waitForProcessInstanceState } from '../../../src/engine/user-tasks';
import { addCardRelation, getCard, setCardTypeCommandEnabled, transitionCard } from '../../../src/store/cards';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { updateOptions } from '../../../src/store/options';
import { deleteRequest, getRequest } from '../../../src/store/requests';
import { createProcessEngine } from '../../../src/engine/processes';
import { appEngine } from '../../support/app-engine';
import { taskDriver } from '../../support/task-driver';
import type { TestEngine } from '../../support/engine';
import { testSmtp } from '../../support/smtp';
import { openssl, testCa, tmpFile } from '../ca/support';
import { aCard, aProfile, actor } from '../store/fixtures';

describe('processes: deactivate card, reactivate virtual smart card, lock certificate (engine)', function () {
  this.timeout(180_000);
  let engine: TestEngine;
  let pool: Pool;
  let ca: BuiltinCa;

  before(async function () {
    engine = await appEngine(this);
    ({ ca } = await testCa());
    pool = (await testCa()).db.pool;
  });

  const start = async (processId: string, variables: Record<string, unknown>) =>
    String((await engine.clients.rest.createProcessInstance({ processDefinitionId: processId, variables: { requester: 'operator', requesterEmail: 'operator@example.test', ...variables } })).processInstanceKey);
  const { complete, child } = taskDriver(() => engine);
  const crl = async () => (await openssl(['crl', '-in', tmpFile('crl.pem', (await ca.currentCrl()).pem), '-noout', '-text'])).out.toUpperCase().replace(/[^0-9A-Z\n ]/g, '');

  async function aCardWithCertificate(type = 'smart-card', revocationApprovalRequired = false) {
    const card = await aCard(pool, type);
    // A card holder's certificate is a client certificate: a name like holder-1a2b3c is no TLS server name.
    const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], revocationApprovalRequired });
    const cn = `holder-${crypto.randomBytes(3).toString('hex')}`;
    const issued = await ca.issueFromCsr({ idempotencyKey: `p-${cn}`, csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: cn }), profile: toCaProfile(profile) });
    const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, cardId: card.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
    await addCardRelation(pool, card.id, { relatedType: 'certificate', relatedId: String(cert.id) }, actor);
    return { card, cert };
  }

  it('when a card is deactivated without approval, then it is inactive, its certificate held at the CA (CRL) and in the store, and no email is sent', async () => {
    const { card, cert } = await aCardWithCertificate();
    const smtp = await testSmtp();
    const mailsBefore = smtp.inbox.length;
    const pik = await start('CardsProcDeactivate', { cardId: card.id });
    await complete(pik, 'Task_ConfirmDeactivate', 'operator', { nextAction: 'next' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCard(pool, card.id)).state).to.equal('inactive');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
    expect(await crl()).to.contain(cert.serial!.toUpperCase()).and.contain('CERTIFICATE HOLD');
    expect(smtp.inbox.length).to.equal(mailsBefore);
  });

  it('when the approval option is on, then an agent approves before the card is deactivated', async () => {
    await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: true }, 'demo');
    try {
      const { card } = await aCardWithCertificate();
      const pik = await start('CardsProcDeactivate', { cardId: card.id });
      await complete(pik, 'Task_ConfirmDeactivate', 'operator', { nextAction: 'next' });
      expect((await getCard(pool, card.id)).state).to.equal('active');
      const approvalKey = await child(pik, 'AssetsProcApproval');
      await complete(approvalKey, 'Task_ApproveRequest', 'agent2', { decision: 'approve' });
      await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
      expect((await getCard(pool, card.id)).state).to.equal('inactive');
      // Issue 18.1/18.3/18.5/18.6: typed deactivation, owned by the use case's instance, decided in
      // one approval process, and Completed with the deactivation.
      const { rows } = await pool.query<{ id: number }>('SELECT id FROM requests WHERE card_id = $1', [card.id]);
      expect(rows).to.have.length(1);
      expect(await getRequest(pool, rows[0]!.id)).to.include({ type: 'deactivation', state: 'Completed', processInstanceKey: pik, approvalProcessInstanceKey: approvalKey });
    } finally {
      await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: false }, 'demo');
    }
  });

  it('when the operator cancels, then nothing changes', async () => {
    const { card, cert } = await aCardWithCertificate();
    const pik = await start('CardsProcDeactivate', { cardId: card.id });
    await complete(pik, 'Task_ConfirmDeactivate', 'operator', { nextAction: 'cancel' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCard(pool, card.id)).state).to.equal('active');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
  });

  it('when reactivation is enabled, then the virtual smart card is active, its certificate valid at the CA and on hold in the store', async () => {
    const { card, cert } = await aCardWithCertificate('virtual-smart-card');
    await ca.hold({ idempotencyKey: `h-${cert.id}`, serialNumber: cert.serial! });
    await transitionCertificate(pool, cert.id, 'Certificate hold', actor);
    await transitionCard(pool, card.id, 'inactive', actor);
    await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
    try {
      const pik = await start('VirtualSmartCardProcReactivate', { cardId: card.id });
      await complete(pik, 'Task_ConfirmReactivate', 'operator', { nextAction: 'next' });
      await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    } finally {
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
    }
    expect((await getCard(pool, card.id)).state).to.equal('active');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
    expect((await ca.status(cert.serial!)).status).to.equal('valid');
    expect(await crl()).to.not.contain(cert.serial!.toUpperCase());
  });

  it('when a certificate is revoked for key compromise, then the CRL lists it with that reason', async () => {
    const { cert } = await aCardWithCertificate();
    const pik = await start('AssetsProcLockCertificate', { certificateId: cert.id });
    await complete(pik, 'Task_ChooseLock', 'operator', { nextAction: 'next', lockReason: 'Key compromised' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Key compromised');
    expect(await crl()).to.contain(cert.serial!.toUpperCase()).and.contain('KEY COMPROMISE');
  });

  it('when reactivation is disabled (the default), then the process ends as "Use case disabled" with no task, and the card stays inactive', async () => {
    const { card } = await aCardWithCertificate('virtual-smart-card');
    await transitionCard(pool, card.id, 'inactive', actor);
    const pik = await start('VirtualSmartCardProcReactivate', { cardId: card.id });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect(await engine.api.searchUserTasks({ processInstanceKey: pik })).to.deep.equal([]);
    expect((await getCard(pool, card.id)).state).to.equal('inactive');
  });

  it('when the profile requires approval for a lock, then an agent approves first and only then the certificate is held (store and CRL)', async () => {
    const { cert } = await aCardWithCertificate('smart-card', true);
    const pik = await start('AssetsProcLockCertificate', { certificateId: cert.id });
    await complete(pik, 'Task_ChooseLock', 'operator', { nextAction: 'next', lockReason: 'Certificate hold' });
    const approvalKey = await child(pik, 'AssetsProcApproval');
    expect((await getCertificate(pool, cert.id)).state, 'held before the approval').to.equal('Valid');
    await complete(approvalKey, 'Task_ApproveRequest', 'agent2', { decision: 'approve' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
    expect(await crl()).to.contain(cert.serial!.toUpperCase());
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM requests WHERE certificate_id = $1', [cert.id]);
    expect(await getRequest(pool, rows[0]!.id)).to.include({ type: 'lock', state: 'Completed', processInstanceKey: pik });
  });

  it('when a lock request waiting for approval is deleted, then the lock process itself is cancelled and the certificate stays Valid (issue 18.3)', async () => {
    const { cert } = await aCardWithCertificate('smart-card', true);
    const pik = await start('AssetsProcLockCertificate', { certificateId: cert.id });
    await complete(pik, 'Task_ChooseLock', 'operator', { nextAction: 'next', lockReason: 'Certificate hold' });
    await child(pik, 'AssetsProcApproval');
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM requests WHERE certificate_id = $1', [cert.id]);
    const request = await getRequest(pool, rows[0]!.id);
    expect(request.processInstanceKey).to.equal(pik);
    // What DELETE /api/requests/<id> does: cancel the owner, then delete.
    await createProcessEngine(engine.clients.rest).cancel(request.processInstanceKey!);
    await deleteRequest(pool, request.id, { actor: 'operator', reason: 'deleted by an operator' });
    await waitForProcessInstanceState(engine.api, pik, 'CANCELED', { timeoutMs: 60_000 });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
  });
});
