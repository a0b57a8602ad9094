/**
 * The 8.8+ side of engine-api.ts cannot run here (no Camunda 8.8+ can be obtained), so its
 * requests and its reading of responses are checked against Camunda's own published schemas
 * (`@camunda/camunda-api-zod-schemas`, 8.8): a small HTTP server accepts a request only when
 * the schema parses it without dropping a field, and answers with samples the response schema
 * accepts. A renamed field (as between 8.6 and 8.8) fails here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ZodType } from 'zod';
import { capabilitiesOf } from '../../../src/engine/capabilities';
import { createEngineApi, type EngineApi } from '../../../src/engine/engine-api';

// The package is ESM only: its types resolve in import mode, the module loads with a dynamic import.
type Schemas = typeof import('@camunda/camunda-api-zod-schemas/8.8', { with: { 'resolution-mode': 'import' } });
const SCHEMAS_8_8: string = '@camunda/camunda-api-zod-schemas/8.8';

/** Parses `value`; fails when the schema refuses it or drops a field it does not know. */
function conforms(schema: ZodType, value: unknown, what: string): void {
  const r = schema.safeParse(value);
  expect(r.success, `${what}: ${r.success ? '' : JSON.stringify(r.error.issues).slice(0, 600)}`).to.equal(true);
  expect(JSON.parse(JSON.stringify(r.data)), `${what}: fields unknown to Camunda 8.8`).to.deep.equal(JSON.parse(JSON.stringify(value)));
}

