/**
 * Issue 15.6: races through the real API on the engine — two operators starting the same use case
 * on the same object at once, an approval decided while its request is deleted, a one-time link
 * opened 20 times at once. Each ends with one winner and nothing half done. An engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../src/ca/builtin-ca';
import { demoUser } from '../../src/engine/identity';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { auditHistory } from '../../src/store/audit';
import { getCertificate } from '../../src/store/certificates';
import { createSecretLink } from '../../src/store/secret-links';
import { testApi, type TestApi } from '../support/api';
import { appEngine } from '../support/app-engine';
import type { TestEngine } from '../support/engine';
import { taskDriver } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { aCard } from '../integration/store/fixtures';
import { anIssuedCertificate, callApi } from './support/faults-b';
import { recordFaultOutcome } from './support/outcomes';

describe('faults: races through the API (engine, issue 15.6)', function () {
  this.timeout(240_000);
  let engine: TestEngine;
  let api: TestApi;
  let pool: Pool;
  let ca: BuiltinCa;

  before(async function () {
    engine = await appEngine(this);
    api = await testApi();
    const t = await testCa();
    ({ ca } = t);
    pool = t.db.pool;
  });

  const { complete, child } = taskDriver(() => engine);
  const as = (username: string) => ({ username, password: demoUser(username).password });

  it('when two operators start Deactivate card on the same card at once, then one instance runs and the other gets 409 naming it; once it has ended, the card can be started on again', async () => {
    const card = await aCard(pool);
    const path = `/api/cards/${card.id}/use-cases/CardsProcDeactivate`;
    const answers = await Promise.all([callApi<{ processInstanceKey?: string; detail?: string }>(api, 'POST', path, 'operator', {}), callApi<{ processInstanceKey?: string; detail?: string }>(api, 'POST', path, 'demo', {})]);
    const statuses = answers.map((a) => a.status).sort();
    const runs = await pool.query<{ process_instance_key: string; ended_at: Date | null }>("SELECT process_instance_key, ended_at FROM use_case_runs WHERE use_case = 'CardsProcDeactivate' AND object_ref = $1", [`card:${card.id}`]);
    const winner = answers.find((a) => a.status === 201);
    const loser = answers.find((a) => a.status === 409);
    recordFaultOutcome(__filename, {
      id: 'races/start-twice',
      item: '15.6',
      fault: 'two operators start Deactivate card on the same card at once',
      observed: `answers ${statuses.join(' and ')} ("${loser?.body.detail ?? ''}"); ${runs.rowCount} instance started`,
      nothingLost: winner !== undefined,
      nothingDuplicated: runs.rowCount === 1 && statuses.join() === '201,409',
    });
    expect(statuses, JSON.stringify(answers.map((a) => a.body))).to.deep.equal([201, 409]);
    const pik = winner!.body.processInstanceKey!;
    expect(loser!.body.detail).to.match(/Deactivate card (already runs on card \d+ \(process instance \d+|is being started on card \d+ by \w+ right now)/);
    expect(runs.rows, 'one claim, the winner\'s').to.deep.equal([{ process_instance_key: pik, ended_at: null }]);
    // The winner's instance waits for its operator; a third start while it runs is refused with its key.
    await waitForUserTask(engine.api, { processInstanceKey: pik, state: 'CREATED', elementId: 'Task_ConfirmDeactivate' });
    const third = await callApi<{ detail: string }>(api, 'POST', path, 'operator', {});
    expect(third.status).to.equal(409);
    expect(third.body.detail).to.contain(`process instance ${pik}`);
    // Cancelled on the form: the instance ends, nothing changed, and the card is free again.
    await complete(pik, 'Task_ConfirmDeactivate', winner === answers[0] ? 'operator' : 'demo', { nextAction: 'cancel' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    const again = await pollUntil('a new start after the first instance ended', async () => {
      const r = await callApi<{ processInstanceKey: string }>(api, 'POST', path, 'operator', {});
      return r.status === 201 ? r : undefined;
    });
    expect(again.body.processInstanceKey).to.not.equal(pik);
    await engine.clients.rest.cancelProcessInstance({ processInstanceKey: again.body.processInstanceKey });
  });

  /**
   * A lock that needs approval, waiting in "Approve request": the requester deletes the request
   * while agent2 approves. Either the deletion wins (request gone, lock instance cancelled,
   * certificate untouched at the CA and in the store) or the decision does (deletion refused
   * with 409, the certificate held) — never a request approved for a process that is gone.
   */
  for (const first of ['delete', 'decision'] as const) {
    it(`when a request is deleted while its approval is decided (${first} sent first), then one of them wins and nothing is half done`, async () => {
      const { cert } = await anIssuedCertificate(pool, ca, { revocationApprovalRequired: true });
      const started = await callApi<{ processInstanceKey: string }>(api, 'POST', `/api/certificates/${cert.id}/use-cases/AssetsProcLockCertificate`, 'operator', {});
      expect(started.status).to.equal(201);
      const pik = started.body.processInstanceKey;
      await complete(pik, 'Task_ChooseLock', 'operator', { lockReason: 'Certificate hold', nextAction: 'next' });
      const approval = await child(pik, 'AssetsProcApproval');
      const task = await waitForUserTask(engine.api, { processInstanceKey: approval, state: 'CREATED', elementId: 'Task_ApproveRequest' });
      const requestId = (await pool.query<{ id: number }>('SELECT id FROM requests WHERE certificate_id = $1', [cert.id])).rows[0]!.id;
      expect((await engine.api.assignUserTaskAs(as('agent2'), task.userTaskKey, 'agent2')).ok).to.equal(true);

      const del = () => callApi(api, 'DELETE', `/api/requests/${requestId}`, 'operator');
      const decide = () => engine.api.completeUserTaskAs(as('agent2'), task.userTaskKey, { decision: 'approve' });
      const [deleted, decided] = first === 'delete' ? await Promise.all([del(), decide()]) : (await Promise.all([decide(), del()])).reverse() as [Awaited<ReturnType<typeof del>>, Awaited<ReturnType<typeof decide>>];
      // Settled: the lock instance cancelled (deletion won) or completed (decision won).
      const ended = await pollUntil('the lock instance to end', async () => {
        const [p] = await engine.api.searchProcessInstances({ processInstanceKey: pik });
        return p && p.state !== 'ACTIVE' ? p.state : undefined;
      }, { timeoutMs: 90_000 });
      const request = (await pool.query<{ state: string }>('SELECT state FROM requests WHERE id = $1', [requestId])).rows[0]?.state;
      const history = (await auditHistory(pool, 'request', requestId)).map((h) => h.toState);
      const certState = (await getCertificate(pool, cert.id)).state;
      const caStatus = (await ca.status(cert.serial!)).status;
      const holds = (await auditHistory(pool, 'certificate', cert.id)).filter((h) => h.toState === 'Certificate hold').length;
      const deletionWon = deleted.status === 204 && request === undefined && history.includes('Deleted') && !history.includes('Approved') && certState === 'Valid' && caStatus === 'valid' && ended !== 'COMPLETED';
      const decisionWon = deleted.status === 409 && decided.ok && request === 'Completed' && certState === 'Certificate hold' && caStatus === 'hold' && ended === 'COMPLETED';
      recordFaultOutcome(__filename, {
        ...(first === 'delete' ? { id: 'races/delete-while-deciding-delete-first' } : { id: 'races/delete-while-deciding-decision-first' }),
        item: '15.6',
        fault: `a request is deleted while its approval is decided (${first} sent first)`,
        observed: `DELETE ${deleted.status}, completion ${decided.ok ? 'accepted' : `refused (${decided.status})`}; request ${request ?? 'gone'}, lock instance ${ended}, certificate ${certState} in the store and ${caStatus} at the CA`,
        nothingLost: deletionWon || decisionWon,
        nothingDuplicated: holds <= 1,
      });
      expect([204, 409], deleted.text).to.include(deleted.status);
      expect(deletionWon || decisionWon, `one wins cleanly: DELETE ${deleted.status}, request ${request}, history ${history.join(',')}, instance ${ended}, certificate ${certState}/${caStatus}`).to.equal(true);
      expect(holds).to.be.at.most(1);
    });
  }

  it('when a one-time link is opened 20 times at once by its owner, then the secret is shown once and the other 19 answer 410', async () => {
    const { db, masterKey } = await testCa();
    const secret = `s3cret-${Date.now()}`;
    const link = await createSecretLink(db.pool, masterKey, { kind: 'scep-challenge', subjectRef: 'certificate:race', owner: 'operator', ttlMinutes: 5, payload: { challengePassword: secret } });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => callApi(api, 'POST', `/api/secret-links/${link.id}`, 'operator', undefined, { accept: 'application/json' })),
    );
    const statuses = answers.map((a) => a.status);
    const shown = answers.filter((a) => a.text.includes(secret)).length;
    const { rows } = await db.pool.query<{ used_at: Date | null }>('SELECT used_at FROM secret_links WHERE id = $1', [link.id]);
    recordFaultOutcome(__filename, {
      id: 'races/one-time-link-20-at-once',
      item: '15.6',
      fault: 'a one-time link is opened 20 times at once by its owner',
      observed: `${statuses.filter((s) => s === 200).length} answer with the secret, ${statuses.filter((s) => s === 410).length} answer 410 (gone)`,
      nothingLost: shown >= 1,
      nothingDuplicated: shown <= 1,
    });
    expect(statuses.filter((s) => s === 200), statuses.join(',')).to.have.length(1);
    expect(statuses.filter((s) => s === 410)).to.have.length(19);
    expect(shown).to.equal(1);
    expect(rows[0]!.used_at).to.be.an.instanceOf(Date);
  });
});
