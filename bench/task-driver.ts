/**
 * The benchmark's user-task driver: completes every open user task of one process as its
 * requester, the way a person does in Tasklist ("Assign to me", then "Complete task") and the
 * way the engine suites do (test/support/task-driver.ts): it finds tasks with the REST v2 search
 * and claims and completes each through the engine API (Tasklist's API on 8.6).
 *
 * One search per round asks for every CREATED task of the process, all pages (issue 14: with
 * the first page only, tasks the search still showed as CREATED after their completion hid the
 * open ones once a run had more than a page of them). A task completed here is remembered until
 * the search stops listing it, so the memory it takes stays bounded by what the index lags.
 *
 * It also measures where a user task's time goes (the profile in the README): from its creation
 * in the engine to the driver finding it, the claim and the completion calls, and how many
 * completed tasks the search still listed as open.
 */
import type { Credentials } from '../src/engine/rest';
import { USER_TASK_PAGE, type EngineApi } from '../src/engine/engine-api';

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

/** n, p50, p95, p99 of `values` (rounded to ms). */
export function summary(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: Math.round(pct(s, 50)), p95: Math.round(pct(s, 95)), p99: Math.round(pct(s, 99)) };
}

export interface DriverStats {
  completed: number;
  failures: number;
  /** Engine's creation of the task → the driver's search found it. */
  createdToFoundMs: Summary;
  /** Found → claim call started (waiting for a free slot among `parallel`). */
  queuedMs: Summary;
  claimMs: Summary;
  completeMs: Summary;
  /** One search round (all pages). */
  searchMs: Summary;
  /** The most pages one round read. */
  maxPages: number;
  /** The most tasks one round listed as CREATED though this driver had completed them. */
  maxStale: number;
}

export interface DriverOptions {
  api: EngineApi;
  /** The BPMN process id whose user tasks are driven. */
  processDefinitionId: string;
  /** Who claims and completes. */
  user: Credentials;
  /** The variables a task of `elementId` is completed with. */
  variablesFor: (elementId: string) => Record<string, unknown>;
  /** Claim-and-complete sequences at once (default 8). */
  parallel?: number;
  /** Pause between search rounds (default 250 ms). */
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface Driver {
  stats(): DriverStats;
  stop(): Promise<void>;
}

export function startTaskDriver({ api, processDefinitionId, user, variablesFor, parallel = 8, intervalMs = 250, log = console.log }: DriverOptions): Driver {
  /** Completed here; dropped once the search no longer lists them. */
  const done = new Set<string>();
  /** Queued or being claimed/completed. */
  const busy = new Set<string>();
  const queue: Array<{ key: string; elementId: string; foundAt: number }> = [];
  const t = { createdToFound: [] as number[], queued: [] as number[], claim: [] as number[], complete: [] as number[], search: [] as number[] };
  let completed = 0;
  let failures = 0;
  let maxPages = 0;
  let maxStale = 0;
  let running = 0;
  let stopped = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const pump = (): void => {
    while (running < parallel && queue.length) {
      const task = queue.shift()!;
      running++;
      void (async () => {
        try {
          const t0 = performance.now();
          t.queued.push(t0 - task.foundAt);
          const claimed = await api.assignUserTaskAs(user, task.key, user.username);
          if (!claimed.ok) throw new Error(`claim ${claimed.status} ${claimed.detail}`);
          const t1 = performance.now();
          t.claim.push(t1 - t0);
          const r = await api.completeUserTaskAs(user, task.key, variablesFor(task.elementId));
          if (!r.ok) throw new Error(`complete ${r.status} ${r.detail}`);
          t.complete.push(performance.now() - t1);
          done.add(task.key);
          completed++;
        } catch (err) {
          failures++;
          if (failures <= 5) log(`    driver: ${task.elementId} ${task.key}: ${(err as Error).message}`);
        } finally {
          busy.delete(task.key);
          running--;
          pump();
        }
      })();
    }
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        const t0 = performance.now();
        const open = await api.searchUserTasks({ state: 'CREATED', processDefinitionId });
        const now = performance.now();
        t.search.push(now - t0);
        const listed = new Set<string>();
        let stale = 0;
        for (const task of open) {
          listed.add(task.userTaskKey);
          if (done.has(task.userTaskKey)) {
            stale++;
            continue;
          }
          if (busy.has(task.userTaskKey)) continue;
          busy.add(task.userTaskKey);
          queue.push({ key: task.userTaskKey, elementId: task.elementId, foundAt: now });
          if (task.creationDate) t.createdToFound.push(Date.now() - Date.parse(task.creationDate));
        }
        // Every CREATED task was read (all pages): one no longer listed has left the index's open set.
        for (const key of done) if (!listed.has(key)) done.delete(key);
        maxStale = Math.max(maxStale, stale);
        maxPages = Math.max(maxPages, Math.ceil(open.length / USER_TASK_PAGE) || 1);
        pump();
      } catch (err) {
        failures++;
        log(`    driver: search: ${(err as Error).message}`);
      }
      await sleep(intervalMs);
    }
  })();

  return {
    stats: () => ({
      completed,
      failures,
      createdToFoundMs: summary(t.createdToFound),
      queuedMs: summary(t.queued),
      claimMs: summary(t.claim),
      completeMs: summary(t.complete),
      searchMs: summary(t.search),
      maxPages,
      maxStale,
    }),
    stop: async () => {
      stopped = true;
      await loop;
      while (running > 0) await sleep(50);
    },
  };
}
