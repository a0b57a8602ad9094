/**
 * AssetsProcUnlockCertificate (issue 18.12) on the engine with the application's workers,
 * PostgreSQL and the built-in CA (CRL read by openssl): a held certificate is released and Valid
 * again; Cancel changes nothing. An engine suite.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import { toCaProfile } from '../../../src/ca/store-profile';
import { waitForProcessInstanceState } from '../../../src/engine/user-tasks';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { appEngine } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { taskDriver } from '../../support/task-driver';
import { openssl, testCa, tmpFile } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

describe('process: unlock certificate (engine, issue 18.12)', function () {
  this.timeout(180_000);
  let engine: TestEngine;
  let pool: Pool;
  let ca: BuiltinCa;
  const { complete } = taskDriver(() => engine);
  const crl = async () => (await openssl(['crl', '-in', tmpFile('unlock-crl.pem', (await ca.currentCrl()).pem), '-noout', '-text'])).out.toUpperCase().replace(/[^0-9A-Z\n ]/g, '');

  before(async function () {
    engine = await appEngine(this);
    ({ ca } = await testCa());
    pool = (await testCa()).db.pool;
  });

  async function aHeldCertificate() {
    const tag = crypto.randomBytes(4).toString('hex');
    const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const issued = await ca.issueFromCsr({ idempotencyKey: `unlock-e-${tag}`, csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: `held-${tag}` }), profile: toCaProfile(profile) });
    const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
    await ca.hold({ idempotencyKey: `hold-e-${tag}`, serialNumber: issued.serialNumber });
    await transitionCertificate(pool, cert.id, 'Certificate hold', actor);
    return cert;
  }
  const start = async (certificateId: number) =>
    String((await engine.clients.rest.createProcessInstance({ processDefinitionId: 'AssetsProcUnlockCertificate', variables: { requester: 'operator', requesterEmail: 'operator@example.test', certificateId } })).processInstanceKey);

  it('when the operator unlocks a held certificate, then it is Valid in the store and gone from the CRL', async () => {
    const cert = await aHeldCertificate();
    expect(await crl()).to.contain(cert.serial!.toUpperCase());
    const pik = await start(cert.id);
    await complete(pik, 'Task_ConfirmUnlock', 'operator', { nextAction: 'next' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
    expect(await crl()).to.not.contain(cert.serial!.toUpperCase());
  });

  it('when the operator cancels, then the certificate stays on hold', async () => {
    const cert = await aHeldCertificate();
    const pik = await start(cert.id);
    await complete(pik, 'Task_ConfirmUnlock', 'operator', { nextAction: 'cancel' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
    expect((await ca.status(cert.serial!)).status).to.equal('hold');
  });
});
