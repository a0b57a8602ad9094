/**
 * User tasks through REST API v2: find them (searches read the secondary storage, which lags the
 * engine a little, so they poll), and assign or complete them AS A GIVEN USER: the call carries
 * that user's basic credentials, so the engine's authorizations decide, exactly as in Tasklist.
 */
import type { CamundaRestClient } from '@camunda8/sdk';
import { restCall, type Credentials, type RestResponse } from './rest';

export interface UserTaskSummary {
  userTaskKey: string;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED' | 'FAILED';
  elementId: string;
  name: string;
  assignee?: string;
  candidateGroups: string[];
  candidateUsers: string[];
  processInstanceKey: string;
  processDefinitionId: string;
  formKey?: string;
}

export interface UserTaskQuery {
  processInstanceKey: string;
  state?: UserTaskSummary['state'];
  elementId?: string;
}

export interface PollOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Default 500 ms. */
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value; throws naming `what` after the timeout. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 500 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}` +
          (lastError ? ` (last error: ${(lastError as Error).message})` : ''),
      );
    }
    await sleep(intervalMs);
  }
}

/** One search (no polling). */
export async function searchUserTasks(rest: CamundaRestClient, query: UserTaskQuery): Promise<UserTaskSummary[]> {
  const res = await rest.searchUserTasks({
    filter: {
      processInstanceKey: query.processInstanceKey,
      ...(query.state ? { state: query.state } : {}),
      ...(query.elementId ? { elementId: query.elementId } : {}),
    },
  });
  return res.items.map((t) => {
    const raw = t as typeof t & { formKey?: string | number; processInstanceKey?: string | number };
    return {
      userTaskKey: String(t.userTaskKey),
      state: t.state,
      elementId: t.elementId,
      name: t.name,
      assignee: t.assignee ?? undefined,
      candidateGroups: t.candidateGroups ?? [],
      candidateUsers: t.candidateUsers ?? [],
      processInstanceKey: String(raw.processInstanceKey ?? query.processInstanceKey),
      processDefinitionId: t.processDefinitionId,
      formKey: raw.formKey === undefined || raw.formKey === null ? undefined : String(raw.formKey),
    };
  });
}

/** Waits until the process instance has at least one user task matching `query` (default state CREATED). */
export async function waitForUserTask(rest: CamundaRestClient, query: UserTaskQuery, options?: PollOptions): Promise<UserTaskSummary> {
  const q = { state: 'CREATED' as const, ...query };
  return pollUntil(
    `a ${q.state} user task${q.elementId ? ` ${q.elementId}` : ''} in process instance ${q.processInstanceKey}`,
    async () => (await searchUserTasks(rest, q))[0],
    options,
  );
}

/** Outcome of a call made as a user: success, or the engine's refusal (status + problem detail). */
export interface ActAsResult {
  ok: boolean;
  status: number;
  /** RFC 7807 problem detail on failure (title, detail). */
  problem?: { title?: string; detail?: string; status?: number };
  response: RestResponse;
}

function outcome(r: RestResponse): ActAsResult {
  return {
    ok: r.ok,
    status: r.status,
    problem: r.ok ? undefined : (r.body as ActAsResult['problem']) ?? { detail: r.text },
    response: r,
  };
}

/** `POST /v2/user-tasks/{key}/assignment` as `user` (e.g. claim: assignee = the user). */
export async function assignUserTaskAs(
  restAddress: string,
  user: Credentials,
  userTaskKey: string,
  assignee: string,
  allowOverride = false,
): Promise<ActAsResult> {
  return outcome(
    await restCall(restAddress, user, 'POST', `/v2/user-tasks/${encodeURIComponent(userTaskKey)}/assignment`, {
      assignee,
      allowOverride,
    }),
  );
}

/** `POST /v2/user-tasks/{key}/completion` as `user`, with `variables`. */
export async function completeUserTaskAs(
  restAddress: string,
  user: Credentials,
  userTaskKey: string,
  variables: Record<string, unknown> = {},
): Promise<ActAsResult> {
  return outcome(
    await restCall(restAddress, user, 'POST', `/v2/user-tasks/${encodeURIComponent(userTaskKey)}/completion`, { variables }),
  );
}

/** Waits until the process instance reaches `state` (searches lag: polls). */
export async function waitForProcessInstanceState(
  rest: CamundaRestClient,
  processInstanceKey: string,
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED',
  options?: PollOptions,
): Promise<void> {
  await pollUntil(
    `process instance ${processInstanceKey} to be ${state}`,
    async () => {
      const res = await rest.searchProcessInstances({ filter: { processInstanceKey } });
      return res.items[0]?.state === state ? true : undefined;
    },
    options,
  );
}

/** The process instance's variables (root scope and below), parsed from their JSON values. */
export async function processInstanceVariables(rest: CamundaRestClient, processInstanceKey: string): Promise<Record<string, unknown>> {
  const res = await rest.searchVariables({ filter: { processInstanceKey }, page: { from: 0, limit: 1000 } });
  const vars: Record<string, unknown> = {};
  for (const v of res.items) {
    // Root-scope variables have scopeKey = processInstanceKey; prefer them over local ones.
    if (v.name in vars && String(v.scopeKey) !== processInstanceKey) continue;
    try {
      vars[v.name] = JSON.parse(v.value);
    } catch {
      vars[v.name] = v.value;
    }
  }
  return vars;
}
