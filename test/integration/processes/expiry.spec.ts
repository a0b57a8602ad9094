/**
 * AssetsProcCertificateExpiry (issue 18.9) on the engine with the application's workers,
 * PostgreSQL and SMTP: its model (a timer start event beside "Check now") deploys with the
 * others, and a run expires what is past its notAfter and tells requesters what expires soon.
 * An engine suite.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { waitForProcessInstanceState } from '../../../src/engine/user-tasks';
import { auditHistory } from '../../../src/store/audit';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { createRequest } from '../../../src/store/requests';
import { appEngine } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { testSmtp } from '../../support/smtp';
import { testCa } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

const DAY = 24 * 60 * 60 * 1000;

describe('process: certificate expiry watch (engine, issue 18.9)', function () {
  this.timeout(180_000);
  let engine: TestEngine;
  let pool: Pool;

  before(async function () {
    engine = await appEngine(this);
    pool = (await testCa()).db.pool;
  });

  it('when the watch runs ("Check now"), then an expired certificate becomes Certificate expired and the requester of one expiring soon is emailed once', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const profile = await aProfile(pool);
    const expired = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: `CN=gone-${tag}`, serial: `a${tag}`, notAfter: new Date(Date.now() - 60_000) }, actor);
    const soon = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: `CN=soon-${tag}`, serial: `b${tag}`, notAfter: new Date(Date.now() + 7 * DAY) }, actor);
    const requester = `soon-${tag}@example.test`;
    await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'bob', requesterEmail: requester, profileId: profile.id, certificateId: soon.id }, actor);
    const smtp = await testSmtp();

    const runWatch = async () => {
      const pik = String((await engine.clients.rest.createProcessInstance({ processDefinitionId: 'AssetsProcCertificateExpiry', variables: {} })).processInstanceKey);
      await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
      return pik;
    };
    const pik = await runWatch();
    expect((await getCertificate(pool, expired.id)).state).to.equal('Certificate expired');
    expect((await auditHistory(pool, 'certificate', expired.id)).at(-1)).to.include({ toState: 'Certificate expired', processInstanceKey: pik });
    await smtp.waitFor((m) => m.to.includes(requester));
    expect((await getCertificate(pool, soon.id)).state).to.equal('Valid');

    await runWatch();
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.inbox.filter((m) => m.to.includes(requester))).to.have.length(1);
  });
});
