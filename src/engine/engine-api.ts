/**
 * The engine's searches, its user-task actions as a given person, and its sign-in, behind one
 * interface — with one implementation per engine generation (capabilities.ts says which):
 *
 * - 8.8+: REST API v2 with basic credentials for everything.
 * - 8.6: REST API v2 (unauthenticated) has only the user task search; process instances,
 *   variables and incidents come from Operate's API v1; a person's assign and complete go
 *   through Tasklist's API v1 in that person's own session — exactly what Tasklist's
 *   "Assign to me" and "Complete task" buttons call; sign-in is the web apps' login.
 *
 * Deploying, starting, cancelling and jobs are the same on both and stay with the SDK.
 */
import type { Config } from '../config';
import { capabilitiesOf, type EngineCapabilities } from './capabilities';
import { credentialsFor, restCall, type Credentials, type RestResponse } from './rest';
import { createWebappSession, webappLogin, type WebappSession } from './webapp-session';

export interface UserTaskSummary {
  userTaskKey: string;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED' | 'FAILED';
  elementId: string;
  elementInstanceKey?: string;
  assignee?: string;
  candidateGroups: string[];
  processInstanceKey: string;
  processDefinitionId: string;
  formKey?: string;
  creationDate?: string;
  completionDate?: string;
}

export interface UserTaskQuery {
  processInstanceKey?: string;
  userTaskKey?: string;
  state?: UserTaskSummary['state'];
  elementId?: string;
  /** The BPMN process id of the task's own process (not of a calling parent). */
  processDefinitionId?: string;
}

export type ProcessInstanceState = 'ACTIVE' | 'COMPLETED' | 'TERMINATED' | 'CANCELED';

export interface ProcessInstanceSummary {
  processInstanceKey: string;
  processDefinitionId: string;
  state: ProcessInstanceState;
  hasIncident: boolean;
  parentProcessInstanceKey?: string;
}

export interface VariableRecord {
  name: string;
  /** The value as JSON text. */
  value: string;
  scopeKey: string;
  processInstanceKey: string;
}

export interface IncidentRecord {
  incidentKey: string;
  errorType: string;
  errorMessage: string;
  state: string;
  jobKey?: string;
  /** The element instance that has the incident (a job's variables live there: set them there to fix it). */
  elementInstanceKey?: string;
  processInstanceKey: string;
}

/** Outcome of a call made as a person: success, or the engine's refusal (status + detail). */
export interface ActAsResult {
  ok: boolean;
  status: number;
  detail?: string;
  response: RestResponse;
}

export interface VerifiedUser {
  username: string;
  displayName: string;
  email: string | null;
  roles: string[];
  groups: string[];
}

export interface EngineApi {
  capabilities: EngineCapabilities;
  searchUserTasks(query: UserTaskQuery): Promise<UserTaskSummary[]>;
  /** Assigns as `user` (who must be allowed to; on 8.6 only to themselves, as in Tasklist). */
  assignUserTaskAs(user: Credentials, userTaskKey: string, assignee: string): Promise<ActAsResult>;
  /** Completes as `user` with `variables`. */
  completeUserTaskAs(user: Credentials, userTaskKey: string, variables: Record<string, unknown>): Promise<ActAsResult>;
  /** Process instances, newest first, filtered by key and/or parent. */
  searchProcessInstances(filter: { processInstanceKey?: string; parentProcessInstanceKey?: string }): Promise<ProcessInstanceSummary[]>;
  /** Every variable of one process instance (all scopes). */
  variables(processInstanceKey: string): Promise<VariableRecord[]>;
  incidents(processInstanceKey: string): Promise<IncidentRecord[]>;
  /** The person behind `username`/`password`, or null when the engine refuses them. Throws when it cannot answer. */
  verifyUser(username: string, password: string): Promise<VerifiedUser | null>;
}

export interface EngineEndpoints {
  restAddress: string;
  tasklistUrl: string;
  operateUrl: string;
  /** The technical user (searches on 8.6 read Operate as this user). */
  technicalUser: Credentials;
  /** Credentials for REST v2 (8.8+ BASIC); undefined for NONE/8.6. */
  restCredentials: Credentials | undefined;
}

export function endpointsOf(config: Config): EngineEndpoints {
  const c = config.camunda;
  return {
    restAddress: c.restAddress,
    tasklistUrl: c.tasklistUrl,
    operateUrl: c.operateUrl,
    technicalUser: { username: c.username, password: c.password },
    restCredentials: credentialsFor(config),
  };
}

