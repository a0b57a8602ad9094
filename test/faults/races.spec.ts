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
import { anIssuedCertificate, callApi, recordOutcome } from './support/faults-b';

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
    expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).to.deep.equal([201, 409]);
    const winner = answers.find((a) => a.status === 201)!;
    const loser = answers.find((a) => a.status === 409)!;
    const pik = winner.body.processInstanceKey!;
    expect(loser.body.detail).to.match(/Deactivate card (already runs on card \d+ \(process instance \d+|is being started on card \d+ by \w+ right now)/);
    const runs = await pool.query<{ process_instance_key: string; ended_at: Date | null }>("SELECT process_instance_key, ended_at FROM use_case_runs WHERE use_case = 'CardsProcDeactivate' AND object_ref = $1", [`card:${card.id}`]);
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
    recordOutcome('race-start-twice', {
      suite: 'races',
      fault: 'two operators start the same use case on the same card at once',
      observed: 'one instance runs, the other start answers 409 naming it; the card is free again once the instance ended',
      lost: 'nothing',
      duplicated: 'nothing',
    });
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
      expect([204, 409], deleted.text).to.include(deleted.status);

      if (deleted.status === 204) {
        // The deletion won: the request is gone, its lock instance cancelled, the certificate untouched.
        await waitForProcessInstanceState(engine.api, pik, 'CANCELED').catch(() => waitForProcessInstanceState(engine.api, pik, 'TERMINATED'));
        expect((await pool.query('SELECT 1 FROM requests WHERE id = $1', [requestId])).rowCount).to.equal(0);
        expect((await auditHistory(pool, 'request', requestId)).map((h) => h.toState)).to.include('Deleted').and.not.include('Approved');
        expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
        expect((await ca.status(cert.serial!)).status, 'nothing held at the CA').to.equal('valid');
      } else {
        // The decision won: the deletion is refused, the lock is carried out.
        expect(decided.ok, String(decided.detail)).to.equal(true);
        await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 });
        expect((await pool.query<{ state: string }>('SELECT state FROM requests WHERE id = $1', [requestId])).rows[0]!.state).to.equal('Completed');
        expect((await getCertificate(pool, cert.id)).state).to.equal('Certificate hold');
        expect((await ca.status(cert.serial!)).status).to.equal('hold');
      }
      recordOutcome(`race-delete-vs-decision-${first}-first`, {
        suite: 'races',
        fault: `a request deleted while its approval is decided (${first} sent first)`,
        observed: deleted.status === 204 ? 'the deletion won: request gone, its process cancelled, certificate untouched' : 'the decision won: deletion refused (409), the certificate held',
        lost: 'nothing',
        duplicated: 'nothing',
      });
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
    expect(statuses.filter((s) => s === 200), statuses.join(',')).to.have.length(1);
    expect(statuses.filter((s) => s === 410)).to.have.length(19);
    expect(answers.filter((a) => a.text.includes(secret))).to.have.length(1);
    const { rows } = await db.pool.query<{ used_at: Date | null }>('SELECT used_at FROM secret_links WHERE id = $1', [link.id]);
    expect(rows[0]!.used_at).to.be.an.instanceOf(Date);
    recordOutcome('race-one-time-link', {
      suite: 'races',
      fault: 'a one-time link opened 20 times at once',
      observed: 'shown once (200), 19 answers 410',
      lost: 'nothing',
      duplicated: 'nothing',
    });
  });
});
