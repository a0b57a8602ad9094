/**
 * Unlock certificate (AssetsProcUnlockCertificate, issue 18.12): a certificate on hold is released
 * at the CA and Valid again in the store. Handlers on PostgreSQL and the built-in CA; the model is
 * run on the engine in test/integration/processes/unlock.spec.ts.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import { toCaProfile } from '../../../src/ca/store-profile';
import { auditHistory } from '../../../src/store/audit';
import { transitionCard } from '../../../src/store/cards';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { createUnlockHandlers } from '../../../workers/unlock';
import { runHandler, type AnyJobHandler, type JobOutcome } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { testCa } from '../ca/support';
import { aCard, aProfile, actor } from '../store/fixtures';

describe('unlock certificate handlers (issue 18.12) on PostgreSQL and the built-in CA', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let handlers: Map<string, AnyJobHandler>;
  const run = (type: string, vars: Record<string, unknown>): Promise<JobOutcome> => runHandler(handlers.get(type)!, vars, aJob(type));

  before(async () => {
    const t = await testCa();
    ({ ca } = t);
    pool = t.db.pool;
    // 'operator' is a registration authority (migration 030) and completes the form here.
    handlers = new Map(createUnlockHandlers({ pool, ca, completedTasks: { lastCompleted: async () => ({ userTaskKey: '1', completedBy: 'operator' }) } }).map((h) => [h.type, h]));
  });

  async function aHeldCertificate(cardId?: number) {
    const tag = crypto.randomBytes(4).toString('hex');
    const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const issued = await ca.issueFromCsr({ idempotencyKey: `unlock-${tag}`, csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: `held-${tag}` }), profile: toCaProfile(profile) });
    const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem, ...(cardId ? { cardId } : {}) }, actor);
    await ca.hold({ idempotencyKey: `hold-${tag}`, serialNumber: issued.serialNumber });
    await transitionCertificate(pool, cert.id, 'Certificate hold', actor);
    return cert;
  }

  it('when a held certificate is unlocked, then it is valid at the CA and Valid in the store, with history', async () => {
    const cert = await aHeldCertificate();
    const checked = await run('ca.check-unlock', { certificateId: cert.id, requester: 'operator' });
    expect(checked).to.deep.include({ kind: 'complete', variables: { certificateSubject: cert.subject, certificateSerial: cert.serial, certificateState: 'Certificate hold' } });
    expect(await run('ca.unlock-certificate', { certificateId: cert.id, operator: 'operator' })).to.deep.include({ kind: 'complete' });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
    expect((await ca.status(cert.serial!)).status).to.equal('valid');
    expect((await auditHistory(pool, 'certificate', cert.id)).at(-1)).to.include({ fromState: 'Certificate hold', toState: 'Valid', actor: 'operator', reason: 'released from hold (unlocked)' });
  });

  it('when the CA has revoked it meanwhile, then STATE_CONFLICT and it stays on hold; a Valid one cannot be unlocked', async () => {
    const cert = await aHeldCertificate();
    await ca.revoke({ idempotencyKey: `rev-${cert.id}`, serialNumber: cert.serial!, reason: 'keyCompromise' });
    const out = await run('ca.unlock-certificate', { certificateId: cert.id, operator: 'operator' });
    expect(out).to.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');

    const valid = await aHeldCertificate();
    await run('ca.unlock-certificate', { certificateId: valid.id, operator: 'operator' });
    expect(await run('ca.check-unlock', { certificateId: valid.id, requester: 'operator' })).to.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
  });

  it('when the certificate is on an inactive card, then it is refused: the card is reactivated instead', async () => {
    const card = await aCard(pool);
    const cert = await aHeldCertificate(card.id);
    await transitionCard(pool, card.id, 'inactive', actor);
    const out = await run('ca.check-unlock', { certificateId: cert.id, requester: 'operator' });
    expect(out).to.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect((out as { errorMessage: string }).errorMessage).to.contain('reactivate the card');
    expect((await ca.status(cert.serial!)).status).to.equal('hold');
  });
});