/** Asks the engine its version (GET /v2/topology) and returns what it can do. */
export async function detectCapabilities(restAddress: string, credentials: Credentials | undefined): Promise<EngineCapabilities> {
  const r = await restCall<{ gatewayVersion?: string }>(restAddress, credentials, 'GET', '/v2/topology', undefined, 10_000);
  if (!r.ok || !r.body?.gatewayVersion) {
    throw new Error(`The engine at ${restAddress} did not say its version (GET /v2/topology → ${r.status} ${r.text.slice(0, 200)})`);
  }
  return capabilitiesOf(r.body.gatewayVersion);
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

function outcome(r: RestResponse): ActAsResult {
  const body = r.body as { detail?: string; message?: string } | undefined;
  return { ok: r.ok, status: r.status, detail: r.ok ? undefined : (body?.detail ?? body?.message ?? r.text.slice(0, 300)), response: r };
}

/** Maps one REST v2 user task search item (8.6 or 8.8+ field names) to the summary. */
export function userTaskFromRest(item: Record<string, unknown>, caps: EngineCapabilities): UserTaskSummary {
  const groups = (item.candidateGroups ?? item.candidateGroup ?? []) as string[];
  return {
    userTaskKey: String(item[caps.userTaskKeyField] ?? item.userTaskKey ?? item.key),
    state: String(item.state) as UserTaskSummary['state'],
    elementId: String(item.elementId),
    elementInstanceKey: str(item.elementInstanceKey),
    assignee: str(item.assignee),
    candidateGroups: Array.isArray(groups) ? groups.map(String) : [],
    processInstanceKey: String(item.processInstanceKey),
    processDefinitionId: String(item.processDefinitionId),
    formKey: str(item.formKey),
    creationDate: str(item.creationDate),
    completionDate: str(item.completionDate),
  };
}

function userTaskFilter(q: UserTaskQuery, caps: EngineCapabilities): Record<string, unknown> {
  return {
    ...(q.processInstanceKey ? { processInstanceKey: caps.generation === '8.6' ? Number(q.processInstanceKey) : q.processInstanceKey } : {}),
    ...(q.userTaskKey ? { [caps.userTaskKeyField]: caps.generation === '8.6' ? Number(q.userTaskKey) : q.userTaskKey } : {}),
    ...(q.state ? { state: q.state } : {}),
    ...(q.elementId ? { elementId: q.elementId } : {}),
    ...(q.processDefinitionId ? { processDefinitionId: q.processDefinitionId } : {}),
  };
}

/** Tasks per page of the REST v2 search. */
export const USER_TASK_PAGE = 100;
/** A search stops after this many pages (100,000 tasks): more would be a query without a useful filter. */
const MAX_PAGES = 1000;

interface SearchPage {
  totalItems?: number;
  /** 8.6 */
  lastSortValues?: unknown[];
  /** 8.8+ */
  endCursor?: string | null;
}

/**
 * Every user task matching `q`, oldest first: pages through the search (the engine answers one
 * page at a time; with only the first page, tasks the search still shows as CREATED after they
 * were completed hid the open ones behind them — issue 14). 8.6 pages with `searchAfter`, 8.8+
 * with a cursor (capabilities.searchPaging).
 */
async function searchUserTasksRest(e: EngineEndpoints, caps: EngineCapabilities, q: UserTaskQuery): Promise<UserTaskSummary[]> {
  const out: UserTaskSummary[] = [];
  const seen = new Set<string>();
  let next: Record<string, unknown> = {};
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const r = await restCall<{ items?: Array<Record<string, unknown>>; page?: SearchPage }>(e.restAddress, e.restCredentials, 'POST', '/v2/user-tasks/search', {
      filter: userTaskFilter(q, caps),
      sort: [{ field: 'creationDate', order: 'asc' }],
      page: { limit: USER_TASK_PAGE, ...next },
    });
    if (!r.ok) throw new Error(`POST /v2/user-tasks/search → ${r.status} ${r.text.slice(0, 300)}`);
    const items = r.body?.items ?? [];
    for (const i of items) {
      const t = userTaskFromRest(i, caps);
      // A task whose state changed between two pages may come twice.
      if (seen.has(t.userTaskKey)) continue;
      seen.add(t.userTaskKey);
      out.push(t);
    }
    const page = r.body?.page;
    if (items.length < USER_TASK_PAGE) break;
    if (caps.searchPaging === 'cursor') {
      if (!page?.endCursor) break;
      next = { after: page.endCursor };
    } else {
      if (!page?.lastSortValues?.length) break;
      next = { searchAfter: page.lastSortValues };
    }
  }
  return out;
}

