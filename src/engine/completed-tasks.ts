/**
 * Who completed a user task, read from the engine (the "Check decision" task's source): the
 * assignee of the newest completed instance of the task in the process instance. Searches read
 * the engine's secondary storage, which lags a few seconds, so it waits until no instance of the
 * task is still open there — the process has moved on, so the index will catch up — and
 * fails (the job is retried) when it does not within the wait.
 */
import type { CompletedTaskSource } from '../../workers/approval';
import type { EngineApi } from './engine-api';
import { pollUntil } from './user-tasks';

export function createCompletedTaskSource(engine: () => Promise<EngineApi>, waitMs = 30_000): CompletedTaskSource {
  return {
    async lastCompleted(processInstanceKey, elementId) {
      const api = await engine();
      return pollUntil(
        `the completed task ${elementId} of process instance ${processInstanceKey} in the engine's search`,
        async () => {
          const tasks = await api.searchUserTasks({ processInstanceKey, elementId });
          if (tasks.some((t) => t.state === 'CREATED')) return undefined;
          const done = tasks
            .filter((t) => t.state === 'COMPLETED')
            .sort((a, b) => (BigInt(b.userTaskKey) > BigInt(a.userTaskKey) ? 1 : -1));
          const last = done[0];
          return last ? { userTaskKey: last.userTaskKey, completedBy: last.assignee } : undefined;
        },
        { timeoutMs: waitMs, intervalMs: 500 },
      );
    },
  };
}
