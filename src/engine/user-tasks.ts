/**
 * Waiting on the engine: its searches read the secondary storage, which lags the engine a few
 * seconds, so these poll (engine-api.ts does the searches for whichever engine runs).
 */
import type { EngineApi, ProcessInstanceState, UserTaskQuery, UserTaskSummary } from './engine-api';

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

/**
 * Waits until the process instance has a user task matching `query` (default state CREATED).
 * `except`: keys of tasks already completed — the search may still show them as CREATED.
 */
export async function waitForUserTask(
  api: EngineApi,
  query: UserTaskQuery & { processInstanceKey: string; except?: ReadonlySet<string> },
  options?: PollOptions,
): Promise<UserTaskSummary> {
  const { except, ...rest } = query;
  const q = { state: 'CREATED' as const, ...rest };
  return pollUntil(
    `a ${q.state} user task${q.elementId ? ` ${q.elementId}` : ''} in process instance ${q.processInstanceKey}`,
    async () => (await api.searchUserTasks(q)).find((t) => !except?.has(t.userTaskKey)),
    options,
  );
}

/** Waits until the process instance reaches `state`. */
export async function waitForProcessInstanceState(api: EngineApi, processInstanceKey: string, state: ProcessInstanceState, options?: PollOptions): Promise<void> {
  await pollUntil(
    `process instance ${processInstanceKey} to be ${state}`,
    async () => ((await api.searchProcessInstances({ processInstanceKey }))[0]?.state === state ? true : undefined),
    options,
  );
}

/** The process instance's variables, parsed from their JSON values (root scope wins over local ones). */
export async function processInstanceVariables(api: EngineApi, processInstanceKey: string): Promise<Record<string, unknown>> {
  const vars: Record<string, unknown> = {};
  for (const v of await api.variables(processInstanceKey)) {
    if (v.name in vars && v.scopeKey !== processInstanceKey) continue;
    try {
      vars[v.name] = JSON.parse(v.value);
    } catch {
      vars[v.name] = v.value;
    }
  }
  return vars;
}

/** Waits until the process instance's variables include every name in `names` (variables are imported separately from state). */
export async function waitForVariables(api: EngineApi, processInstanceKey: string, names: string[], options?: PollOptions): Promise<Record<string, unknown>> {
  return pollUntil(
    `variables ${names.join(', ')} of process instance ${processInstanceKey}`,
    async () => {
      const vars = await processInstanceVariables(api, processInstanceKey);
      return names.every((n) => n in vars) ? vars : undefined;
    },
    options,
  );
}

/** Every variable of a process instance and of all instances it called (the secret scan reads these). */
export async function instanceTreeVariables(api: EngineApi, processInstanceKey: string): Promise<Array<{ processInstanceKey: string; name: string; value: string }>> {
  const out: Array<{ processInstanceKey: string; name: string; value: string }> = [];
  const queue = [processInstanceKey];
  while (queue.length > 0) {
    const key = queue.shift()!;
    for (const v of await api.variables(key)) out.push({ processInstanceKey: key, name: v.name, value: v.value });
    for (const child of await api.searchProcessInstances({ parentProcessInstanceKey: key })) queue.push(child.processInstanceKey);
  }
  return out;
}
