/**
 * AssetsProcApprovalRequest and AssetsProcApproval (spec 001) on the engine with the
 * application's workers, PostgreSQL and the SMTP server: one test per path. An engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { demoUser } from '../../../src/engine/identity';
import { assignUserTaskAs, completeUserTaskAs, pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../../src/engine/user-tasks';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { getRequest } from '../../../src/store/requests';
import { appEngineOrSkip } from '../../support/app-engine';
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
    engine = await appEngineOrSkip(this);
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
    await waitForProcessInstanceState(engine.clients.rest, String(created.processInstanceKey), 'COMPLETED');
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM requests WHERE certificate_id = $1', [cert.id]);
    const requestId = rows[0]!.id;
    const approval = await engine.clients.rest.createProcessInstance({ processDefinitionId: 'AssetsProcApproval', variables: { requestId } });
    const processInstanceKey = String(approval.processInstanceKey);
    const task = await waitForUserTask(engine.clients.rest, { processInstanceKey, state: 'CREATED', elementId: 'Task_ApproveRequest' });
    return { requestId, certId: cert.id, processInstanceKey, task };
  }

  async function decide(username: string, taskKey: string, variables: Record<string, unknown>) {
    const claim = await assignUserTaskAs(engine.restAddress, as(username), taskKey, username);
    if (!claim.ok) return claim;
    return completeUserTaskAs(engine.restAddress, as(username), taskKey, variables);
  }

  it('when the request is created, then it is Requested and the approvers get one email with a Tasklist link', async () => {
    const { requestId, task } = await aRequestForApproval();
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    expect(task.candidateGroups).to.deep.equal(['workplace-certificate-agent']);
    const mail = await smtp.waitFor((m) => m.subject.includes(`(request ${requestId})`) && m.subject.startsWith('Approval requested'));
    expect(mail.to).to.deep.equal(['approvers@example.test']);
    expect(mail.text).to.contain('/tasklist');
  });

  it('when agent2 approves, then the request is Approved by agent2, the instance completes and the requester gets one email', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.clients.rest, processInstanceKey, 'COMPLETED');
    expect(await getRequest(pool, requestId)).to.include({ state: 'Approved', decidedBy: 'agent2' });
    await smtp.waitFor((m) => m.subject.startsWith('Approved:') && m.subject.includes(`(request ${requestId})`));
  });

  it('when agent2 rejects with a reason, then request and certificate are Rejected and the email carries the reason', async () => {
    const { requestId, certId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'reject', rejectionReason: 'asset is being retired' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.clients.rest, processInstanceKey, 'COMPLETED');
    expect(await getRequest(pool, requestId)).to.include({ state: 'Rejected', rejectionReason: 'asset is being retired' });
    expect((await getCertificate(pool, certId)).state).to.equal('Rejected');
    const mail = await smtp.waitFor((m) => m.subject.startsWith('Rejected:') && m.subject.includes(`(request ${requestId})`));
    expect(mail.text).to.contain('asset is being retired');
  });

  it('when a rejection has no reason, then the engine refuses the completion and the task stays open', async () => {
    const { requestId, task } = await aRequestForApproval();
    const refused = await decide('agent2', task.userTaskKey, { decision: 'reject' });
    expect(refused.ok).to.equal(false);
    expect(JSON.stringify(refused.problem)).to.contain('a rejection needs a reason');
    await waitForUserTask(engine.clients.rest, { processInstanceKey: task.processInstanceKey, state: 'CREATED', elementId: 'Task_ApproveRequest' });
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
  });

  it('when put on hold, then the request stays Requested, a new task comes, and it can be approved later', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval();
    expect((await decide('agent2', task.userTaskKey, { decision: 'hold' })).ok).to.equal(true);
    const next = await pollUntil('a new approval task', async () => {
      const t = await waitForUserTask(engine.clients.rest, { processInstanceKey, state: 'CREATED', elementId: 'Task_ApproveRequest' });
      return t.userTaskKey !== task.userTaskKey ? t : undefined;
    });
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    expect((await decide('agent2', next.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.clients.rest, processInstanceKey, 'COMPLETED');
    expect((await getRequest(pool, requestId)).state).to.equal('Approved');
  });

  it('when agent1 requested it, then agent1 cannot take or complete it, operator cannot either, and agent2 can', async () => {
    const { requestId, processInstanceKey, task } = await aRequestForApproval('agent1');
    const own = await assignUserTaskAs(engine.restAddress, as('agent1'), task.userTaskKey, 'agent1');
    expect(own.ok, 'agent1 took their own request').to.equal(false);
    const operator = await decide('operator', task.userTaskKey, { decision: 'approve' });
    expect(operator.ok, 'operator completed an agents’ task').to.equal(false);
    expect((await getRequest(pool, requestId)).state).to.equal('Requested');
    expect((await decide('agent2', task.userTaskKey, { decision: 'approve' })).ok).to.equal(true);
    await waitForProcessInstanceState(engine.clients.rest, processInstanceKey, 'COMPLETED');
  });
});
