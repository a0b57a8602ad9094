/**
 * What the console (src/console) needs beyond the object and admin routes (issue 13):
 *   GET /api/me                               who is signed in, and whether they administer
 *   GET /api/processes/<processInstanceKey>   where a started use case went: its state, its
 *                                             incidents and the open user tasks of it and of the
 *                                             processes it called, each with its Tasklist link —
 *                                             for the person who started it, a registration
 *                                             authority or an admin (keys are sequential: others
 *                                             could read what everybody is doing)
 *   GET /api/requests/<id>/approval-task      the approvers' email link: redirects to the request's
 *                                             "Approve request" task in Tasklist, or to Tasklist's
 *                                             list while there is no open task (issue 18.7)
 * Mounted behind sign-in, before the object routes (whose `/:collection` would take `/me`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { PROJECT_ROOT } from '../config';
import type { EngineApi, ProcessInstanceSummary } from '../engine/engine-api';
import { REGISTRATION_AUTHORITY_GROUP } from '../domain/authorization';
import { NotFoundError } from '../domain/errors';
import { approversOf } from '../store/approvers';
import type { Queryable } from '../store/db';
import { getRequest } from '../store/requests';
import { objectId, parseInput } from '../store/validate';
import { callerOf } from './auth';
import { refusalIn } from './process-refusal';
import type { Caller } from './identity';

export interface ConsoleRouteDeps {
  tasklistUrl: string;
  pool: Queryable;
  /** The engine's searches; without it, /api/processes answers 503. */
  engine?: () => Promise<EngineApi>;
}

/** A process instance key as the engine writes it. */
export const processInstanceKey = z.string().regex(/^\d{1,20}$/, 'a process instance key is a number');

/** The decision task of AssetsProcApproval (workers/approval.ts APPROVE_TASK_ID; the API does not import workers). */
const APPROVE_TASK_ELEMENT = 'Task_ApproveRequest';

/** How deep the called processes are followed: use case → enrollment → approval. */
const MAX_DEPTH = 3;

let taskNames: Map<string, string> | undefined;

/** "Upload CSR" for AssetsSubProcEnrollP10Profile/Task_UploadCsr: the user tasks' names, from the models in bpmn/. */
function userTaskName(processId: string | undefined, elementId: string): string {
  if (!taskNames) {
    taskNames = new Map();
    const dir = path.join(PROJECT_ROOT, 'bpmn');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn'))) {
      const xml = fs.readFileSync(path.join(dir, file), 'utf8');
      const pid = /<bpmn:process id="([^"]+)"/.exec(xml)?.[1] ?? file.replace(/\.bpmn$/, '');
      for (const m of xml.matchAll(/<bpmn:userTask id="([^"]+)" name="([^"]*)"/g)) taskNames.set(`${pid}/${m[1]}`, m[2]!.replace(/&#10;/g, ' '));
    }
  }
  // 8.6's task search names no process: then the element id alone (the same id has the same name in every model).
  const exact = processId ? taskNames.get(`${processId}/${elementId}`) : undefined;
  return exact ?? [...taskNames].find(([k]) => k.endsWith(`/${elementId}`))?.[1] ?? elementId;
}

/** A task is for the caller when it is assigned to them, or unassigned and offered to one of their groups. */
function isFor(caller: Caller, task: { assignee?: string; candidateGroups: string[] }): boolean {
  if (task.assignee) return task.assignee === caller.username;
  return task.candidateGroups.length === 0 || task.candidateGroups.some((g) => caller.groups.includes(g));
}

