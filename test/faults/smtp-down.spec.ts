/**
 * Issue 15.4: the SMTP server is down when an email is due. The mail jobs write the message to
 * the outbox and complete; the process and the state its user sees go on at once; the outbox
 * retries; when the server is back each email is sent exactly once. The project's workers run in
 * this process (support/workers.ts) with mail to an SMTP server the test takes down and brings
 * back on the same port. An engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import type { TestEngine } from '../support/engine';
import { taskDriver } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { instanceState, startP10Enrollment, submitCsr, type Enrollment } from './support/enrollment';
import { recordFaultOutcome } from './support/outcomes';
import { smtpSwitch, type SmtpSwitch } from './support/smtp-switch';
import { exclusiveWorkers, startFaultWorkers, type FaultWorkers } from './support/workers';

interface OutboxRow {
  subject: string;
  attempts: number;
  sent_at: Date | null;
  last_error: string | null;
}

describe('faults: SMTP down when an email is due (issue 15.4, engine)', function () {
  this.timeout(240_000);
  let engine: TestEngine;
  let pool: Pool;
  let smtp: SmtpSwitch;
  let workers: FaultWorkers | undefined;
  let release: () => Promise<void> = async () => undefined;
  const tasks = taskDriver(() => engine);
  let e: Enrollment;
  let requestId = 0;
  let approval = '';

  before(async function () {
    ({ engine, release } = await exclusiveWorkers(this));
    pool = (await testCa()).db.pool;
    smtp = await smtpSwitch();
    workers = await startFaultWorkers(engine, { smtpUrl: smtp.url, mailRetryIntervalMs: 300 });
  });

  after(async () => {
    await workers?.close();
    await smtp?.up();
    await release();
  });

  const outbox = async () =>
    (await pool.query<OutboxRow>('SELECT subject, attempts, sent_at, last_error FROM mail_outbox WHERE subject LIKE $1 ORDER BY created_at', [`%(request ${requestId})`])).rows;
  const received = () => smtp.inbox.filter((m) => m.subject.endsWith(`(request ${requestId})`)).map((m) => m.subject.replace(/:.*$/, ''));
  const tally = (subjects: string[]) => [...new Set(subjects)].map((s) => `${subjects.filter((x) => x === s).length}× "${s}"`).join(', ') || 'none';
  /** A few rounds of the outbox after the server came back: a second send would arrive now. */
  const settle = () => new Promise((r) => setTimeout(r, 1500));

  it('when the SMTP server is down as the approval emails are due, then the request is Requested and its approval task open at once, the emails are retried, and once the server is back each is sent exactly once', async () => {
    await smtp.down();
    e = await startP10Enrollment(engine, pool, 'smtp-down', { approval: true });
    // The approval follows the data entered (issue 18.2): inside the P10 sub-process, after the CSR.
    const sub = await submitCsr(tasks, e);
    approval = await tasks.child(sub, 'AssetsProcApproval');
    const task = await waitForUserTask(engine.api, { processInstanceKey: approval, elementId: 'Task_ApproveRequest' }, { timeoutMs: 60_000 });
    requestId = (await pool.query<{ id: number; state: string }>('SELECT id FROM requests WHERE asset_id = $1', [e.assetId])).rows[0]!.id;
    const requestState = (await pool.query<{ state: string }>('SELECT state FROM requests WHERE id = $1', [requestId])).rows[0]!.state;
    // Retried while down: every message tried more than once, none sent.
    const waiting = await pollUntil('two tries of each email', async () => {
      const rows = await outbox();
      return rows.length === 2 && rows.every((r) => r.attempts >= 2) ? rows : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const receivedWhileDown = received().length;

    await smtp.up();
    await pollUntil('both emails', async () => (received().length >= 2 ? true : undefined), { timeoutMs: 20_000 }).catch(() => undefined);
    await settle();
    const sent = await outbox();
    const got = received();
    recordFaultOutcome(__filename, {
      id: 'smtp-down/approval-requested',
      item: '15.4',
      fault: 'SMTP server down (connection refused) when the approval emails were due, then back',
      observed: `while down: request ${requestState}, approval task ${task.state}, ${waiting.length} emails waiting after ${Math.min(...waiting.map((r) => r.attempts))}+ tries each, ${receivedWhileDown} received; once back: ${tally(got)}, ${sent.filter((r) => r.sent_at).length} of ${sent.length} marked sent`,
      nothingLost: new Set(got).size === 2 && sent.every((r) => r.sent_at) && requestState === 'Requested',
      nothingDuplicated: got.length === new Set(got).size,
    });
    expect(requestState).to.equal('Requested');
    expect(task.state).to.equal('CREATED');
    expect(waiting.every((r) => r.sent_at === null && /ECONNREFUSED|connect/i.test(r.last_error ?? ''))).to.equal(true);
    expect(receivedWhileDown).to.equal(0);
    expect(got.sort()).to.deep.equal(['Approval requested', 'Sent for approval']);
    expect(sent.every((r) => r.sent_at !== null && r.last_error === null)).to.equal(true);
  });

  it('when the SMTP server is down as the decision is announced, then the request is Rejected and the process completes without waiting, and the email goes out once when the server is back', async () => {
    expect(approval, 'the first case ran').to.not.equal('');
    await smtp.down();
    await tasks.complete(approval, 'Task_ApproveRequest', 'agent2', { decision: 'reject', rejectionReason: 'fault suite: SMTP down' });
    await waitForProcessInstanceState(engine.api, e.processInstanceKey, 'COMPLETED', { timeoutMs: 60_000 }).catch(() => undefined);
    const stateWhileDown = await instanceState(engine, e.processInstanceKey);
    const requestState = (await pool.query<{ state: string }>('SELECT state FROM requests WHERE id = $1', [requestId])).rows[0]!.state;
    const decision = async () => (await outbox()).find((r) => r.subject.startsWith('Rejected'));
    const waiting = await pollUntil('the decision email waiting in the outbox', async () => {
      const r = await decision();
      return r && r.attempts >= 1 ? r : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    const receivedWhileDown = received().filter((s) => s === 'Rejected').length;

    await smtp.up();
    await pollUntil('the decision email', async () => (received().includes('Rejected') ? true : undefined), { timeoutMs: 20_000 }).catch(() => undefined);
    await settle();
    const got = received();
    const row = await decision();
    recordFaultOutcome(__filename, {
      id: 'smtp-down/decision',
      item: '15.4',
      fault: 'SMTP server down when the rejection was to be announced to the requester, then back',
      observed: `while down: request ${requestState}, process ${stateWhileDown}, the email waiting (${waiting.attempts} tries), ${receivedWhileDown} received; once back: ${tally(got)}`,
      nothingLost: got.includes('Rejected') && stateWhileDown === 'COMPLETED' && requestState === 'Rejected' && Boolean(row?.sent_at),
      nothingDuplicated: got.length === new Set(got).size,
    });
    expect(requestState).to.equal('Rejected');
    expect(stateWhileDown).to.equal('COMPLETED');
    expect(waiting.sent_at).to.equal(null);
    expect(receivedWhileDown).to.equal(0);
    expect(got.sort()).to.deep.equal(['Approval requested', 'Rejected', 'Sent for approval']);
    expect(row?.sent_at).to.not.equal(null);
  });
});