describe('engine: the 8.8+ REST v2 adapter against Camunda 8.8’s published API schemas', () => {
  let s: Schemas;
  let server: http.Server;
  let api: EngineApi;
  const seen: string[] = [];

  const page = { totalItems: 1 };
  const userTask = {
    userTaskKey: '2251799813685300',
    name: 'Approve request',
    state: 'COMPLETED',
    assignee: 'agent2',
    elementId: 'Task_ApproveRequest',
    elementInstanceKey: '2251799813685299',
    candidateGroups: ['workplace-certificate-agent'],
    candidateUsers: [],
    processDefinitionId: 'AssetsProcApproval',
    processDefinitionKey: '2251799813685250',
    processInstanceKey: '2251799813685290',
    formKey: '2251799813685251',
    creationDate: '2026-11-22T10:00:00.000Z',
    completionDate: '2026-11-22T10:05:00.000Z',
    tenantId: '<default>',
    processDefinitionVersion: 1,
    customHeaders: {},
    priority: 50,
    processName: 'Approval request',
  };
  const processInstance = {
    processInstanceKey: '2251799813685290',
    processDefinitionId: 'AssetsProcApproval',
    processDefinitionName: 'Approval request',
    processDefinitionVersion: 1,
    processDefinitionKey: '2251799813685250',
    parentProcessInstanceKey: '2251799813685280',
    parentElementInstanceKey: '2251799813685285',
    startDate: '2026-11-22T10:00:00.000Z',
    state: 'COMPLETED',
    hasIncident: false,
    tenantId: '<default>',
  };
  const variable = {
    variableKey: '2251799813685301',
    name: 'requestId',
    value: '42',
    isTruncated: false,
    scopeKey: '2251799813685290',
    processInstanceKey: '2251799813685290',
    tenantId: '<default>',
  };
  const incident = {
    incidentKey: '2251799813685302',
    processDefinitionId: 'AssetsProcApproval',
    processDefinitionKey: '2251799813685250',
    processInstanceKey: '2251799813685290',
    errorType: 'JOB_NO_RETRIES',
    errorMessage: 'the CA at https://ca.example is unreachable',
    elementId: 'Task_LoadRequest',
    elementInstanceKey: '2251799813685303',
    creationTime: '2026-11-22T10:00:00.000Z',
    state: 'ACTIVE',
    jobKey: '2251799813685304',
    tenantId: '<default>',
  };
  const me = {
    username: 'agent1',
    displayName: 'Agent One',
    email: 'agent1@example.com',
    authorizedComponents: ['tasklist'],
    tenants: [],
    groups: ['workplace-certificate-agent'],
    roles: ['task-worker'],
    salesPlanType: null,
    c8Links: [],
    canLogout: true,
  };

  before(async () => {
    s = (await import(SCHEMAS_8_8)) as Schemas;
    // The samples themselves are 8.8 shapes.
    conforms(s.queryUserTasksResponseBodySchema, { items: [userTask], page }, 'user task sample');
    conforms(s.queryProcessInstancesResponseBodySchema, { items: [processInstance], page }, 'process instance sample');
    conforms(s.queryVariablesResponseBodySchema, { items: [variable], page }, 'variable sample');
    conforms(s.queryIncidentsResponseBodySchema, { items: [incident], page }, 'incident sample');
    conforms(s.currentUserSchema, me, 'current user sample');

    const routes: Array<[string, RegExp, ZodType | undefined, unknown, number]> = [
      ['POST', /^\/v2\/user-tasks\/search$/, s.queryUserTasksRequestBodySchema, { items: [userTask], page }, 200],
      ['POST', /^\/v2\/user-tasks\/\d+\/assignment$/, s.assignTaskRequestBodySchema, undefined, 204],
      ['POST', /^\/v2\/user-tasks\/\d+\/completion$/, s.completeTaskRequestBodySchema, undefined, 204],
      ['POST', /^\/v2\/process-instances\/search$/, s.queryProcessInstancesRequestBodySchema, { items: [processInstance], page }, 200],
      ['POST', /^\/v2\/variables\/search$/, s.queryVariablesRequestBodySchema, { items: [variable], page }, 200],
      ['POST', /^\/v2\/incidents\/search$/, s.queryIncidentsRequestBodySchema, { items: [incident], page }, 200],
      ['GET', /^\/v2\/authentication\/me$/, undefined, me, 200],
    ];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const route = routes.find(([m, p]) => m === req.method && p.test(req.url ?? ''));
        if (!route) {
          res.writeHead(404).end();
          return;
        }
        try {
          if (route[2]) conforms(route[2], JSON.parse(body || '{}'), `${req.method} ${req.url}`);
          seen.push(`${req.method} ${req.url}`);
          res.writeHead(route[4], { 'content-type': 'application/json' }).end(route[3] === undefined ? '' : JSON.stringify(route[3]));
        } catch (err) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: (err as Error).message }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const user = { username: 'demo', password: 'demo' };
    api = createEngineApi(
      { restAddress: base, tasklistUrl: `${base}/tasklist`, operateUrl: `${base}/operate`, technicalUser: user, restCredentials: user },
      capabilitiesOf('8.8.0'),
    );
  });

  after(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('when user tasks are searched, then the filter is 8.8’s and the completed task with its assignee is read', async () => {
    const tasks = await api.searchUserTasks({ processInstanceKey: '2251799813685290', elementId: 'Task_ApproveRequest', state: 'COMPLETED' });
    expect(tasks).to.deep.equal([
      {
        userTaskKey: '2251799813685300',
        state: 'COMPLETED',
        elementId: 'Task_ApproveRequest',
        elementInstanceKey: '2251799813685299',
        assignee: 'agent2',
        candidateGroups: ['workplace-certificate-agent'],
        processInstanceKey: '2251799813685290',
        processDefinitionId: 'AssetsProcApproval',
        formKey: '2251799813685251',
        creationDate: '2026-11-22T10:00:00.000Z',
        completionDate: '2026-11-22T10:05:00.000Z',
      },
    ]);
  });

  it('when a person assigns and completes, then both bodies are 8.8’s', async () => {
    const agent = { username: 'agent2', password: 'agent2' };
    expect((await api.assignUserTaskAs(agent, '2251799813685300', 'agent2')).ok).to.equal(true);
    expect((await api.completeUserTaskAs(agent, '2251799813685300', { decision: 'approve' })).ok).to.equal(true);
  });

  it('when instances, variables and incidents are searched, then the filters are 8.8’s and the answers are read', async () => {
    expect(await api.searchProcessInstances({ parentProcessInstanceKey: '2251799813685280' })).to.deep.equal([
      { processInstanceKey: '2251799813685290', processDefinitionId: 'AssetsProcApproval', state: 'COMPLETED', hasIncident: false, parentProcessInstanceKey: '2251799813685280' },
    ]);
    expect(await api.variables('2251799813685290')).to.deep.equal([
      { name: 'requestId', value: '42', scopeKey: '2251799813685290', processInstanceKey: '2251799813685290' },
    ]);
    const [i] = await api.incidents('2251799813685290');
    expect(i).to.deep.include({ incidentKey: '2251799813685302', errorType: 'JOB_NO_RETRIES', state: 'ACTIVE', jobKey: '2251799813685304' });
  });

  it('when a user signs in, then /v2/authentication/me is read into name, groups and roles', async () => {
    expect(await api.verifyUser('agent1', 'agent1')).to.deep.equal({
      username: 'agent1',
      displayName: 'Agent One',
      email: 'agent1@example.com',
      roles: ['task-worker'],
      groups: ['workplace-certificate-agent'],
    });
    expect(seen).to.include('GET /v2/authentication/me');
  });
});
