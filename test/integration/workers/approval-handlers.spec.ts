/**
 * The approval handlers on real PostgreSQL and a real SMTP server, called as the engine calls
 * them (through runHandler with a job). The BPMN wiring is tested with the engine.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createApprovalHandlers, reviewApprovalTask } from '../../../workers/approval';
import { aJob } from '../../support/jobs';
import { runHandler, type AnyJobHandler, type JobInfo, type JobOutcome } from '../../../workers/runtime';
import { createMailer } from '../../../src/mail/mailer';
import { createMailTransport } from '../../../src/mail/transport';
import { createRequest, getRequest } from '../../../src/store/requests';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { auditHistory } from '../../../src/store/audit';
import { updateOptions } from '../../../src/store/options';
import { testDatabase } from '../../support/database';
import { testSmtp, type TestSmtp } from '../../support/smtp';
import { anAsset, aProfile, actor } from '../store/fixtures';


describe('approval handlers (spec 001) on PostgreSQL and SMTP', () => {
  let pool: Pool;
  let smtp: TestSmtp;
  let handlers: Map<string, AnyJobHandler>;
  const run = (type: string, vars: Record<string, unknown>, job = aJob(type)): Promise<JobOutcome> =>
    runHandler(handlers.get(type)!, vars, job);
  const completed = async (type: string, vars: Record<string, unknown>, job?: JobInfo) => {
    const o = await run(type, vars, job);
    if (o.kind !== 'complete') throw new Error(`${type} did not complete: ${JSON.stringify(o)}`);
    return o.variables;
  };

  before(async () => {
    pool = (await testDatabase()).pool;
    smtp = await testSmtp();
    const mailer = createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused' }));
    handlers = new Map(
      (createApprovalHandlers({ pool, mailer, tasklistUrl: 'http://localhost:8080/tasklist' })).map((h) => [h.type, h]),
    );
  });

  async function anEnrollmentRequest() {
    const profile = await aProfile(pool, { enrollmentApprovalRequired: true, approverEmails: ['approvers@example.test'] });
    const asset = await anAsset(pool);
    const cert = await createCertificate(pool, { state: 'Certificate requested', profileId: profile.id, assetId: asset.id, subject: `CN=${asset.name}` }, actor);
    const out = await completed('approval.create-request', {
      useCase: 'AssetsProcEnrollProfile',
      requestType: 'enrollment',
      requester: 'agent1',
      requesterEmail: 'agent1@example.test',
      profileId: profile.id,
      assetId: asset.id,
      certificateId: cert.id,
      requestDetails: { dnsNames: [`${asset.name}.corp.example.com`], commonName: asset.name },
    });
    return { profile, asset, cert, requestId: out.requestId as number, out };
  }

  it('when a request is created, then it is Requested with its audit trail and the approvers are emailed once', async () => {
    const { requestId, asset, out } = await anEnrollmentRequest();
    expect(out).to.deep.include({ approverGroup: 'workplace-certificate-agent', approverEmails: ['approvers@example.test'] });
    const r = await getRequest(pool, requestId);
    expect(r).to.include({ state: 'Requested', requester: 'agent1', type: 'enrollment', processInstanceKey: '2251799813000001' });
    expect((await auditHistory(pool, 'request', requestId)).map((a) => a.toState)).to.deep.equal(['Registered', 'Requested']);

    const job = aJob('approval.notify-approvers');
    expect(await completed('approval.notify-approvers', { requestId }, job)).to.deep.equal({ approversNotified: 1 });
    await completed('approval.notify-approvers', { requestId }, job); // the engine delivers the job again
    const mail = await smtp.waitFor((m) => m.subject.includes(`(request ${requestId})`));
    expect(mail.to).to.deep.equal(['approvers@example.test']);
    expect(mail.subject).to.equal(`Approval requested: enrollment of asset ${asset.name} (request ${requestId})`);
    expect(mail.text).to.contain('agent1 requests').and.contain(`${asset.name}.corp.example.com`).and.contain('http://localhost:8080/tasklist');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.inbox.filter((m) => m.subject.includes(`(request ${requestId})`))).to.have.length(1);
  });

  it('when an enrollment already has its request, then approval sends that request (no second one)', async () => {
    const existing = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'agent1' }, actor);
    const before = (await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n;
    const out = await completed('approval.create-request', { requestId: existing.id, useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester: 'agent1' });
    expect(out.requestId).to.equal(existing.id);
    expect((await getRequest(pool, existing.id)).state).to.equal('Requested');
    expect((await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n).to.equal(before);
  });

  it('when the create-request job is delivered twice, then one request exists', async () => {
    const profile = await aProfile(pool);
    const job = aJob('approval.create-request');
    const vars = { useCase: 'AssetsProcLockCertificate', requestType: 'lock', requester: 'operator', profileId: profile.id };
    const a = await completed('approval.create-request', vars, job);
    const b = await completed('approval.create-request', vars, job);
    expect(b.requestId).to.equal(a.requestId);
  });

  it('when approved, then the request is Approved, decided by the approver, and the requester gets one email', async () => {
    const { requestId } = await anEnrollmentRequest();
    expect(await completed('approval.decide', { requestId, decision: 'approve', decidedBy: 'agent2' })).to.deep.equal({ approvalState: 'approved' });
    expect(await getRequest(pool, requestId)).to.include({ state: 'Approved', decidedBy: 'agent2' });
    await completed('approval.notify-requester', { requestId });
    const mail = await smtp.waitFor((m) => m.subject.startsWith('Approved:') && m.subject.includes(`(request ${requestId})`));
    expect(mail.to).to.deep.equal(['agent1@example.test']);
    expect(mail.text).to.contain('approved by agent2');
  });

  it('when rejected with a reason, then request and certificate are Rejected and the reason is in the email', async () => {
    const { requestId, cert } = await anEnrollmentRequest();
    const out = await completed('approval.decide', { requestId, decision: 'reject', rejectionReason: 'web01 is being decommissioned', decidedBy: 'agent2' });
    expect(out).to.deep.equal({ approvalState: 'rejected' });
    expect(await getRequest(pool, requestId)).to.include({ state: 'Rejected', rejectionReason: 'web01 is being decommissioned', decidedBy: 'agent2' });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Rejected');
    await completed('approval.notify-requester', { requestId });
    const mail = await smtp.waitFor((m) => m.subject.startsWith('Rejected:') && m.subject.includes(`(request ${requestId})`));
    expect(mail.text).to.contain('web01 is being decommissioned');
  });

  it('when rejected without a reason, then a REASON_REQUIRED BPMN error and nothing changes', async () => {
    const { requestId } = await anEnrollmentRequest();
    const o = await run('approval.decide', { requestId, decision: 'reject', rejectionReason: '  ', decidedBy: 'agent2' });
    expect(o).to.deep.include({ kind: 'error', errorCode: 'REASON_REQUIRED' });
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
  });

  it('when put on hold, then the request stays Requested and can be approved later', async () => {
    const { requestId } = await anEnrollmentRequest();
    expect(await completed('approval.decide', { requestId, decision: 'hold', decidedBy: 'agent2' })).to.deep.equal({ approvalState: 'onHold' });
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    expect(await completed('approval.load-request', { requestId })).to.include({ requester: 'agent1' });
    expect(await completed('approval.decide', { requestId, decision: 'approve', decidedBy: 'agent2' })).to.deep.equal({ approvalState: 'approved' });
  });

  it('when the requester decides their own request, then FORBIDDEN and nothing changes', async () => {
    const { requestId } = await anEnrollmentRequest();
    const o = await run('approval.decide', { requestId, decision: 'approve', decidedBy: 'agent1' });
    expect(o).to.deep.include({ kind: 'error', errorCode: 'FORBIDDEN' });
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
  });

  it('when a decided request is loaded for a new decision, then STATE_CONFLICT', async () => {
    const { requestId } = await anEnrollmentRequest();
    await completed('approval.decide', { requestId, decision: 'approve', decidedBy: 'agent2' });
    expect(await run('approval.load-request', { requestId })).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
  });

  it('when the use case options list approver addresses, then they are emailed too (no code, no redeploy)', async () => {
    await updateOptions(pool, 'CardsProcDeactivate', { approverEmails: ['card-approvers@example.test'] }, 'demo');
    const out = await completed('approval.create-request', { useCase: 'CardsProcDeactivate', requestType: 'lock', requester: 'operator' });
    expect(out.approverEmails).to.deep.equal(['card-approvers@example.test']);
    await updateOptions(pool, 'CardsProcDeactivate', { approverEmails: [] }, 'demo');
  });

  describe('task listeners of "Approve request"', () => {
    const as = (type: string, assignee?: string) => aJob(type, { customHeaders: assignee ? { 'io.camunda.zeebe:assignee': assignee } : {} });

    it('when the requester is assigned their own request, then the assignment is denied; another agent is allowed', async () => {
      const { requestId } = await anEnrollmentRequest();
      const own = await run('approval.review-assignment', { requestId }, as('approval.review-assignment', 'agent1'));
      expect(own.kind).to.equal('verdict');
      expect(own).to.deep.include({ verdict: { denied: true, deniedReason: 'agent1 requested this and cannot decide their own request (four-eyes principle)' } });
      expect(await run('approval.review-assignment', { requestId }, as('approval.review-assignment', 'agent2'))).to.deep.equal({ kind: 'verdict', verdict: { denied: false } });
    });

    it('when a rejection without reason is completed, then it is denied and the request stays Requested', async () => {
      const { requestId } = await anEnrollmentRequest();
      const o = await run('approval.review-completion', { requestId, decision: 'reject' }, as('approval.review-completion', 'agent2'));
      expect(o).to.deep.equal({ kind: 'verdict', verdict: { denied: true, deniedReason: 'a rejection needs a reason for rejection' } });
      expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    });

    it('when agent2 completes an approval, then it is allowed and the request is Approved by agent2, once even if the job is delivered again', async () => {
      const { requestId } = await anEnrollmentRequest();
      const job = as('approval.review-completion', 'agent2');
      expect(await run('approval.review-completion', { requestId, decision: 'approve' }, job)).to.deep.equal({ kind: 'verdict', verdict: { denied: false } });
      expect(await run('approval.review-completion', { requestId, decision: 'approve' }, job)).to.deep.equal({ kind: 'verdict', verdict: { denied: false } });
      expect(await getRequest(pool, requestId)).to.include({ state: 'Approved', decidedBy: 'agent2' });
      expect((await auditHistory(pool, 'request', requestId)).filter((a) => a.toState === 'Approved')).to.have.length(1);
    });

    it('when the request was decided meanwhile, then the completion is denied with the reason', async () => {
      const { requestId } = await anEnrollmentRequest();
      await completed('approval.decide', { requestId, decision: 'approve', decidedBy: 'agent2' });
      const o = await run('approval.review-completion', { requestId, decision: 'reject', rejectionReason: 'too late' }, as('approval.review-completion', 'agent2'));
      expect(o).to.deep.include({ kind: 'verdict' });
      expect((o as { verdict: { deniedReason: string } }).verdict.deniedReason).to.match(/is in state 'Approved' and cannot change to 'Rejected'/);
    });

    it('when nobody claimed the task, then the completion is denied', async () => {
      const { requestId } = await anEnrollmentRequest();
      expect(await run('approval.review-completion', { requestId, decision: 'approve' }, as('approval.review-completion'))).to.deep.include({ verdict: { denied: true, deniedReason: 'claim the task before deciding, so the decision has a name' } });
    });
  });

  it('when the task listener reviews an assignment or completion, then four-eyes and the reason rule hold', () => {
    const base = { requester: 'agent1', decision: 'approve' };
    expect(reviewApprovalTask({ ...base, event: 'assigning', assignee: 'agent1' })).to.deep.include({ denied: true });
    expect(reviewApprovalTask({ ...base, event: 'assigning', assignee: 'agent2' })).to.deep.equal({ denied: false });
    expect(reviewApprovalTask({ ...base, event: 'completing', assignee: 'agent1' })).to.deep.include({ denied: true });
    expect(reviewApprovalTask({ ...base, event: 'completing', assignee: 'agent2' })).to.deep.equal({ denied: false });
    expect(reviewApprovalTask({ ...base, event: 'completing', assignee: undefined })).to.deep.include({ denied: true });
    expect(reviewApprovalTask({ requester: 'agent1', event: 'completing', assignee: 'agent2', decision: 'reject' })).to.deep.equal({
      denied: true,
      deniedReason: 'a rejection needs a reason for rejection',
    });
  });
});