/** Camunda 8.6: REST v2 without credentials + Operate + Tasklist sessions. */
function createEngineApi86(e: EngineEndpoints, caps: EngineCapabilities): EngineApi {
  const operate: WebappSession = createWebappSession(e.operateUrl, e.technicalUser);
  const tasklistSessions = new Map<string, WebappSession>();
  const tasklistAs = (user: Credentials): WebappSession => {
    const id = `${user.username}\u0000${user.password}`;
    let s = tasklistSessions.get(id);
    if (!s) {
      s = createWebappSession(e.tasklistUrl, user);
      tasklistSessions.set(id, s);
    }
    return s;
  };

  /**
   * Tasklist answers 404 for a task it has not imported yet, though the engine created it (and
   * the REST v2 search may already show it): retry for a few seconds before believing it.
   */
  async function tasklistCall(user: Credentials, path: string, body: unknown): Promise<RestResponse> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await tasklistAs(user).call('PATCH', path, body);
      if (r.status !== 404 || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  async function operateSearch<T>(path: string, filter: Record<string, unknown>): Promise<T[]> {
    const r = await operate.call<{ items?: T[] }>('POST', path, { filter, size: 1000 });
    if (!r.ok) throw new Error(`Operate POST ${path} → ${r.status} ${r.text.slice(0, 300)}`);
    return r.body?.items ?? [];
  }

  return {
    capabilities: caps,
    searchUserTasks: (q) => searchUserTasksRest(e, caps, q),
    async assignUserTaskAs(user, userTaskKey, assignee) {
      if (assignee !== user.username) {
        return {
          ok: false,
          status: 400,
          detail: `On Camunda 8.6 a person can only assign a task to themselves (Tasklist's "Assign to me")`,
          response: { status: 400, ok: false, body: undefined, text: '' },
        };
      }
      const r = await tasklistCall(user, `/v1/tasks/${encodeURIComponent(userTaskKey)}/assign`, { allowOverrideAssignment: false });
      if (r.status === 400 && /already assigned/i.test(r.text)) {
        // Tasklist refuses to assign again; a task the model already assigned to this person is theirs.
        const [task] = await searchUserTasksRest(e, caps, { userTaskKey });
        if (task?.assignee === user.username) return { ok: true, status: 200, response: r };
      }
      return outcome(r);
    },
    async completeUserTaskAs(user, userTaskKey, variables) {
      const body = { variables: Object.entries(variables).map(([name, value]) => ({ name, value: JSON.stringify(value) })) };
      return outcome(await tasklistCall(user, `/v1/tasks/${encodeURIComponent(userTaskKey)}/complete`, body));
    },
    async searchProcessInstances(filter) {
      const items = await operateSearch<Record<string, unknown>>('/v1/process-instances/search', {
        ...(filter.processInstanceKey ? { key: Number(filter.processInstanceKey) } : {}),
        ...(filter.parentProcessInstanceKey ? { parentKey: Number(filter.parentProcessInstanceKey) } : {}),
      });
      return items.map((i) => ({
        processInstanceKey: String(i.key),
        processDefinitionId: String(i.bpmnProcessId),
        state: String(i.state) as ProcessInstanceState,
        hasIncident: i.incident === true,
        parentProcessInstanceKey: str(i.parentKey),
      }));
    },
    async variables(processInstanceKey) {
      const items = await operateSearch<Record<string, unknown>>('/v1/variables/search', { processInstanceKey: Number(processInstanceKey) });
      return items.map((v) => ({
        name: String(v.name),
        value: String(v.value),
        scopeKey: String(v.scopeKey),
        processInstanceKey: String(v.processInstanceKey),
      }));
    },
    async incidents(processInstanceKey) {
      const items = await operateSearch<Record<string, unknown>>('/v1/incidents/search', { processInstanceKey: Number(processInstanceKey) });
      // Operate 8.6's incidents do not name their element instance; its flow node instances name their incident.
      const withIncident = items.length
        ? await operateSearch<Record<string, unknown>>('/v1/flownode-instances/search', { processInstanceKey: Number(processInstanceKey), incident: true })
        : [];
      return items.map((i) => ({
        incidentKey: String(i.key),
        errorType: String(i.type),
        errorMessage: String(i.message ?? ''),
        state: String(i.state),
        jobKey: str(i.jobKey),
        elementInstanceKey: str(withIncident.find((f) => String(f.incidentKey) === String(i.key))?.key),
        processInstanceKey: String(i.processInstanceKey),
      }));
    },
    async verifyUser(username, password) {
      const signed = await webappLogin(new URL(e.tasklistUrl).origin, { username, password });
      if (!signed) return null;
      const res = await fetch(`${new URL(e.tasklistUrl).origin}/v1/internal/users/current`, {
        headers: { cookie: signed.cookie, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`Tasklist's current user answered ${res.status}`);
      const me = (await res.json()) as { userId?: string; displayName?: string; roles?: string[] | null };
      return { username: me.userId ?? username, displayName: me.displayName ?? username, email: null, roles: me.roles ?? [], groups: [] };
    },
  };
}

const idList = (l: unknown): string[] =>
  Array.isArray(l)
    ? l
        .map((x) => (typeof x === 'string' ? x : String((x as Record<string, unknown>).roleId ?? (x as Record<string, unknown>).groupId ?? '')))
        .filter((x) => x !== '')
    : [];

/** Camunda 8.8+: REST API v2 for everything. */
function createEngineApi88(e: EngineEndpoints, caps: EngineCapabilities): EngineApi {
  async function search(path: string, filter: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
    const r = await restCall<{ items?: Array<Record<string, unknown>> }>(e.restAddress, e.restCredentials, 'POST', path, { filter, page: { limit: 1000 } });
    if (!r.ok) throw new Error(`POST ${path} → ${r.status} ${r.text.slice(0, 300)}`);
    return r.body?.items ?? [];
  }
  return {
    capabilities: caps,
    searchUserTasks: (q) => searchUserTasksRest(e, caps, q),
    async assignUserTaskAs(user, userTaskKey, assignee) {
      return outcome(await restCall(e.restAddress, user, 'POST', `/v2/user-tasks/${encodeURIComponent(userTaskKey)}/assignment`, { assignee, allowOverride: false }));
    },
    async completeUserTaskAs(user, userTaskKey, variables) {
      return outcome(await restCall(e.restAddress, user, 'POST', `/v2/user-tasks/${encodeURIComponent(userTaskKey)}/completion`, { variables }));
    },
    async searchProcessInstances(filter) {
      const items = await search('/v2/process-instances/search', {
        ...(filter.processInstanceKey ? { processInstanceKey: filter.processInstanceKey } : {}),
        ...(filter.parentProcessInstanceKey ? { parentProcessInstanceKey: filter.parentProcessInstanceKey } : {}),
      });
      return items.map((i) => ({
        processInstanceKey: String(i.processInstanceKey),
        processDefinitionId: String(i.processDefinitionId),
        state: String(i.state) as ProcessInstanceState,
        hasIncident: i.hasIncident === true,
        parentProcessInstanceKey: str(i.parentProcessInstanceKey),
      }));
    },
    async variables(processInstanceKey) {
      const items = await search('/v2/variables/search', { processInstanceKey });
      return items.map((v) => ({ name: String(v.name), value: String(v.value), scopeKey: String(v.scopeKey), processInstanceKey: String(v.processInstanceKey) }));
    },
    async incidents(processInstanceKey) {
      const items = await search('/v2/incidents/search', { processInstanceKey });
      return items.map((i) => ({
        incidentKey: String(i.incidentKey),
        errorType: String(i.errorType),
        errorMessage: String(i.errorMessage ?? ''),
        state: String(i.state),
        jobKey: str(i.jobKey),
        elementInstanceKey: str(i.elementInstanceKey ?? i.flowNodeInstanceKey),
        processInstanceKey: String(i.processInstanceKey),
      }));
    },
    async verifyUser(username, password) {
      const r = await restCall<Record<string, unknown>>(e.restAddress, { username, password }, 'GET', '/v2/authentication/me', undefined, 10_000);
      if (r.status === 401 || r.status === 403) return null;
      if (!r.ok) throw new Error(`the engine's identity answered ${r.status} for /v2/authentication/me`);
      const b = r.body ?? {};
      return {
        username: str(b.username) ?? str(b.userId) ?? username,
        displayName: str(b.displayName) ?? str(b.name) ?? username,
        email: str(b.email) ?? null,
        roles: idList(b.roles),
        groups: idList(b.groups),
      };
    },
  };
}

export function createEngineApi(endpoints: EngineEndpoints, caps: EngineCapabilities): EngineApi {
  return caps.generation === '8.6' ? createEngineApi86(endpoints, caps) : createEngineApi88(endpoints, caps);
}

/** Detects the engine at the configured address and returns its API. */
export async function connectEngineApi(config: Config): Promise<EngineApi> {
  const endpoints = endpointsOf(config);
  return createEngineApi(endpoints, await detectCapabilities(endpoints.restAddress, endpoints.restCredentials));
}

/** The engine API, connected on first use and again after a failed attempt (the engine may come later). */
export function lazyEngineApi(config: Config): () => Promise<EngineApi> {
  let pending: Promise<EngineApi> | undefined;
  return () => {
    pending ??= connectEngineApi(config).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
