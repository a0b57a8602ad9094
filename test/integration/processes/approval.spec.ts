/**
 * AssetsProcApprovalRequest and AssetsProcApproval (spec 001) on the engine with the
 * application's workers, PostgreSQL and the SMTP server: one test per path. An engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { demoUser } from '../../../src/engine/identity';
import { pollUntil, waitForProcessInstanceState, waitForUserTask, waitForVariables } from '../../../src/engine/user-tasks';
import { auditHistory } from '../../../src/store/audit';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { getRequest } from '../../../src/store/requests';
import { testApi } from '../../support/api';
import { appEngine } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { testSmtp, type TestSmtp } from '../../support/smtp';
import { testCa } from '../ca/support';
import { anAsset, aProfile, actor } from '../store/fixtures';

describe('processes: approval request and approval (engine)', function () {
  this.timeout(180_000);
  let engine: TestEngine;
  let pool: Pool;
  let smtp: TestSmtp;

  before(async function () {
    engine = await appEngine(this);
    pool = (await testCa()).db.pool;
    smtp = await testSmtp();
  });

  const as = (username: string) => {
    const u = demoUser(username);
    return { username: u.username, password: u.password };
  };

  /** A request for an enrollment by `requester`, sent for approval through AssetsProcApprovalRequest. */
  async function aRequestForApproval(requester = 'agent1') {
    const profile = await aProfile(pool, { enrollmentApprovalRequired: true, approverEmails: ['approvers@example.test'] });
    const asset = await anAsset(pool);
    const cert = await createCertificate(pool, { state: 'Certificate requested', profileId: profile.id, assetId: asset.id, subject: `CN=${asset.name}` }, actor);
    const created = await engine.clients.rest.createProcessInstance({
      processDefinitionId: 'AssetsProcApprovalRequest',
      variables: { useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester, requesterEmail: `${requester}@example.test`, profileId: profile.id, assetId: asset.id, certificateId: cert.id },
    });
    await waitForProcessInstanceState(engine.api, String(created.processInstanceKey), 'COMPLETED');
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM requests WHERE certificate_id = $1', [cert.id]);
    const requestId = rows[0]!.id;
    const approval = await engine.clients.rest.createProcessInstance({ processDefinitionId: 'AssetsProcApproval', variables: { requestId } });
    const processInstanceKey = String(approval.processInstanceKey);
    const task = await waitForUserTask(engine.api, { processInstanceKey, state: 'CREATED', elementId: 'Task_ApproveRequest' });
    return { requestId, certId: cert.id, processInstanceKey, task };
  }

  /** What an agent does in Tasklist: "Assign to me", then complete with the form's fields. */
  async function decide(username: string, taskKey: string, variables: Record<string, unknown>) {
    const claim = await engine.api.assignUserTaskAs(as(username), taskKey, username);
    if (!claim.ok) throw new Error(`${username} could not claim task ${taskKey}: ${claim.status} ${claim.detail}`);
    const done = await engine.api.completeUserTaskAs(as(username), taskKey, variables);
    if (!done.ok) throw new Error(`${username} could not complete task ${taskKey}: ${done.status} ${done.detail}`);
    return done;
  }

  /** The next "Approve request" task after `previousKey` (a refusal or on hold sends it back). */
  async function nextTask(processInstanceKey: string, previousKey: string) {
    return pollUntil('a new approval task', async () => {
      const t = await waitForUserTask(engine.api, { processInstanceKey, state: 'CREATED', elementId: 'Task_ApproveRequest' });
      return t.userTaskKey !== previousKey ? t : undefined;
    });
  }

  /** A decision was refused by "Check decision": a new task with the reason, nothing else changed. */
  async function expectRefused(requestId: number, processInstanceKey: string, previousKey: string, reason: RegExp) {
    const again = await nextTask(processInstanceKey, previousKey);
    const vars = await waitForVariables(engine.api, processInstanceKey, ['decisionRefusal']);
    expect(String(vars.decisionRefusal)).to.match(reason);
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    const last = (await auditHistory(pool, 'request', requestId)).at(-1)!;
    expect(last.toState).to.equal('Requested');
    expect(last.reason).to.match(reason);
    return again;
  }

  it('when the request is created, then it is Requested and the approvers — the group\'s members but the requester, and the configured address — get one email whose link opens the task in Tasklist (issue 18.7)', async () => {
    const { requestId, task } = await aRequestForApproval();
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    expect(task.candidateGroups).to.deep.equal(['workplace-certificate-agent']);
    const mail = await smtp.waitFor((m) => m.subject.includes(`(request ${requestId})`) && m.subject.startsWith('Approval requested'));
    expect(mail.to).to.include.members(['approvers@example.test', 'agent2@example.com']);
    expect(mail.to, 'the requester is no approver of her own request').to.not.include('agent1@example.com');
    const link = new URL(/https?:\/\/\S+\/api\/requests\/\d+\/approval-task/.exec(mail.text)![0]);
    expect(link.pathname).to.equal(`/api/requests/${requestId}/approval-task`);
    // Followed (signed in to the API as agent2): to the task itself in Tasklist, not the list.
    const api = await testApi();
    const res = await fetch(`${api.base}${link.pathname}`, { headers: api.basic('agent2'), redirect: 'manual' });
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal(`${engine.config.camunda.tasklistUrl}/${task.userTaskKey}`);
  });

  it('when the same enrollment is sent for approval again while the first waits, then its requester gets a notice naming the first (spec 002; issue 18.7)', async () => {
    const profile = await aProfile(pool, { enrollmentApprovalRequired: true });
    const asset = await anAsset(pool);
    const send = async () => {
      const created = await engine.clients.rest.createProcessInstance({
        processDefinitionId: 'AssetsProcApprovalRequest',
        variables: { useCase: 'AssetsProcEnrollProfile', requestType: 'enrollment', requester: 'agent1', requesterEmail: 'agent1@example.test', profileId: profile.id, assetId: asset.id },
      });
      await waitForProcessInstanceState(engine.api, String(created.processInstanceKey), 'COMPLETED');
    };
    await send();
    await send();
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM requests WHERE profile_id = $1 ORDER BY id', [profile.id]);
    const [first, second] = rows.map((r) => r.id);
    const notice = await smtp.waitFor((m) => m.subject.startsWith('Already requested') && m.subject.includes(`(request ${second},`));
    expect(notice.to).to.deep.equal(['agent1@example.test']);
    expect(notice.subject).to.contain(`earlier: ${first}`);
  });

  it('when agent2 approves, then the request is Approved by agent2, the instance completes and the requester gets one email', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.api, processInstanceKey, 'COMPLETED');
    expect(await getRequest(pool, requestId)).to.include({ state: 'Approved', decidedBy: 'agent2' });
    await smtp.waitFor((m) => m.subject.startsWith('Approved:') && m.subject.includes(`(request ${requestId})`));
  });

  it('when agent2 rejects with a reason, then request and certificate are Rejected and the email carries the reason', async () => {
    const { requestId, certId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'reject', rejectionReason: 'asset is being retired' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.api, processInstanceKey, 'COMPLETED');
    expect(await getRequest(pool, requestId)).to.include({ state: 'Rejected', rejectionReason: 'asset is being retired' });
    expect((await getCertificate(pool, certId)).state).to.equal('Rejected');
    const mail = await smtp.waitFor((m) => m.subject.startsWith('Rejected:') && m.subject.includes(`(request ${requestId})`));
    expect(mail.text).to.contain('asset is being retired');
  });

  it('when a rejection has no reason, then "Check decision" sends the task back with the reason and nothing changes', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'reject' })).ok).to.equal(true);
    const again = await expectRefused(requestId, processInstanceKey, task.userTaskKey, /a rejection needs a reason/);
    expect(smtp.inbox.some((m) => m.subject.includes(`(request ${requestId})`) && m.subject.startsWith('Rejected:'))).to.equal(false);
    expect((await decide('agent2', again.userTaskKey, { decision: 'reject', rejectionReason: 'duplicate' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.api, processInstanceKey, 'COMPLETED');
    expect(await getRequest(pool, requestId)).to.include({ state: 'Rejected', rejectionReason: 'duplicate', decidedBy: 'agent2' });
  });

  it('when put on hold, then the request stays Requested, a new task comes, and it can be approved later', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'hold' })).ok).to.equal(true);
    const next = await pollUntil('a new approval task', async () => {
      const t = await waitForUserTask(engine.api, { processInstanceKey, state: 'CREATED', elementId: 'Task_ApproveRequest' });
      return t.userTaskKey !== task.userTaskKey ? t : undefined;
    });
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    expect((await decide('agent2', next.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.api, processInstanceKey, 'COMPLETED');
    expect((await getRequest(pool, requestId)).state).to.equal('Approved');
  });

  it('when agent1 approves their own request, then it is refused (four-eyes) and no email or state change follows; agent2 then approves', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval('agent1');
    expect((await decide('agent1', task.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    const again = await expectRefused(requestId, processInstanceKey, task.userTaskKey, /agent1 requested this and cannot decide their own request/);
    expect(smtp.inbox.some((m) => m.subject.includes(`(request ${requestId})`) && m.subject.startsWith('Approved:'))).to.equal(false);
    expect((await decide('agent2', again.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.api, processInstanceKey, 'COMPLETED');
    expect(await getRequest(pool, requestId)).to.include({ state: 'Approved', decidedBy: 'agent2' });
  });

  it('when operator (not a certificate agent) approves, then it is refused naming the group', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval('agent1');
    expect((await decide('operator', task.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await expectRefused(requestId, processInstanceKey, task.userTaskKey, /operator is not a member of workplace-certificate-agent/);
    await engine.clients.rest.cancelProcessInstance({ processInstanceKey }).catch(() => undefined);
  });

  it('when someone completes the task without claiming it, then the engine refuses the completion and the task stays open', async () => {
    const { requestId, task } = await aRequestForApproval('agent1');
    const unclaimed = await engine.api.completeUserTaskAs(as('agent2'), task.userTaskKey, { decision: 'approve' });
    expect(unclaimed.ok, 'an unclaimed task was completed').to.equal(false);
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
  });
});
