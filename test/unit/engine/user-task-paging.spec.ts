/**
 * The user task search reads every page (issue 14): with only the first page, tasks the search
 * still listed as CREATED after their completion hid the open ones behind them. A small HTTP
 * server plays the REST v2 search of each engine generation — 8.6 pages with `searchAfter` and
 * `lastSortValues`, 8.8+ with `after` and `endCursor` (8.8's request schema checks the body).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import type { ZodType } from 'zod';
import { capabilitiesOf } from '../../../src/engine/capabilities';
import { createEngineApi, USER_TASK_PAGE } from '../../../src/engine/engine-api';

type Schemas = typeof import('@camunda/camunda-api-zod-schemas/8.8', { with: { 'resolution-mode': 'import' } });
const SCHEMAS_8_8: string = '@camunda/camunda-api-zod-schemas/8.8';

interface FakeTask {
  key: number;
  processDefinitionId: string;
  state: string;
}

/** 8.6 field names (`key`) or 8.8 ones (`userTaskKey`, string keys). */
function item(t: FakeTask, generation: '8.6' | '8.8+'): Record<string, unknown> {
  const common = { state: t.state, elementId: 'Task_UploadCsr', processInstanceKey: t.key - 1, processDefinitionId: t.processDefinitionId, candidateGroups: [] };
  return generation === '8.6' ? { key: t.key, ...common } : { userTaskKey: String(t.key), ...common, processInstanceKey: String(t.key - 1) };
}

async function serve(generation: '8.6' | '8.8+', tasks: FakeTask[], requestSchema?: ZodType) {
  const requests: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const q = JSON.parse(body) as { filter?: Record<string, unknown>; page?: { limit?: number; searchAfter?: unknown[]; after?: string } };
      requests.push(q);
      if (requestSchema) {
        const r = requestSchema.safeParse(q);
        if (!r.success || !isDeepStrictEqual(JSON.parse(JSON.stringify(r.data)), q)) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'not an 8.8 request' }));
          return;
        }
      }
      const f = q.filter ?? {};
      const matching = tasks.filter((t) => (!f.state || t.state === f.state) && (!f.processDefinitionId || t.processDefinitionId === f.processDefinitionId));
      // Sorted by creation (= key here); the position after the previous page comes from its sort values / cursor.
      const after = generation === '8.6' ? Number(q.page?.searchAfter?.[0] ?? 0) : Number(q.page?.after ?? 0);
      const page = matching.filter((t) => t.key > after).slice(0, q.page?.limit ?? 10);
      const last = page[page.length - 1];
      const pageInfo =
        generation === '8.6'
          ? { totalItems: matching.length, firstSortValues: page[0] ? [page[0].key] : [], lastSortValues: last ? [last.key] : [] }
          : { totalItems: matching.length, ...(last ? { endCursor: String(last.key) } : {}) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: page.map((t) => item(t, generation)), page: pageInfo }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const user = { username: 'demo', password: 'demo' };
  const api = createEngineApi(
    { restAddress: base, tasklistUrl: `${base}/tasklist`, operateUrl: `${base}/operate`, technicalUser: user, restCredentials: generation === '8.6' ? undefined : user },
    capabilitiesOf(generation === '8.6' ? '8.6.0' : '8.8.0'),
  );
  return { api, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** 250 tasks the search still shows as CREATED though completed, then 7 open ones, then another process's. */
function backlog(): { tasks: FakeTask[]; open: string[] } {
  const tasks: FakeTask[] = [];
  let key = 1000;
  for (let i = 0; i < 250; i++) tasks.push({ key: (key += 2), processDefinitionId: 'AssetsSubProcEnrollP10Profile', state: 'CREATED' });
  const open: string[] = [];
  for (let i = 0; i < 7; i++) {
    tasks.push({ key: (key += 2), processDefinitionId: 'AssetsSubProcEnrollP10Profile', state: 'CREATED' });
    open.push(String(key));
  }
  for (let i = 0; i < 30; i++) tasks.push({ key: (key += 2), processDefinitionId: 'BenchBaselineEnrollP10', state: 'CREATED' });
  return { tasks, open };
}

describe('engine: the user task search reads every page', () => {
  for (const generation of ['8.6', '8.8+'] as const) {
    it(`when more tasks match than one page holds (${generation}), then the open ones behind the stale ones are found`, async () => {
      const schemas = generation === '8.8+' ? ((await import(SCHEMAS_8_8)) as Schemas) : undefined;
      const { tasks, open } = backlog();
      const fake = await serve(generation, tasks, schemas?.queryUserTasksRequestBodySchema);
      try {
        const found = await fake.api.searchUserTasks({ state: 'CREATED', processDefinitionId: 'AssetsSubProcEnrollP10Profile' });
        expect(found).to.have.length(257);
        expect(new Set(found.map((t) => t.userTaskKey)).size).to.equal(257);
        expect(found.map((t) => t.userTaskKey)).to.include.members(open);
        expect(found.every((t) => t.processDefinitionId === 'AssetsSubProcEnrollP10Profile')).to.equal(true);
        expect(fake.requests).to.have.length(Math.ceil(257 / USER_TASK_PAGE));
        expect(fake.requests[0]!.filter).to.deep.include({ processDefinitionId: 'AssetsSubProcEnrollP10Profile', state: 'CREATED' });
      } finally {
        await fake.close();
      }
    });
  }

  it('when the matches fit one page, then one request is made', async () => {
    const fake = await serve('8.6', backlog().tasks);
    try {
      expect(await fake.api.searchUserTasks({ state: 'CREATED', processDefinitionId: 'BenchBaselineEnrollP10' })).to.have.length(30);
      expect(fake.requests).to.have.length(1);
    } finally {
      await fake.close();
    }
  });
});
