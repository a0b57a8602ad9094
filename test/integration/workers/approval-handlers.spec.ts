/**
 * The approval handlers on real PostgreSQL and a real SMTP server, called as the engine calls
 * them (through runHandler with a job). The BPMN wiring is tested with the engine.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createApprovalHandlers, reviewDecision } from '../../../workers/approval';
import { addGroupMember, removeGroupMember, setUserEmail } from '../../../src/store/groups';
import { aJob } from '../../support/jobs';
import { runHandler, type AnyJobHandler, type JobInfo, type JobOutcome } from '../../../workers/runtime';
import { createMailer } from '../../../src/mail/mailer';
import { createMailTransport } from '../../../src/mail/transport';
import { createRequest, deleteRequest, getRequest } from '../../../src/store/requests';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { auditHistory } from '../../../src/store/audit';
import { updateOptions } from '../../../src/store/options';
import { testDatabase } from '../../support/database';
import { testSmtp, type TestSmtp } from '../../support/smtp';
import { aCard, anAsset, aProfile, actor } from '../store/fixtures';


describe('approval handlers (spec 001) on PostgreSQL and SMTP', () => {
  let pool: Pool;
  let smtp: TestSmtp;
  let handlers: Map<string, AnyJobHandler>;
  let lastCompletedBy: string | undefined;
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
      createApprovalHandlers({
        pool,
        mailer,
        tasklistUrl: 'http://localhost:8080/tasklist',
        publicUrl: 'https://pki.example.test',
        // The engine's answer to "who completed the task" (a fake of deps; the engine suites use the real one).
        completedTasks: { lastCompleted: async () => ({ userTaskKey: '1', completedBy: lastCompletedBy }) },
      }).map((h) => [h.type, h]),
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

  it('when a request is created, then it is Requested with its audit trail and the approvers — the group\'s members but the requester, and the configured addresses — are emailed once, with the link to the request\'s task (issue 18.7)', async () => {
    const { requestId, asset, out } = await anEnrollmentRequest();
    expect(out).to.deep.include({ approverGroup: 'workplace-certificate-agent', approverEmails: ['approvers@example.test'] });
    const r = await getRequest(pool, requestId);
    expect(r).to.include({ state: 'Requested', requester: 'agent1', type: 'enrollment', processInstanceKey: '2251799813000001' });
    expect((await auditHistory(pool, 'request', requestId)).map((a) => a.toState)).to.deep.equal(['Registered', 'Requested']);

    const job = aJob('approval.notify-approvers');
    const notified = await completed('approval.notify-approvers', { requestId }, job);
    expect(notified).to.deep.include({ requesterNotified: true, alreadyRequested: [] });
    await completed('approval.notify-approvers', { requestId }, job); // the engine delivers the job again
    const mail = await smtp.waitFor((m) => m.subject.startsWith('Approval requested') && m.subject.includes(`(request ${requestId})`));
    // agent2 is a member of workplace-certificate-agent (migration 010) at agent2@example.com (090); agent1 asked.
    expect(mail.to).to.include.members(['approvers@example.test', 'agent2@example.com']);
    expect(mail.to).to.not.include('agent1@example.com');
    expect(notified.approversNotified).to.equal(mail.to.length);
    expect(mail.subject).to.equal(`Approval requested: enrollment of asset ${asset.name} (request ${requestId})`);
    expect(mail.text).to.contain('agent1 requests').and.contain(`${asset.name}.corp.example.com`).and.contain(`https://pki.example.test/api/requests/${requestId}/approval-task`);
    // Spec 001: the requester learns that the request was sent for approval (issue 18.7).
    const sent = await smtp.waitFor((m) => m.subject.startsWith('Sent for approval') && m.subject.includes(`(request ${requestId})`));
    expect(sent.to).to.deep.equal(['agent1@example.test']);
    expect(sent.subject).to.equal(`Sent for approval: enrollment of asset ${asset.name} (request ${requestId})`);
    expect(sent.text).to.contain('sent for approval').and.contain('workplace-certificate-agent');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.inbox.filter((m) => m.subject.includes(`(request ${requestId})`))).to.have.length(2);
  });

  it('when an enrollment already has its request, then approval sends that request (no second one)', async () => {
    const existing = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'agent1' }, actor);
    const before = (await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n;
    const out = await completed('approval.create-request', { requestId: existing.id, useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester: 'agent1' });
    expect(out.requestId).to.equal(existing.id);
    expect((await getRequest(pool, existing.id)).state).to.equal('Requested');
    expect((await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n).to.equal(before);
  });

  it('when an enrollment sends its request after the data was entered, then the request carries that data for the approver; a request already sent keeps what it was sent with (issue 18.2)', async () => {
    const existing = await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'agent1', details: { protocol: 'P10', commonName: '', dnsNames: [] } }, actor);
    const entered = { protocol: 'P10', subject: 'CN=web.corp.example.com,O=Example', commonName: 'web.corp.example.com', dnsNames: 'web.corp.example.com, api.corp.example.com', key: 'RSA 2048 bits' };
    await completed('approval.create-request', { requestId: existing.id, useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester: 'agent1', requestDetails: entered });
    expect((await getRequest(pool, existing.id)).details).to.deep.equal(entered);
    const load = await completed('approval.load-request', { requestId: existing.id }, aJob('approval.load-request'));
    const facts = (load.requestFacts as Array<{ label: string; value: string }>).map((f) => `${f.label}: ${f.value}`);
    expect(facts).to.include.members(['Common Name: web.corp.example.com', 'Dns Names: web.corp.example.com, api.corp.example.com', 'Subject: CN=web.corp.example.com,O=Example']);
    expect(await run('approval.create-request', { requestId: existing.id, useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester: 'agent1', requestDetails: { commonName: 'other.corp.example.com' } })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
    expect((await getRequest(pool, existing.id)).details).to.deep.equal(entered);
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

  it('when a second approval process loads a request that already has its decision task, then STATE_CONFLICT: one request, one task (issue 18.1)', async () => {
    const { requestId } = await anEnrollmentRequest();
    const own = aJob('approval.load-request', { processInstanceKey: '2251799813555001' });
    await completed('approval.load-request', { requestId }, own);
    expect((await getRequest(pool, requestId)).approvalProcessInstanceKey).to.equal('2251799813555001');
    await completed('approval.load-request', { requestId }, aJob('approval.load-request', { processInstanceKey: '2251799813555001' })); // its own, again
    const second = await run('approval.load-request', { requestId }, aJob('approval.load-request', { processInstanceKey: '2251799813555002' }));
    expect(second).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect((second as { errorMessage: string }).errorMessage).to.contain('2251799813555001');
    expect((await getRequest(pool, requestId)).approvalProcessInstanceKey).to.equal('2251799813555001');
  });

  it('when a lock or deactivation creates its request, then the request belongs to the use case\'s own instance, not the finished sub-process (issue 18.3)', async () => {
    const out = await completed(
      'approval.create-request',
      { useCase: 'CardsProcDeactivate', requestType: 'deactivation', requester: 'operator', ownerProcessInstanceKey: '2251799813666001' },
      aJob('approval.create-request', { processInstanceKey: '2251799813666002' }),
    );
    expect((await getRequest(pool, out.requestId as number)).processInstanceKey).to.equal('2251799813666001');
  });

  it('when a deactivation is sent for approval, then the approvers read "deactivation of card", not "lock" (issue 18.6)', async () => {
    const card = await aCard(pool);
    await updateOptions(pool, 'CardsProcDeactivate', { approverEmails: ['card-approvers@example.test'] }, 'demo');
    try {
      const out = await completed('approval.create-request', { useCase: 'CardsProcDeactivate', requestType: 'deactivation', requester: 'operator', cardId: card.id });
      const requestId = out.requestId as number;
      expect((await getRequest(pool, requestId)).type).to.equal('deactivation');
      await completed('approval.notify-approvers', { requestId });
      const mail = await smtp.waitFor((m) => m.subject.includes(`(request ${requestId})`));
      expect(mail.subject).to.equal(`Approval requested: deactivation of card ${card.serialNumber} (request ${requestId})`);
      expect(mail.text).not.to.contain('lock');
    } finally {
      await updateOptions(pool, 'CardsProcDeactivate', { approverEmails: [] }, 'demo');
    }
  });

  it('when an enrollment request is deleted, then its certificate object is Rejected, with the deletion in both histories (issue 18.3)', async () => {
    const { requestId, cert } = await anEnrollmentRequest();
    await deleteRequest(pool, requestId, { actor: 'agent1', reason: 'deleted by an operator' });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Rejected');
    expect((await auditHistory(pool, 'certificate', cert.id)).at(-1)).to.include({ toState: 'Rejected', actor: 'agent1', reason: `request ${requestId} deleted` });
    expect((await auditHistory(pool, 'request', requestId)).at(-1)).to.include({ toState: 'Deleted' });
  });

  it('when a member of the approver group has an address, then they are emailed; removed from the group, no longer (membership is data; issue 18.7)', async () => {
    await setUserEmail(pool, 'carol', 'carol@example.test', 'test-suite');
    await addGroupMember(pool, 'workplace-certificate-agent', 'carol', 'test-suite');
    try {
      const { requestId } = await anEnrollmentRequest();
      await completed('approval.notify-approvers', { requestId });
      expect((await smtp.waitFor((m) => m.subject.startsWith('Approval requested') && m.subject.includes(`(request ${requestId})`))).to).to.include('carol@example.test');
    } finally {
      await removeGroupMember(pool, 'workplace-certificate-agent', 'carol', 'test-suite');
    }
    const { requestId } = await anEnrollmentRequest();
    await completed('approval.notify-approvers', { requestId });
    expect((await smtp.waitFor((m) => m.subject.startsWith('Approval requested') && m.subject.includes(`(request ${requestId})`))).to).to.not.include('carol@example.test');
  });

  it('when the same thing is requested again while the first request waits, then the requester gets a notice naming it, and the approvers see it (spec 002; issue 18.7)', async () => {
    const { profile, asset, cert, requestId: first } = await anEnrollmentRequest();
    const again = await completed('approval.create-request', {
      useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester: 'agent1', requesterEmail: 'agent1@example.test',
      profileId: profile.id, assetId: asset.id, certificateId: cert.id,
    });
    const second = again.requestId as number;
    expect(await completed('approval.notify-approvers', { requestId: second })).to.deep.include({ alreadyRequested: [first] });
    const notice = await smtp.waitFor((m) => m.subject.startsWith('Already requested') && m.subject.includes(`(request ${second},`));
    expect(notice.to).to.deep.equal(['agent1@example.test']);
    expect(notice.text).to.contain(`request ${first}`);
    const toApprovers = await smtp.waitFor((m) => m.subject.startsWith('Approval requested') && m.subject.includes(`(request ${second})`));
    expect(toApprovers.text).to.contain(`Requested already, still open: request ${first}`);
    // Each names the other while both wait.
    expect(await completed('approval.notify-approvers', { requestId: first })).to.deep.include({ alreadyRequested: [second] });
  });

  it('when the use case options list approver addresses, then they are emailed too (no code, no redeploy)', async () => {
    await updateOptions(pool, 'CardsProcDeactivate', { approverEmails: ['card-approvers@example.test'] }, 'demo');
    const out = await completed('approval.create-request', { useCase: 'CardsProcDeactivate', requestType: 'lock', requester: 'operator' });
    expect(out.approverEmails).to.deep.equal(['card-approvers@example.test']);
    await updateOptions(pool, 'CardsProcDeactivate', { approverEmails: [] }, 'demo');
  });

  describe('"Check decision" after "Approve request"', () => {
    const decide = async (requestId: number, completedBy: string | undefined, vars: Record<string, unknown>, job = aJob('approval.check-decision')) => {
      lastCompletedBy = completedBy;
      return completed('approval.check-decision', { requestId, ...vars }, job);
    };

    it('when the requester completed their own request, then it is refused (four-eyes), recorded, and the request stays Requested', async () => {
      const { requestId } = await anEnrollmentRequest();
      const out = await decide(requestId, 'agent1', { decision: 'approve' });
      expect(out).to.deep.equal({
        approvalState: 'refused',
        decisionRefusal: 'agent1 requested this and cannot decide their own request (four-eyes principle)',
        decidedBy: null,
      });
      expect((await getRequest(pool, requestId)).state).to.equal('Requested');
      const history = await auditHistory(pool, 'request', requestId);
      expect(history.at(-1)).to.deep.include({ fromState: 'Requested', toState: 'Requested', actor: 'agent1' });
      expect(history.at(-1)!.reason).to.match(/^decision 'approve' refused: agent1 requested this/);
    });

    it('when someone outside the approver group decides, then it is refused naming the group', async () => {
      const { requestId } = await anEnrollmentRequest();
      const out = await decide(requestId, 'operator', { decision: 'approve' });
      expect(out.decisionRefusal).to.equal('operator is not a member of workplace-certificate-agent: only its members decide this request');
      expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    });

    it('when an admin adds operator to the group, then the same decision is accepted (membership is data)', async () => {
      const { requestId } = await anEnrollmentRequest();
      await addGroupMember(pool, 'workplace-certificate-agent', 'operator', 'demo');
      try {
        expect((await decide(requestId, 'operator', { decision: 'approve' })).approvalState).to.equal('approved');
      } finally {
        await removeGroupMember(pool, 'workplace-certificate-agent', 'operator', 'demo');
      }
    });

    it('when a rejection has no reason, or nobody was assigned, then it is refused and nothing changes', async () => {
      const { requestId } = await anEnrollmentRequest();
      expect((await decide(requestId, 'agent2', { decision: 'reject', rejectionReason: '  ' })).decisionRefusal).to.equal('a rejection needs a reason for rejection');
      expect((await decide(requestId, undefined, { decision: 'approve' })).decisionRefusal).to.equal(
        'assign the task to yourself before deciding, so the decision has a name',
      );
      expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    });

    it('when agent2 approves, then the request is Approved by agent2, once even if the job is delivered again', async () => {
      const { requestId } = await anEnrollmentRequest();
      const job = aJob('approval.check-decision');
      expect(await decide(requestId, 'agent2', { decision: 'approve' }, job)).to.deep.equal({ approvalState: 'approved', decisionRefusal: null, decidedBy: 'agent2' });
      expect(await decide(requestId, 'agent2', { decision: 'approve' }, job)).to.deep.equal({ approvalState: 'approved', decisionRefusal: null, decidedBy: 'agent2' });
      expect(await getRequest(pool, requestId)).to.include({ state: 'Approved', decidedBy: 'agent2' });
      expect((await auditHistory(pool, 'request', requestId)).filter((a) => a.toState === 'Approved')).to.have.length(1);
    });

    it('when agent2 puts it on hold, then it stays Requested and comes back', async () => {
      const { requestId } = await anEnrollmentRequest();
      expect((await decide(requestId, 'agent2', { decision: 'hold' })).approvalState).to.equal('onHold');
      expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    });
  });

  it('when a decision is reviewed, then completer, group, four-eyes and the reason rule decide (pure)', () => {
    const base = { requester: 'agent1', decision: 'approve', isApprover: true, approverGroup: 'g' };
    expect(reviewDecision({ ...base, completedBy: 'agent1' })).to.match(/four-eyes/);
    expect(reviewDecision({ ...base, completedBy: 'agent2' })).to.equal(undefined);
    expect(reviewDecision({ ...base, completedBy: 'agent2', isApprover: false })).to.equal('agent2 is not a member of g: only its members decide this request');
    expect(reviewDecision({ ...base, completedBy: undefined })).to.match(/assign the task to yourself/);
    expect(reviewDecision({ ...base, completedBy: 'agent2', decision: 'maybe' })).to.equal('choose Approve, Reject or On hold');
    expect(reviewDecision({ ...base, completedBy: 'agent2', decision: 'reject' })).to.equal('a rejection needs a reason for rejection');
  });
});
