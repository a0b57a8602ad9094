/**
 * Card commands (spec 003, 004) and lock certificate (spec 000/001) handlers on real
 * PostgreSQL and the built-in CA, called as the engine calls them; the CRL is read by openssl.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createCardHandlers } from '../../../workers/cards';
import { createCaHandlers } from '../../../workers/ca';
import { aJob } from '../../support/jobs';
import { runHandler, type AnyJobHandler, type JobInfo, type JobOutcome } from '../../../workers/runtime';
import { buildCsr } from '../../../src/ca/csr-builder';
import { toCaProfile } from '../../../src/ca/store-profile';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import type { CaConnector } from '../../../src/ca/connector';
import { auditHistory } from '../../../src/store/audit';
import { addCardRelation, cardRelations, getCard, setCardTypeCommandEnabled, transitionCard } from '../../../src/store/cards';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { createRequest, getRequest, transitionRequest } from '../../../src/store/requests';
import { updateOptions } from '../../../src/store/options';
import { testCa, openssl, tmpFile } from '../ca/support';
import { aCard, aProfile, actor } from '../store/fixtures';


/** Who completed a form, as the engine would answer (a fake of deps; the engine suites use the real one): the requester. */
const completedTasks = { lastCompleted: async () => ({ userTaskKey: '1', completedBy: 'operator' }) };

