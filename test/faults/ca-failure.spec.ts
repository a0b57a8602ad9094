/**
 * Issue 15.5: the CA fails while a certificate is to be issued — its connector throws, or it
 * never answers. The job is retried (short backoffs here), then an incident names the CA; once
 * the CA is back, the operator gives the job retries and resolves the incident (as in Operate),
 * and the process completes with exactly one certificate. The project's workers run in this
 * process (support/workers.ts) with the run's CA behind a switch (support/faulty-ca.ts). An
 * engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { IncidentRecord } from '../../src/engine/engine-api';
import { pollUntil, waitForProcessInstanceState } from '../../src/engine/user-tasks';
import type { TestEngine } from '../support/engine';
import { taskDriver } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { csrFor, enrollmentFacts, instanceState, startP10Enrollment } from './support/enrollment';
import { caFault, faultyCa } from './support/faulty-ca';
import { recordFaultOutcome } from './support/outcomes';
import { exclusiveWorkers, startFaultWorkers, type FaultWorkers } from './support/workers';

describe('faults: CA failure at issuance (issue 15.5, engine)', function () {
  this.timeout(240_000);
  let engine: TestEngine;
  let pool: Pool;
  let workers: FaultWorkers | undefined;
  let release: () => Promise<void> = async () => undefined;
  const fault = caFault();
  const tasks = taskDriver(() => engine);

  before(async function () {
    ({ engine, release } = await exclusiveWorkers(this));
    pool = (await testCa()).db.pool;
    workers = await startFaultWorkers(engine, { ca: (ca) => faultyCa(ca, fault), caCallTimeoutMs: 1500, retryBackOffMs: 200 });
  });

  afterEach(() => {
    fault.mode = 'ok';
  });

  after(async () => {
    await workers?.close();
    await release();
  });

  async function caCase(id: string, mode: 'throw' | 'hang', fault_: string, expectedMessage: RegExp) {
    const e = await startP10Enrollment(engine, pool, id.split('/')[1]!);
    const sub = await tasks.child(e.processInstanceKey, 'AssetsSubProcEnrollP10Profile');
    await tasks.complete(sub, 'Task_UploadCsr', 'operator', { csr: csrFor(e.commonName), nextAction: 'next' });
    const callsBefore = fault.calls.issueFromCsr ?? 0;
    fault.mode = mode;
    await tasks.complete(sub, 'Task_EditRequest', 'operator', { commonName: e.commonName, dnsNames: e.commonName, nextAction: 'next' });
    const incident: IncidentRecord = await pollUntil(`an incident in ${sub}`, async () => (await engine.api.incidents(sub))[0], { timeoutMs: 90_000 });
    const attempts = (fault.calls.issueFromCsr ?? 0) - callsBefore;
    const atIncident = await enrollmentFacts(pool, e);

    // What an operator does once the CA is back: the job gets a retry, the incident is resolved.
    fault.mode = 'ok';
    await engine.clients.zeebe.updateJobRetries({ jobKey: incident.jobKey!, retries: 1 });
    await engine.clients.zeebe.resolveIncident({ incidentKey: incident.incidentKey });
    await tasks.complete(sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, e.processInstanceKey, 'COMPLETED', { timeoutMs: 60_000 }).catch(() => undefined);
    const after = await enrollmentFacts(pool, e);
    const state = await instanceState(engine, e.processInstanceKey);
    recordFaultOutcome(__filename, {
      id,
      item: '15.5',
      fault: fault_,
      observed: `${attempts} attempts, then incident ${incident.errorType} "${incident.errorMessage}" (nothing issued: ${atIncident.atCa} at the CA, store ${atIncident.inStore.join(', ')}); after the CA was back and the incident resolved: ${after.atCa} certificate at the CA, ${after.inStore.length} in the store (${after.inStore.join(', ')}), ${after.validTransitions} transition; process ${state}`,
      nothingLost: state === 'COMPLETED' && after.atCa >= 1 && after.inStore[0] === 'Valid',
      nothingDuplicated: after.atCa <= 1 && after.inStore.length <= 1 && after.validTransitions <= 1,
    });
    expect(incident.errorType).to.equal('JOB_NO_RETRIES');
    expect(incident.errorMessage).to.contain("the CA 'Test PKI'");
    expect(incident.errorMessage).to.match(expectedMessage);
    expect(attempts, 'the job was retried before the incident').to.equal(3);
    expect(atIncident).to.deep.include({ atCa: 0, inStore: ['Certificate requested'], validTransitions: 0 });
    expect(state).to.equal('COMPLETED');
    expect(after).to.deep.equal({ atCa: 1, inStore: ['Valid'], validTransitions: 1, completedTransitions: 1, serialsAgree: true });
  }

  it('when the CA connector throws at issuance, then the job is retried, an incident names the CA, and after the CA is back and the incident resolved the certificate is issued once and the process completes', async () => {
    await caCase('ca-failure/connector-throws', 'throw', 'the CA connector throws at issuance (connection refused) on every try', /failed the issuance: connect ECONNREFUSED/);
  });

  it('when the CA never answers at issuance, then each try times out, an incident names the CA, and after the CA is back and the incident resolved the certificate is issued once and the process completes', async () => {
    await caCase('ca-failure/times-out', 'hang', 'the CA does not answer at issuance (each call hangs)', /did not answer the issuance within 1500 ms/);
  });
});
