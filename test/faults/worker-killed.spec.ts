/**
 * Issue 15.1: a worker process SIGKILLed at the worst moments, then started again. The workers
 * are the project's, in a child process (support/worker-process.ts) on the run's database, CA
 * and SMTP capture; an armed fault point (src/fault-points.ts) stops it exactly there, and the
 * test kills it. After the restart the engine hands the job out again (its timeout ran out):
 * exactly one certificate at the CA and in the store, one email, one transition, and the process
 * completes. An engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { pollUntil, waitForProcessInstanceState } from '../../src/engine/user-tasks';
import type { TestEngine } from '../support/engine';
import { testSmtp, type TestSmtp } from '../support/smtp';
import { taskDriver } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { enrollmentFacts, instanceState, startP10Enrollment, submitCsr, type Enrollment, type EnrollmentFacts } from './support/enrollment';
import { recordFaultOutcome } from './support/outcomes';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process';
import { exclusiveWorkers } from './support/workers';

/** `p`, or a failure naming `what` (with the worker's output) after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string, worker?: WorkerProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms${worker ? `; worker output:\n${worker.output().slice(-4000)}` : ''}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function describeFacts(f: EnrollmentFacts): string {
  return `${f.atCa} certificate at the CA, ${f.inStore.length} in the store (${f.inStore.join(', ')}), ${f.validTransitions} transition to Valid, ${f.completedTransitions} to request Completed`;
}

describe('faults: worker killed mid-job (issue 15.1, engine)', function () {
  this.timeout(300_000);
  let engine: TestEngine;
  let pool: Pool;
  let smtp: TestSmtp;
  let release: () => Promise<void> = async () => undefined;
  const workers: WorkerProcess[] = [];
  const tasks = taskDriver(() => engine);

  before(async function () {
    ({ engine, release } = await exclusiveWorkers(this));
    pool = (await testCa()).db.pool;
    smtp = await testSmtp();
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) await w.kill();
  });

  after(async () => {
    await release();
  });

  /** Starts a worker process armed at `point` for `subject`, runs `drive` until it stops there, and kills it. */
  async function crashAt(point: 'before-complete' | 'in-transaction', subject: string, drive: () => Promise<unknown>): Promise<void> {
    const armed = await startWorkerProcess({ faultPoint: { point, subject } });
    workers.push(armed);
    await drive();
    expect(await within(armed.faultPointReached, 90_000, `the worker reaching ${point} ${subject}`, armed)).to.equal(`${point} ${subject}`);
    await armed.kill();
  }

  async function restart(): Promise<WorkerProcess> {
    const w = await startWorkerProcess();
    workers.push(w);
    return w;
  }

  async function issuanceCase(id: string, point: 'before-complete' | 'in-transaction', fault: string, expectAtCrash: Partial<EnrollmentFacts>) {
    let e: Enrollment | undefined;
    let sub = '';
    await crashAt(point, 'enroll.p10.issue', async () => {
      e = await startP10Enrollment(engine, pool, id.split('/')[1]!);
      sub = await submitCsr(tasks, e);
    });
    const atCrash = await enrollmentFacts(pool, e!);
    expect(atCrash, 'the state the crash left').to.deep.include(expectAtCrash);

    await restart();
    await tasks.complete(sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, e!.processInstanceKey, 'COMPLETED', { timeoutMs: 60_000 }).catch(() => undefined);
    const after = await enrollmentFacts(pool, e!);
    const state = await instanceState(engine, e!.processInstanceKey);
    recordFaultOutcome(__filename, {
      id,
      item: '15.1',
      fault,
      observed: `at the kill: ${describeFacts(atCrash)}; after the restart: ${describeFacts(after)}; process ${state}`,
      nothingLost: state === 'COMPLETED' && after.atCa >= 1 && after.inStore[0] === 'Valid' && after.validTransitions >= 1 && after.completedTransitions >= 1,
      nothingDuplicated: after.atCa <= 1 && after.inStore.length <= 1 && after.validTransitions <= 1 && after.completedTransitions <= 1,
    });
    expect(state).to.equal('COMPLETED');
    expect(after).to.deep.equal({ atCa: 1, inStore: ['Valid'], validTransitions: 1, completedTransitions: 1, serialsAgree: true });
  }

  it('when the worker is killed after the CA issued and the store recorded it, before the job completed, then after a restart the job is replayed: one certificate at the CA and in the store, one transition, and the process completes', async () => {
    await issuanceCase('worker-killed/after-ca-issued', 'before-complete', 'worker SIGKILLed after the CA issued the certificate (committed), before the job was completed', {
      atCa: 1,
      inStore: ['Valid'],
      validTransitions: 1,
    });
  });

  it('when the worker is killed inside the issuing transaction (the CA signed, the state change written, not committed), then nothing of it remains, and after a restart it is issued once and the process completes', async () => {
    await issuanceCase('worker-killed/during-transition', 'in-transaction', 'worker SIGKILLed during the state transition: the CA signed and Certificate requested -> Valid was written, not committed', {
      atCa: 0,
      inStore: ['Certificate requested'],
      validTransitions: 0,
    });
  });

  it('when the worker is killed after the emails were sent, before the job completed, then after a restart no email is sent again, the approval goes on, and the process completes', async () => {
    let e: Enrollment | undefined;
    let sub = '';
    await crashAt('before-complete', 'approval.notify-approvers', async () => {
      e = await startP10Enrollment(engine, pool, 'wk-mail', { approval: true });
      // The approval follows the data entered (issue 18.2): inside the P10 sub-process, after the CSR.
      sub = await submitCsr(tasks, e);
    });
    const requestId = (await pool.query<{ id: number }>('SELECT id FROM requests WHERE asset_id = $1', [e!.assetId])).rows[0]!.id;
    const mails = () => smtp.inbox.filter((m) => m.subject.includes(`(request ${requestId})`)).map((m) => m.subject.replace(/:.*$/, '').replace(/ \(request.*$/, ''));
    const atCrash = mails();
    expect(atCrash.length, 'both emails went out before the kill').to.equal(2);

    await restart();
    const approval = await tasks.child(sub, 'AssetsProcApproval');
    await tasks.complete(approval, 'Task_ApproveRequest', 'agent2', { decision: 'reject', rejectionReason: 'fault suite: not needed' });
    await waitForProcessInstanceState(engine.api, e!.processInstanceKey, 'COMPLETED', { timeoutMs: 60_000 }).catch(() => undefined);
    await pollUntil('the decision email', async () => (mails().length >= 3 ? true : undefined), { timeoutMs: 20_000 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
    const after = mails();
    const requested = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_history WHERE object_type = 'request' AND object_id = $1 AND to_state = 'Requested'`, [String(requestId)])).rows[0]!.n;
    const state = await instanceState(engine, e!.processInstanceKey);
    const counts = [...new Set(after)].map((s) => `${after.filter((x) => x === s).length}× "${s}"`).join(', ');
    recordFaultOutcome(__filename, {
      id: 'worker-killed/after-email-sent',
      item: '15.1',
      fault: 'worker SIGKILLed after the approval emails were sent, before the job was completed',
      observed: `at the kill: ${atCrash.length} emails; after the restart and the decision: ${counts}; ${requested} transition to Requested; process ${state}`,
      nothingLost: state === 'COMPLETED' && new Set(after).size === 3,
      nothingDuplicated: after.length === new Set(after).size && requested <= 1,
    });
    expect(state).to.equal('COMPLETED');
    expect(after.length, counts).to.equal(3);
    expect(new Set(after).size, counts).to.equal(3);
    expect(requested).to.equal(1);
  });
});