describe('card commands and lock certificate on PostgreSQL and the built-in CA', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let handlers: Map<string, AnyJobHandler>;
  const run = (type: string, vars: Record<string, unknown>, job = aJob(type)): Promise<JobOutcome> => runHandler(handlers.get(type)!, vars, job);
  const ok = async (type: string, vars: Record<string, unknown>, job?: JobInfo) => {
    const o = await run(type, vars, job);
    if (o.kind !== 'complete') throw new Error(`${type}: ${JSON.stringify(o)}`);
    return o.variables;
  };
  const crlText = async () => (await openssl(['crl', '-in', tmpFile('crl.pem', (await ca.currentCrl()).pem), '-noout', '-text'])).out;
  const serialIn = (text: string, serial: string) => text.toUpperCase().replace(/[^0-9A-F\n]/g, '').includes(serial.toUpperCase());

  before(async () => {
    const t = await testCa();
    pool = t.db.pool;
    ca = t.ca;
    handlers = new Map(([...createCardHandlers({ pool, ca, completedTasks }), ...createCaHandlers({ pool, ca, completedTasks })]).map((h) => [h.type, h]));
  });

  /** A certificate really issued by the CA, recorded Valid in the store. */
  async function aCertificate(over: { cardId?: number; revocationApprovalRequired?: boolean } = {}) {
    // A card holder's certificate is a client certificate: a name like user-1a2b3c is no TLS server name.
    const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], revocationApprovalRequired: over.revocationApprovalRequired ?? false });
    const cn = `user-${crypto.randomBytes(3).toString('hex')}`;
    const issued = await ca.issueFromCsr({
      idempotencyKey: `it-${cn}`,
      csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: cn }),
      profile: toCaProfile(profile),
    });
    return createCertificate(pool, { state: 'Valid', profileId: profile.id, cardId: over.cardId, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
  }

  async function aCardWithCertificates(type = 'smart-card') {
    const card = await aCard(pool, type);
    const certs = [await aCertificate({ cardId: card.id }), await aCertificate({ cardId: card.id })];
    for (const c of certs) await addCardRelation(pool, card.id, { relatedType: 'certificate', relatedId: String(c.id) }, actor);
    await addCardRelation(pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);
    return { card, certs };
  }

  describe('CardsProcDeactivate (spec 004)', () => {
    it('when an active card is deactivated, then card and relations are inactive and its certificates on hold at the CA and in the store', async () => {
      const { card, certs } = await aCardWithCertificates();
      expect(await ok('cards.deactivate', { cardId: card.id, operator: 'operator' })).to.deep.equal({ cardState: 'inactive', certificatesOnHold: 2, relationsDeactivated: 3 });
      expect((await getCard(pool, card.id)).state).to.equal('inactive');
      expect((await cardRelations(pool, card.id)).map((r) => r.state)).to.deep.equal(['inactive', 'inactive', 'inactive']);
      const crl = await crlText();
      for (const c of certs) {
        expect((await getCertificate(pool, c.id)).state).to.equal('Certificate hold');
        expect((await ca.status(c.serial!)).status).to.equal('hold');
        expect(serialIn(crl, c.serial!), `${c.serial} in CRL`).to.equal(true);
      }
      expect(crl).to.contain('Certificate Hold');
    });

    it('when the deactivate job is delivered again, then nothing changes twice', async () => {
      const { card, certs } = await aCardWithCertificates();
      const job = aJob('cards.deactivate');
      const first = await ok('cards.deactivate', { cardId: card.id, operator: 'operator' }, job);
      const second = await ok('cards.deactivate', { cardId: card.id, operator: 'operator' }, job);
      expect(second).to.deep.equal(first);
      expect((await auditHistory(pool, 'card', card.id)).filter((a) => a.toState === 'inactive')).to.have.length(1);
      expect((await auditHistory(pool, 'certificate', certs[0]!.id)).filter((a) => a.toState === 'Certificate hold')).to.have.length(1);
    });

    it('when the card is not active, then STATE_CONFLICT with a clear message and nothing changes', async () => {
      const { card } = await aCardWithCertificates();
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      const audit = (await auditHistory(pool, 'card', card.id)).length;
      const o = await run('cards.check-deactivate', { cardId: card.id, operator: 'operator' });
      expect(o).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
      expect((o as { errorMessage: string }).errorMessage).to.match(/is 'inactive': only an active card can be deactivated/);
      expect(await run('cards.deactivate', { cardId: card.id, operator: 'operator' })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      // No state changes; the check's refusal is on the history, with the state as it was (issue 18.8).
      const after = (await auditHistory(pool, 'card', card.id)).slice(audit);
      expect(after.map((a) => [a.fromState, a.toState, a.reason?.split(':')[0]])).to.deep.equal([['inactive', 'inactive', 'Deactivate card refused']]);
    });

    it('when a certificate is already on hold at the CA but Valid in the store (an earlier attempt half done), then deactivation completes and CA and store agree (issue 17.6)', async () => {
      const { card, certs } = await aCardWithCertificates();
      await ca.hold({ idempotencyKey: `earlier-attempt-${certs[0]!.serial}`, serialNumber: certs[0]!.serial! });
      expect(await ok('cards.deactivate', { cardId: card.id, operator: 'operator' })).to.deep.equal({ cardState: 'inactive', certificatesOnHold: 2, relationsDeactivated: 3 });
      expect((await getCard(pool, card.id)).state).to.equal('inactive');
      for (const c of certs) {
        expect((await getCertificate(pool, c.id)).state).to.equal('Certificate hold');
        expect((await ca.status(c.serial!)).status).to.equal('hold');
      }
    });

    it('when a CA that keeps its own state fails halfway, then the next attempt converges: every certificate on hold at the CA and in the store, the card inactive (issue 17.6)', async () => {
      const { card, certs } = await aCardWithCertificates();
      // A CA outside this database: its holds commit on their own, whatever happens to the store's transaction.
      let holds = 0;
      const outside: CaConnector = Object.assign(Object.create(ca) as CaConnector, {
        within: () => outside,
        hold: async (r: Parameters<CaConnector['hold']>[0]) => {
          if (++holds === 2) throw new Error('CA unreachable');
          return ca.hold(r);
        },
      });
      const h = new Map(createCardHandlers({ pool, ca: outside, completedTasks }).map((x) => [x.type, x]));
      const first = await runHandler(h.get('cards.deactivate')!, { cardId: card.id, operator: 'operator' }, aJob('cards.deactivate'));
      expect(first).to.deep.include({ kind: 'fail' });
      expect((await getCard(pool, card.id)).state, 'rolled back in the store').to.equal('active');
      expect((await ca.status(certs[0]!.serial!)).status, 'held at the outside CA').to.equal('hold');
      const again = await runHandler(h.get('cards.deactivate')!, { cardId: card.id, operator: 'operator' }, aJob('cards.deactivate'));
      expect(again).to.deep.include({ kind: 'complete' });
      expect((await getCard(pool, card.id)).state).to.equal('inactive');
      for (const c of certs) {
        expect((await getCertificate(pool, c.id)).state).to.equal('Certificate hold');
        expect((await ca.status(c.serial!)).status).to.equal('hold');
      }
    });

    it('when a reactivated virtual smart card (certificates on hold in the store, valid at the CA) is deactivated again, then its certificates are held at the CA again and on the CRL (issue 17.6)', async () => {
      const { card, certs } = await aCardWithCertificates('virtual-smart-card');
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      try {
        await ok('cards.reactivate', { cardId: card.id, operator: 'operator' });
      } finally {
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
      expect(await ok('cards.deactivate', { cardId: card.id, operator: 'operator' })).to.include({ cardState: 'inactive', certificatesOnHold: 2 });
      const crl = await crlText();
      for (const c of certs) {
        expect((await ca.status(c.serial!)).status).to.equal('hold');
        expect(serialIn(crl, c.serial!), `${c.serial} in CRL`).to.equal(true);
      }
    });

    it('when two deactivations of one card run at once, then one deactivates it and the other answers STATE_CONFLICT, not a technical failure (issue 17.6)', async () => {
      const { card, certs } = await aCardWithCertificates();
      const outcomes = await Promise.all([1, 2].map(() => run('cards.deactivate', { cardId: card.id, operator: 'operator' })));
      expect(outcomes.map((o) => (o.kind === 'error' ? o.errorCode : o.kind)).sort()).to.deep.equal(['STATE_CONFLICT', 'complete']);
      expect((await auditHistory(pool, 'certificate', certs[0]!.id)).filter((a) => a.toState === 'Certificate hold')).to.have.length(1);
    });

    it('when a certificate of the card is revoked at the CA but Valid in the store, then STATE_CONFLICT saying so before anything changes at the CA or in the store', async () => {
      const { card, certs } = await aCardWithCertificates();
      await ca.revoke({ idempotencyKey: `elsewhere-${certs[1]!.serial}`, serialNumber: certs[1]!.serial!, reason: 'keyCompromise' });
      const o = await run('cards.deactivate', { cardId: card.id, operator: 'operator' });
      expect(o).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
      expect((o as { errorMessage: string }).errorMessage).to.match(/revoked at the CA/);
      expect((await getCard(pool, card.id)).state).to.equal('active');
      expect((await ca.status(certs[0]!.serial!)).status).to.equal('valid');
    });

    it('when an admin switches on the approval step, then the next check says so (no code, no redeploy)', async () => {
      const { card } = await aCardWithCertificates();
      expect(await ok('cards.check-deactivate', { cardId: card.id, operator: 'operator' })).to.include({ approvalStep: false, certificateCount: 2 });
      await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: true }, 'demo');
      try {
        expect(await ok('cards.check-deactivate', { cardId: card.id, operator: 'operator' })).to.include({ approvalStep: true });
      } finally {
        await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: false }, 'demo');
      }
    });
  });

  describe('VirtualSmartCardProcReactivate (spec 003)', () => {
    it('when the command is disabled, then it is refused; once an admin enables it, the card is active, certificates valid at the CA and on hold in the store', async () => {
      const { card, certs } = await aCardWithCertificates('virtual-smart-card');
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      expect(await run('cards.check-reactivate', { cardId: card.id, operator: 'operator' })).to.deep.include({ kind: 'error', errorCode: 'USE_CASE_DISABLED' });

      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      try {
        expect(await ok('cards.check-reactivate', { cardId: card.id, operator: 'operator' })).to.include({ cardType: 'virtual-smart-card' });
        expect(await ok('cards.reactivate', { cardId: card.id, operator: 'operator' })).to.deep.equal({ cardState: 'active', certificatesReleasedAtCa: 2 });
      } finally {
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
      expect((await getCard(pool, card.id)).state).to.equal('active');
      const crl = await crlText();
      for (const c of certs) {
        expect((await getCertificate(pool, c.id)).state).to.equal('Certificate hold');
        expect((await ca.status(c.serial!)).status).to.equal('valid');
        expect(serialIn(crl, c.serial!), `${c.serial} gone from CRL`).to.equal(false);
      }
      const relations = await cardRelations(pool, card.id);
      expect(relations.filter((r) => r.relatedType === 'user').map((r) => r.state)).to.deep.equal(['active']);
    });

    it('when a held certificate of the card is already valid at the CA, then reactivation completes and releases the others (issue 17.6)', async () => {
      const { card, certs } = await aCardWithCertificates('virtual-smart-card');
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      await ca.release({ idempotencyKey: `elsewhere-${certs[0]!.serial}`, serialNumber: certs[0]!.serial! });
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      try {
        expect(await ok('cards.reactivate', { cardId: card.id, operator: 'operator' })).to.include({ cardState: 'active' });
      } finally {
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
      for (const c of certs) expect((await ca.status(c.serial!)).status).to.equal('valid');
    });

    it('when a held certificate of the card was revoked at the CA meanwhile, then STATE_CONFLICT telling the operator what to do, and nothing changes at the CA or in the store (issue 18.11)', async () => {
      const { card, certs } = await aCardWithCertificates('virtual-smart-card');
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      await ca.revoke({ idempotencyKey: `elsewhere-${certs[1]!.serial}`, serialNumber: certs[1]!.serial!, reason: 'keyCompromise' });
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      try {
        const o = await run('cards.reactivate', { cardId: card.id, operator: 'operator' });
        expect(o).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
        expect((o as { errorMessage: string }).errorMessage).to.contain('record the revocation with Lock certificate first');
      } finally {
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
      expect((await getCard(pool, card.id)).state).to.equal('inactive');
      expect((await ca.status(certs[0]!.serial!)).status, 'not released before the refusal').to.equal('hold');
    });

    it('when an admin disables the use case, then the process refuses it too, even with the command enabled (issue 18.13)', async () => {
      const { card } = await aCardWithCertificates('virtual-smart-card');
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      await updateOptions(pool, 'VirtualSmartCardProcReactivate', { enabled: false }, 'demo');
      try {
        const o = await run('cards.check-reactivate', { cardId: card.id, operator: 'operator' });
        expect(o).to.deep.include({ kind: 'error', errorCode: 'USE_CASE_DISABLED' });
        expect((o as { errorMessage: string }).errorMessage).to.contain('disabled by an admin');
      } finally {
        await updateOptions(pool, 'VirtualSmartCardProcReactivate', { enabled: true }, 'demo');
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
    });

    it('when the card is a smart card, then reactivation is refused', async () => {
      const { card } = await aCardWithCertificates('smart-card');
      expect(await run('cards.check-reactivate', { cardId: card.id, operator: 'operator' })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
    });
  });

  describe('AssetsProcLockCertificate', () => {
    it('when a certificate is held and another revoked for key compromise, then the CRL shows both reasons and the store their states', async () => {
      const held = await aCertificate();
      const revoked = await aCertificate();
      expect(await ok('ca.lock-certificate', { certificateId: held.id, lockReason: 'Certificate hold', operator: 'agent1' })).to.deep.equal({ certificateState: 'Certificate hold' });
      expect(await ok('ca.lock-certificate', { certificateId: revoked.id, lockReason: 'Key compromised', operator: 'agent1' })).to.deep.equal({ certificateState: 'Key compromised' });
      expect((await getCertificate(pool, revoked.id)).state).to.equal('Key compromised');
      const crl = await crlText();
      expect(serialIn(crl, held.serial!) && serialIn(crl, revoked.serial!)).to.equal(true);
      expect(crl).to.contain('Certificate Hold').and.contain('Key Compromise');
    });

    it('when a virtual smart card was reactivated (certificates valid at the CA, on hold in the store), then "Certificate hold" holds them at the CA again: on the CRL, the change in the history (issue 17.3)', async () => {
      const { card, certs } = await aCardWithCertificates('virtual-smart-card');
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator' });
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
      try {
        await ok('cards.reactivate', { cardId: card.id, operator: 'operator' });
      } finally {
        await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
      }
      const cert = certs[0]!;
      expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
      expect((await ca.status(cert.serial!)).status).to.equal('valid');

      expect(await ok('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'agent1' })).to.deep.equal({ certificateState: 'Certificate hold' });
      expect((await ca.status(cert.serial!)).status).to.equal('hold');
      expect(serialIn(await crlText(), cert.serial!), 'on the CRL').to.equal(true);
      expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
      const last = (await auditHistory(pool, 'certificate', cert.id)).at(-1)!;
      expect(last).to.include({ fromState: 'Certificate hold', toState: 'Certificate hold', actor: 'agent1' });
      expect(last.reason).to.match(/put on hold at the CA/);
    });

    it('when the certificate is already on hold at the CA but Valid in the store, then the lock succeeds and the store follows the CA (issue 17.3)', async () => {
      const cert = await aCertificate();
      await ca.hold({ idempotencyKey: `elsewhere-${cert.serial}`, serialNumber: cert.serial! });
      expect(await run('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'agent1' })).to.deep.include({ kind: 'complete' });
      expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
      expect((await ca.status(cert.serial!)).status).to.equal('hold');
    });

    it('when a revoked certificate is to be locked, then STATE_CONFLICT and nothing changes', async () => {
      const cert = await aCertificate();
      await ok('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Superseded', operator: 'agent1' });
      expect(await run('ca.check-lock', { certificateId: cert.id, requester: 'operator' })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      expect(await run('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'agent1' })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      expect((await ca.status(cert.serial!)).reason).to.equal('superseded');
    });

    it('when the profile requires approval for lock/revocation, then the check says approval comes first', async () => {
      const cert = await aCertificate({ revocationApprovalRequired: true });
      expect(await ok('ca.check-lock', { certificateId: cert.id, requester: 'operator' })).to.include({ approvalRequired: true, certificateState: 'Valid' });
      expect(await ok('ca.check-lock', { certificateId: (await aCertificate()).id, requester: 'operator' })).to.include({ approvalRequired: false });
    });

    it('when an approved lock is carried out, then its request is Completed; when the certificate changed meanwhile, the request is Failed with the refusal (issue 18.5)', async () => {
      const cert = await aCertificate({ revocationApprovalRequired: true });
      const approved = async () => {
        const r = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator', certificateId: cert.id }, actor);
        await transitionRequest(pool, r.id, 'Requested', actor);
        return (await transitionRequest(pool, r.id, 'Approved', { actor: 'agent1' })).id;
      };
      const first = await approved();
      const job = aJob('ca.lock-certificate');
      await ok('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'operator', requestId: first }, job);
      await ok('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'operator', requestId: first }, job); // delivered again
      expect((await getRequest(pool, first)).state).to.equal('Completed');
      expect((await auditHistory(pool, 'request', first)).map((a) => a.toState)).to.deep.equal(['Registered', 'Requested', 'Approved', 'Completed']);

      await ok('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Superseded', operator: 'agent1' });
      const second = await approved();
      expect(await run('ca.lock-certificate', { certificateId: cert.id, lockReason: 'Certificate hold', operator: 'operator', requestId: second })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      const failed = await getRequest(pool, second);
      expect(failed.state).to.equal('Failed');
      expect(failed.failureReason).to.contain("is 'Superseded'");
    });

    it('when an approved deactivation is carried out, then its request is Completed (issue 18.5)', async () => {
      const { card } = await aCardWithCertificates();
      const r = await createRequest(pool, { type: 'deactivation', useCase: 'CardsProcDeactivate', requester: 'operator', cardId: card.id }, actor);
      await transitionRequest(pool, r.id, 'Requested', actor);
      await transitionRequest(pool, r.id, 'Approved', { actor: 'agent1' });
      await ok('cards.deactivate', { cardId: card.id, operator: 'operator', requestId: r.id });
      expect((await getRequest(pool, r.id)).state).to.equal('Completed');
    });

    it('when a lock or deactivation starts, then its check names the instance that owns a request made on the way (issue 18.3)', async () => {
      const cert = await aCertificate();
      expect(await ok('ca.check-lock', { certificateId: cert.id, requester: 'operator' }, aJob('ca.check-lock', { processInstanceKey: '2251799813777001' }))).to.include({ ownerProcessInstanceKey: '2251799813777001' });
      const { card } = await aCardWithCertificates();
      expect(await ok('cards.check-deactivate', { cardId: card.id, operator: 'operator' }, aJob('cards.check-deactivate', { processInstanceKey: '2251799813777002' }))).to.include({ ownerProcessInstanceKey: '2251799813777002' });
    });

    it('when a use case is refused at its first step, then the refusal and its reason are on the object\'s history, once, and the state stays (issue 18.8)', async () => {
      const { card } = await aCardWithCertificates();
      await transitionCard(pool, card.id, 'inactive', actor);
      const job = aJob('cards.check-deactivate');
      expect(await run('cards.check-deactivate', { cardId: card.id, operator: 'operator' }, job)).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      expect(await run('cards.check-deactivate', { cardId: card.id, operator: 'operator' }, job)).to.deep.include({ errorCode: 'STATE_CONFLICT' }); // delivered again
      const refusals = (await auditHistory(pool, 'card', card.id)).filter((a) => a.reason?.startsWith('Deactivate card refused'));
      expect(refusals).to.have.length(1);
      expect(refusals[0]).to.include({ fromState: 'inactive', toState: 'inactive', actor: 'operator', processInstanceKey: job.processInstanceKey });
      expect(refusals[0]!.reason).to.contain('only an active card can be deactivated');

      const cert = await aCertificate();
      await updateOptions(pool, 'AssetsProcLockCertificate', { enabled: false }, 'demo');
      try {
        expect(await run('ca.check-lock', { certificateId: cert.id, requester: 'operator' })).to.deep.include({ errorCode: 'USE_CASE_DISABLED' });
      } finally {
        await updateOptions(pool, 'AssetsProcLockCertificate', { enabled: true }, 'demo');
      }
      expect((await auditHistory(pool, 'certificate', cert.id)).at(-1)).to.include({ fromState: 'Valid', toState: 'Valid', reason: 'Lock certificate refused: Lock certificate is disabled by an admin' });
    });

    it('when an unknown reason is chosen, then the job fails at once naming the field', async () => {
      const o = await run('ca.lock-certificate', { certificateId: 1, lockReason: 'Because', operator: 'agent1' });
      expect(o).to.deep.include({ kind: 'fail', retries: 0 });
      expect((o as { errorMessage: string }).errorMessage).to.contain('lockReason');
    });
  });
});