/** The request the use case created (enrollments: from its first step), or null while it has none. */
function requestIdOf(rootVariables: Array<{ name: string; value: string }>): number | null {
  const v = rootVariables.find((r) => r.name === 'requestId');
  const n = v ? Number(v.value) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function unavailable(res: Response): void {
  res.status(503).type('application/problem+json').json({ title: 'UNAVAILABLE', status: 503, detail: 'the engine cannot be asked from this API' });
}

export function consoleRoutes({ tasklistUrl, pool, engine }: ConsoleRouteDeps): Router {
  const r = Router();

  r.get('/me', (req, res) => {
    const c = callerOf(req);
    res.json({ username: c.username, displayName: c.displayName, email: c.email, groups: c.groups, isAdmin: c.isAdmin, tasklistUrl });
  });

  r.get('/processes/:processInstanceKey', async (req, res) => {
    const root = parseInput(processInstanceKey, req.params.processInstanceKey, 'processInstanceKey');
    if (!engine) return unavailable(res);
    const api = await engine();
    const caller = callerOf(req);

    // The instance and the ones it called; the engine's search lags the start by a few seconds.
    const [self] = await api.searchProcessInstances({ processInstanceKey: root });
    const rootVariables = self ? (await api.variables(root)).filter((v) => v.scopeKey === root) : [];
    if (!caller.isAdmin && !caller.groups.includes(REGISTRATION_AUTHORITY_GROUP)) {
      const requester = rootVariables.find((v) => v.name === 'requester');
      // Not shown yet: nothing to tell anyone. Someone else's: as if it did not exist.
      if (!requester) return res.json({ processInstanceKey: root, processDefinitionId: null, state: 'STARTING', incidents: [], refusal: null, requestId: null, tasks: [] });
      if (requester.value !== JSON.stringify(caller.username)) throw new NotFoundError('process', root);
    }
    const instances: ProcessInstanceSummary[] = self ? [self] : [];
    let level = self ? [root] : [];
    for (let depth = 0; depth < MAX_DEPTH && level.length; depth++) {
      const children = (await Promise.all(level.map((k) => api.searchProcessInstances({ parentProcessInstanceKey: k })))).flat();
      instances.push(...children);
      level = children.map((c) => c.processInstanceKey);
    }
    const keys = [root, ...instances.filter((i) => i.processInstanceKey !== root).map((i) => i.processInstanceKey)];
    const tasks = (await Promise.all(keys.map((k) => api.searchUserTasks({ processInstanceKey: k, state: 'CREATED' })))).flat();
    const incidents = (await Promise.all(instances.filter((i) => i.hasIncident).map((i) => api.incidents(i.processInstanceKey))))
      .flat()
      .filter((i) => i.state === 'ACTIVE')
      .map((i) => i.errorMessage);
    const processOf = new Map(instances.map((i) => [i.processInstanceKey, i.processDefinitionId]));
    const known = (id: string | undefined) => (id && id !== 'undefined' ? id : undefined);
    res.json({
      processInstanceKey: root,
      processDefinitionId: self?.processDefinitionId ?? null,
      state: self?.state ?? 'STARTING',
      incidents,
      refusal: refusalIn(rootVariables),
      requestId: requestIdOf(rootVariables),
      tasks: tasks.map((t) => {
        const processId = processOf.get(t.processInstanceKey) ?? known(t.processDefinitionId);
        return {
          userTaskKey: t.userTaskKey,
          name: userTaskName(processId, t.elementId),
          elementId: t.elementId,
          processInstanceKey: t.processInstanceKey,
          processDefinitionId: processId ?? '',
          assignee: t.assignee ?? null,
          candidateGroups: t.candidateGroups,
          forYou: isFor(caller, t),
          tasklistUrl: `${tasklistUrl}/${t.userTaskKey}`,
        };
      }),
    });
  });

  r.get('/requests/:id/approval-task', async (req, res) => {
    const id = parseInput(objectId, req.params.id, 'id');
    const request = await getRequest(pool, id);
    const caller = callerOf(req);
    const { approverGroup } = await approversOf(pool, request);
    // Its approvers, its requester, a registration authority or an admin; anyone else: as if it did not exist.
    const mayOpen = caller.isAdmin || caller.username === request.requester || caller.groups.includes(approverGroup) || caller.groups.includes(REGISTRATION_AUTHORITY_GROUP);
    if (!mayOpen) throw new NotFoundError('request', id);
    let target = `${tasklistUrl}/?filter=all-open`;
    if (request.state === 'Requested' && request.approvalProcessInstanceKey && engine) {
      const open = await (await engine()).searchUserTasks({ processInstanceKey: request.approvalProcessInstanceKey, state: 'CREATED', elementId: APPROVE_TASK_ELEMENT });
      if (open[0]) target = `${tasklistUrl}/${open[0].userTaskKey}`;
    }
    res.redirect(302, target);
  });

  return r;
}
