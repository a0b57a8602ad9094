/**
 * Issue 15.3: the database goes away for longer than a job's retries. An embedded PostgreSQL that
 * this suite starts and stops itself (never the machine's shared server) holds a card, its
 * certificate and the CA; the project's workers run on it. With the database down, the
 * deactivation job fails with backoff until its retries are used up, and the incident says what
 * to fix; nothing is half written. The database comes back, the incident is resolved through the
 * engine's API, and the deactivation completes once. An engine suite.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createBuiltinCa, type BuiltinCa } from '../../src/ca/builtin-ca';
import { MasterKey } from '../../src/ca/master-key';
import { createCompletedTaskSource } from '../../src/engine/completed-tasks';
import { completeListenerJob, credentialsFor } from '../../src/engine/rest';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { createMailer } from '../../src/mail/mailer';
import { createMailTransport } from '../../src/mail/transport';
import { addCardRelation, getCard } from '../../src/store/cards';
import { createPool } from '../../src/store/db';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/store/embedded-postgres';
import { migrate } from '../../src/store/migrate';
import { createAllHandlers } from '../../workers';
import { registerWorkers, type RegisteredWorkers } from '../../workers/register';
import type { TestEngine } from '../support/engine';
import { testSmtp } from '../support/smtp';
import { tempDir } from '../support/temp';
import { creds } from '../support/task-driver';
import { aCard, actor } from '../integration/store/fixtures';
import { anIssuedCertificate } from './support/faults-b';
import { recordFaultOutcome } from './support/outcomes';
import { exclusiveWorkers } from './support/workers';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('faults: the database is down for longer than the retries (engine, issue 15.3)', function () {
  this.timeout(600_000);
  let engine: TestEngine;
  let release: (() => Promise<void>) | undefined;
  let dataDir: string;
  let port: number;
  let database: EmbeddedDatabase | undefined;
  let pool: Pool;
  let ca: BuiltinCa;
  let workers: RegisteredWorkers | undefined;
  const workerLog: string[] = [];

  before(async function () {
    this.timeout(900_000);
    ({ engine, release } = await exclusiveWorkers(this));
    dataDir = tempDir('wpki-outage-pg-');
    fs.chmodSync(dataDir, 0o777); // PostgreSQL runs as the `postgres` user when we are root
    port = await freePort();
    database = await startEmbeddedPostgres({ dataDir, port, database: 'wpki_outage', log: () => undefined });
    // Short connection timeout: a job that cannot reach the database fails at once, not after 10 s.
    pool = createPool({ connectionString: database.url, max: 10, connectionTimeoutMs: 2_000, log: (line) => workerLog.push(line) });
    await migrate(pool);
    const masterKey = new MasterKey(crypto.randomBytes(32));
    ca = await createBuiltinCa({ pool, masterKey, name: 'Outage PKI', publicUrl: 'https://pki.example.test', secretTtlMinutes: 10, rootKey: { algorithm: 'EC', curve: 'P-384' } });
    const smtp = await testSmtp();
    workers = registerWorkers(
      engine.clients.zeebe,
      createAllHandlers({
        pool,
        ca,
        sealer: masterKey,
        mailer: createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'workplace-pki@example.test', captureDir: '/unused' })),
        tasklistUrl: engine.config.camunda.tasklistUrl,
        publicUrl: 'https://pki.example.test',
        secretLinkTtlMinutes: 10,
        completedTasks: createCompletedTaskSource(async () => engine.api),
      }),
      (jobKey, verdict) => completeListenerJob(engine.restAddress, credentialsFor(engine.config), jobKey, verdict),
      (line) => workerLog.push(line),
      // Short backoffs for the test: the retries are used up in seconds, as they would be in minutes.
      { retryBackOff: (retriesLeft) => 500 * 2 ** (3 - retriesLeft), sdkLog: { debug: () => undefined, info: () => undefined, error: (m) => workerLog.push(m) } },
    );
  });

  after(async () => {
    await workers?.close();
    await pool?.end().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    await release?.();
  });

  it('when PostgreSQL stops before a card is deactivated, then the job fails with backoff into an incident that says what to fix and nothing is half written; back and resolved, the card is deactivated once', async () => {
    const card = await aCard(pool);
    const { cert } = await anIssuedCertificate(pool, ca, { cardId: card.id });
    await addCardRelation(pool, card.id, { relatedType: 'certificate', relatedId: String(cert.id) }, actor);
    const created = await engine.clients.rest.createProcessInstance({
      processDefinitionId: 'CardsProcDeactivate',
      variables: { requester: 'operator', requesterEmail: 'operator@example.test', cardId: card.id },
    });
    const pik = String(created.processInstanceKey);
    const task = await waitForUserTask(engine.api, { processInstanceKey: pik, state: 'CREATED', elementId: 'Task_ConfirmDeactivate' }, { timeoutMs: 60_000 });
    expect((await engine.api.assignUserTaskAs(creds('operator'), task.userTaskKey, 'operator')).ok).to.equal(true);
    const rowsBefore = await snapshot(pool, card.id, cert.id);

    // The database goes away; the operator confirms; the job has nowhere to write.
    await database!.stop();
    database = undefined;
    expect((await engine.api.completeUserTaskAs(creds('operator'), task.userTaskKey, { nextAction: 'next' })).ok).to.equal(true);
    const incident = await pollUntil('the incident', async () => (await engine.api.incidents(pik))[0], { timeoutMs: 120_000 });
    const failures = workerLog.filter((l) => l.includes('cards.deactivate') && l.includes('failed ('));
    const retriesLeft = failures.map((l) => Number(/failed \((\d+) retries left\)/.exec(l)?.[1]));

    // Back, on the same data: nothing was half written meanwhile.
    database = await startEmbeddedPostgres({ dataDir, port, database: 'wpki_outage', log: () => undefined });
    const rowsDuring = await pollUntil('the database back', async () => snapshot(pool, card.id, cert.id).catch(() => undefined), { timeoutMs: 60_000 });
    const halfWritten = JSON.stringify(rowsDuring) !== JSON.stringify(rowsBefore);
    const heldAtCa = (await ca.status(cert.serial!)).status !== 'valid';

    // Resolved as the incident says: retries back, incident resolved, through the engine's API.
    await engine.clients.zeebe.updateJobRetries({ jobKey: incident.jobKey!, retries: 3 });
    await engine.clients.zeebe.resolveIncident({ incidentKey: incident.incidentKey });
    let completed = true;
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 90_000 }).catch(() => (completed = false));
    const after = await snapshot(pool, card.id, cert.id);
    const deactivations = after.history.filter((h) => h === 'card active->inactive').length;
    const holds = after.history.filter((h) => h === 'certificate Valid->Certificate hold').length;
    recordFaultOutcome(__filename, {
      id: 'database-outage/longer-than-retries',
      item: '15.3',
      fault: 'PostgreSQL stopped before a card deactivation, for longer than the job\'s retries',
      observed: `job failed with ${retriesLeft.join(', ')} retries left, then the incident "${incident.errorMessage.slice(0, 160)}"; ${halfWritten || heldAtCa ? 'rows changed meanwhile' : '0 half-written rows'}; after restart and resolve: card ${after.card}, certificate ${after.certificate}, ${deactivations} deactivation, ${holds} hold`,
      nothingLost: completed && after.card === 'inactive' && after.certificate === 'Certificate hold',
      nothingDuplicated: deactivations <= 1 && holds <= 1,
    });

    expect(retriesLeft, workerLog.join('\n')).to.deep.equal([2, 1, 0]);
    expect(incident.errorMessage).to.match(/cards\.deactivate failed: the database \(PostgreSQL, DATABASE_URL\) cannot be reached: .*Fix: start the database or fix its address, then retry the job/);
    expect(halfWritten, `${JSON.stringify(rowsBefore)} became ${JSON.stringify(rowsDuring)}`).to.equal(false);
    expect(heldAtCa, 'the CA held nothing while its database was down').to.equal(false);
    expect(completed, 'the instance completed after the incident was resolved').to.equal(true);
    expect(after.card).to.equal('inactive');
    expect(after.certificate).to.equal('Certificate hold');
    expect((await ca.status(cert.serial!)).status).to.equal('hold');
    expect([deactivations, holds], 'one transition each').to.deep.equal([1, 1]);
  });
});

/** What the deactivation writes: the card, its certificate and their history. */
async function snapshot(pool: Pool, cardId: number, certificateId: number) {
  const card = (await getCard(pool, cardId)).state;
  const certificate = (await pool.query<{ state: string }>('SELECT state FROM certificates WHERE id = $1', [certificateId])).rows[0]!.state;
  const { rows } = await pool.query<{ object_type: string; from_state: string; to_state: string }>(
    `SELECT object_type, from_state, to_state FROM audit_history
      WHERE (object_type = 'card' AND object_id = $1) OR (object_type = 'certificate' AND object_id = $2) ORDER BY id`,
    [String(cardId), String(certificateId)],
  );
  const effects = Number((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_effects')).rows[0]!.n);
  return { card, certificate, history: rows.map((r) => `${r.object_type} ${r.from_state}->${r.to_state}`), effects };
}
