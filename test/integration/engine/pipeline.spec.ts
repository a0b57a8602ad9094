import path from 'node:path';
import { expect } from 'chai';
import type { Zeebe } from '@camunda8/sdk';
import { deployFiles } from '../../../src/engine/deploy';
import { AGENT_GROUP, demoUser } from '../../../src/engine/identity';
import { restCall } from '../../../src/engine/rest';
import { pollUntil, waitForProcessInstanceState, waitForUserTask, waitForVariables } from '../../../src/engine/user-tasks';
import { EXPORTER_OPENSEARCH_URL, OPENSEARCH_URL } from '../../../src/engine/local-engine';
import { requireEngine, type TestEngine } from '../../support/engine';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const PROCESS_ID = 'TestPipeline';
const JOB_TYPE = 'test-pipeline-work';
const FORM_ID = 'test-pipeline-approve';

describe('engine: a process with a job worker, a Camunda user task with a form, authorizations and incidents', function () {
  this.timeout(120_000);

  let engine: TestEngine;
  let worker: Zeebe.ZBWorker<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>> | undefined;

  before(async function () {
    engine = await requireEngine(this);
    this.timeout(120_000);
    const deployment = await deployFiles(engine.clients.rest, [
      path.join(FIXTURES, 'pipeline.bpmn'),
      path.join(FIXTURES, 'pipeline-approve.form'),
    ]);
    expect(deployment.processes.map((p) => p.processDefinitionId)).to.include(PROCESS_ID);
    expect(deployment.forms.map((f) => f.formId)).to.include(FORM_ID);

    // One worker for the run: it completes the job, or fails it with no retries left when the
    // instance asks for it (variable failWork), which raises an incident.
    worker = engine.clients.zeebe.createWorker<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>({
      taskType: JOB_TYPE,
      taskHandler: (job) => {
        if (job.variables.failWork === true) {
          return job.fail({ errorMessage: 'test pipeline: the work failed on purpose', retries: 0 });
        }
        return job.complete({ workResult: `work for ${String(job.variables.subject)} done` });
      },
    });
  });

  after(async () => {
    await worker?.close();
  });

  it('when the operator completes a task not assigned to her, then the engine refuses it; when agent1 claims and completes it, then the instance completes with the form’s variables', async () => {
    const { rest } = engine.clients;
    const { api } = engine;
    const created = await rest.createProcessInstance({ processDefinitionId: PROCESS_ID, variables: { subject: 'cert-42' } });
    const processInstanceKey = String(created.processInstanceKey);

    const task = await waitForUserTask(api, { processInstanceKey, elementId: 'Approve' }, { timeoutMs: 60_000 });
    expect(task.candidateGroups).to.deep.equal([AGENT_GROUP]);
    expect(task.formKey, 'the task is linked to the deployed form').to.be.a('string');

    if (engine.config.camunda.authStrategy === 'BASIC') {
      const form = await restCall<{ formId?: string }>(
        engine.restAddress,
        { username: engine.config.camunda.username, password: engine.config.camunda.password },
        'GET',
        `/v2/user-tasks/${task.userTaskKey}/form`,
      );
      expect(form.status, form.text).to.equal(200);
      expect(form.body?.formId).to.equal(FORM_ID);
    }

    // The worker's output reached the process before the user task was created.
    const before = await waitForVariables(api, processInstanceKey, ['workResult']);
    expect(before.workResult).to.equal('work for cert-42 done');

    // operator has not claimed the task (and on 8.8+ is not in the candidate group): the engine
    // refuses — 400 "not assigned" from Tasklist on 8.6, 403/404 from the authorizations on 8.8+.
    const operator = demoUser('operator');
    const refused = await api.completeUserTaskAs(operator, task.userTaskKey, { approved: true, reviewer: 'operator' });
    expect(refused.ok, `operator's completion was accepted: ${refused.status}`).to.equal(false);
    expect(refused.status).to.be.oneOf([400, 403, 404]);
    const stillOpen = await api.searchUserTasks({ processInstanceKey, elementId: 'Approve' });
    expect(stillOpen.map((t) => t.state)).to.deep.equal(['CREATED']);

    // agent1 is in the group: claims, then completes.
    const agent1 = demoUser('agent1');
    const claimed = await api.assignUserTaskAs(agent1, task.userTaskKey, agent1.username);
    expect(claimed.ok, claimed.detail).to.equal(true);
    const completed = await api.completeUserTaskAs(agent1, task.userTaskKey, {
      approved: true,
      comment: 'looks good',
      reviewer: agent1.username,
    });
    expect(completed.ok, completed.detail).to.equal(true);

    await waitForProcessInstanceState(api, processInstanceKey, 'COMPLETED', { timeoutMs: 60_000 });
    const after = await waitForVariables(api, processInstanceKey, ['approved', 'comment', 'reviewer']);
    expect(after).to.include({ subject: 'cert-42', workResult: 'work for cert-42 done', approved: true, comment: 'looks good', reviewer: 'agent1' });
    const done = await pollUntil('the completed task in the search', async () => {
      const t = await api.searchUserTasks({ processInstanceKey, elementId: 'Approve' });
      return t[0]?.state === 'COMPLETED' ? t : undefined;
    });
    expect(done.map((t) => [t.state, t.assignee])).to.deep.equal([['COMPLETED', 'agent1']]);
  });

  it('when the worker fails the job with no retries left, then an incident names the failure; when retries are given back and it is resolved, then the instance goes on', async () => {
    const { rest, zeebe } = engine.clients;
    const { api } = engine;
    const created = await rest.createProcessInstance({ processDefinitionId: PROCESS_ID, variables: { subject: 'cert-43', failWork: true } });
    const processInstanceKey = String(created.processInstanceKey);
    try {
      const incident = await pollUntil(
        `an incident in process instance ${processInstanceKey}`,
        async () => (await api.incidents(processInstanceKey))[0],
        { timeoutMs: 60_000 },
      );
      expect(incident.errorType).to.equal('JOB_NO_RETRIES');
      expect(incident.errorMessage).to.contain('the work failed on purpose');
      // Operate says PENDING until its post-importer has linked the incident, then ACTIVE.
      expect(incident.state).to.be.oneOf(['ACTIVE', 'PENDING']);
      expect(await api.searchUserTasks({ processInstanceKey }), 'no user task: the flow stopped at the failed job').to.deep.equal([]);

      // What an operator does in Operate: fix the cause, give the job retries, resolve the incident.
      await zeebe.setVariables({ elementInstanceKey: processInstanceKey, variables: { failWork: false }, local: false });
      await zeebe.updateJobRetries({ jobKey: incident.jobKey!, retries: 1 });
      await zeebe.resolveIncident({ incidentKey: incident.incidentKey });
      const task = await waitForUserTask(api, { processInstanceKey, elementId: 'Approve' }, { timeoutMs: 60_000 });
      expect(task.state).to.equal('CREATED');
    } finally {
      await rest.cancelProcessInstance({ processInstanceKey }).catch(() => undefined);
    }
  });
  it('when a task time on a whole second is written the way Tasklist 8.6.0 writes it, then OpenSearch refuses it directly and takes it through the stub Tasklist uses (camunda/camunda#27237)', async function () {
    if (!engine.startedHere || engine.capabilities.generation !== '8.6') this.skip(); // only the local 8.6 engine has the stub
    // An index with the date format of Tasklist's list view (read from its 8.6.0 jar).
    const index = `wpki-date-probe-${Date.now()}`;
    const mapping = { mappings: { properties: { creationTime: { type: 'date', format: 'date_time || epoch_millis' } } } };
    const put = (base: string, p: string, body: unknown) =>
      fetch(`${base}/${p}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put(OPENSEARCH_URL, index, mapping)).status).to.equal(200);
    try {
      const wholeSecond = { creationTime: '2026-12-04T14:21:16Z' };
      expect((await put(OPENSEARCH_URL, `${index}/_doc/direct`, wholeSecond)).status).to.equal(400);
      expect((await put(EXPORTER_OPENSEARCH_URL, `${index}/_doc/through-stub`, wholeSecond)).status).to.equal(201);
    } finally {
      await fetch(`${OPENSEARCH_URL}/${index}`, { method: 'DELETE' });
    }
  });
});
