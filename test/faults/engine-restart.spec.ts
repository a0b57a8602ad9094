/**
 * Issue 15.2: the local engine's broker stops and starts again on its data while a use case is
 * under way. The instance continues where it was; nothing is done twice — one request, one
 * certificate at the CA and in the store, one email of each kind. An engine suite.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { buildCsr } from '../../src/ca/csr-builder';
import { restartBroker } from '../../src/engine/local-engine';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { createAsset } from '../../src/store/assets';
import { appEngine } from '../support/app-engine';
import type { TestEngine } from '../support/engine';
import { testSmtp, type TestSmtp } from '../support/smtp';
import { creds } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { aProfile, actor } from '../integration/store/fixtures';
import { recordFaultOutcome } from './support/outcomes';

describe('faults: the engine restarts mid-flow (engine, issue 15.2)', function () {
  this.timeout(600_000);
  let engine: TestEngine;
  let pool: Pool;
  let smtp: TestSmtp;

  before(async function () {
    engine = await appEngine(this);
    pool = (await testCa()).db.pool;
    smtp = await testSmtp();
  });

  // After a restart the workers reconnect and the searches catch up: slower than usual, so longer waits.
  const slow = { timeoutMs: 180_000, intervalMs: 1_000 };
  const completed = new Set<string>();
  async function complete(processInstanceKey: string, elementId: string, user: string, variables: Record<string, unknown>) {
    const task = await waitForUserTask(engine.api, { processInstanceKey, state: 'CREATED', elementId, except: completed }, slow);
    expect((await engine.api.assignUserTaskAs(creds(user), task.userTaskKey, user)).ok, `${user} claims ${elementId}`).to.equal(true);
    const done = await engine.api.completeUserTaskAs(creds(user), task.userTaskKey, variables);
    expect(done.ok, String(done.detail)).to.equal(true);
    completed.add(task.userTaskKey);
  }
  const child = (parent: string, processId: string) =>
    pollUntil(`${processId} under ${parent}`, async () => (await engine.api.searchProcessInstances({ parentProcessInstanceKey: parent })).find((p) => p.processDefinitionId === processId)?.processInstanceKey, slow);

  it('when the broker restarts while an enrollment waits for its approval, then the instance continues to a Valid certificate, and nothing was done twice', async function () {
    if (!engine.config.camunda.startLocalEngine) {
      console.log('      pending: the engine is an existing cluster; this suite restarts only the local engine it started');
      this.skip();
    }
    const tag = crypto.randomBytes(4).toString('hex');
    const cn = `restart-${tag}.corp.example.com`;
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: true, approverEmails: [`approvers-${tag}@example.test`] });
    const asset = await createAsset(pool, { name: `restart-${tag}`, commonName: cn, dnsNames: [cn] }, actor);
    const mails = () => smtp.inbox.filter((m) => m.to.some((t) => t.includes(tag)) || m.text.includes(cn));

    const created = await engine.clients.rest.createProcessInstance({
      processDefinitionId: 'AssetsProcEnrollProfile',
      variables: { requester: 'operator', requesterEmail: `operator-${tag}@example.test`, profileId: profile.id, assetId: asset.id },
    });
    const pik = String(created.processInstanceKey);
    // The approval follows the data entered (issue 18.2): the CSR first, then the approval inside the P10 sub-process.
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    const csr = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: cn, dnsNames: [cn] }); // the profile is RSA-2048
    await complete(sub, 'Task_UploadCsr', 'operator', { csr: `-----BEGIN CERTIFICATE REQUEST-----\n${csr.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`, nextAction: 'next' });
    await complete(sub, 'Task_EditRequest', 'operator', { commonName: cn, dnsNames: cn, nextAction: 'next' });
    const approval = await child(sub, 'AssetsProcApproval');
    await waitForUserTask(engine.api, { processInstanceKey: approval, state: 'CREATED', elementId: 'Task_ApproveRequest' }, slow);
    await smtp.waitFor((m) => m.to.includes(`approvers-${tag}@example.test`));
    const before = { requests: await countRequests(pool, asset.id), mails: mails().length };
    expect(before.requests).to.equal(1);

    // The broker goes away and comes back on its data; Tasklist, Operate and OpenSearch stay up.
    let whileDown: { status: number } | undefined;
    await restartBroker({
      config: engine.config,
      log: (line) => console.log(`      ${line}`),
      whileDown: async () => {
        const topology = await fetch(`${engine.restAddress}/v2/topology`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
        whileDown = { status: topology?.status ?? 0 };
      },
    });
    expect(whileDown?.status, 'the broker was really down').to.not.equal(200);

    // The same instance, the same task: approve, then the P10 download, to the end.
    await complete(approval, 'Task_ApproveRequest', 'agent2', { decision: 'approve' });
    await complete(sub, 'Task_Download', 'operator', {});
    let completed = true;
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', slow).catch(() => (completed = false));

    // Nothing redone: one request, one certificate object, one certificate at the CA, one email of each.
    const requests = await countRequests(pool, asset.id);
    const certs = await pool.query<{ id: number; state: string; serial: string }>('SELECT id, state, serial FROM certificates WHERE asset_id = $1', [asset.id]);
    const atCa = await pool.query<{ serial: string }>('SELECT serial FROM ca_certificates WHERE subject LIKE $1', [`%${cn}%`]);
    const subjects = mails().map((m) => m.subject.replace(/\(request \d+\)/, '').split(':')[0]!.trim());
    const toValid = certs.rows[0]
      ? Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_history WHERE object_type = 'certificate' AND object_id = $1 AND to_state = 'Valid'", [String(certs.rows[0].id)])).rows[0]!.n)
      : 0;
    recordFaultOutcome(__filename, {
      id: 'engine-restart/broker-while-waiting-for-approval',
      item: '15.2',
      fault: 'the broker stops and starts again on its data while an enrollment waits for its approval',
      observed: `instance ${completed ? 'completed' : 'did not complete'} after the restart; ${requests} request, ${certs.rowCount} certificate (${certs.rows.map((r) => r.state).join(', ')}), ${atCa.rowCount} at the CA, ${toValid} transition to Valid, emails: ${subjects.join('; ')}`,
      nothingLost: completed && certs.rows[0]?.state === 'Valid' && atCa.rowCount === 1 && mails().length >= before.mails,
      nothingDuplicated: requests === 1 && certs.rowCount === 1 && (atCa.rowCount ?? 0) <= 1 && toValid <= 1 && new Set(subjects).size === subjects.length,
    });
    expect(completed, 'the instance completed after the restart').to.equal(true);
    expect(requests).to.equal(1);
    expect(certs.rows.map((r) => r.state)).to.deep.equal(['Valid']);
    expect(atCa.rows.map((r) => r.serial)).to.deep.equal([certs.rows[0]!.serial]);
    expect(new Set(subjects).size, `one email of each kind: ${subjects.join(' | ')}`).to.equal(subjects.length);
    expect(mails().length).to.be.at.least(before.mails);
    expect(toValid, 'one transition to Valid').to.equal(1);
  });
});

async function countRequests(pool: Pool, assetId: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM requests r JOIN certificates c ON c.id = r.certificate_id WHERE c.asset_id = $1', [assetId]);
  return rows[0]!.n;
}
