/**
 * Driving a process's user tasks as people do in Tasklist ("Assign to me", then complete), for
 * the engine suites: one place for what three suites did alike.
 */
import { expect } from 'chai';
import { demoUser } from '../../src/engine/identity';
import { pollUntil, waitForUserTask } from '../../src/engine/user-tasks';
import type { TestEngine } from './engine';

/** A demo user's credentials. */
export const creds = (username: string) => ({ username, password: demoUser(username).password });

export interface TaskDriver {
  /** Claims the open task `elementId` of the instance as `user` and completes it with `variables`. */
  complete(processInstanceKey: string, elementId: string, user: string, variables: Record<string, unknown>): Promise<void>;
  /** The instance of `processId` that `parent` called, once it runs. */
  child(parent: string, processId: string): Promise<string>;
}

/** `engine` is read when a method runs (suites get their engine in `before`). */
export function taskDriver(engine: () => TestEngine): TaskDriver {
  // Tasks completed here: the engine's search may show them as open for a moment.
  const completedTasks = new Set<string>();
  return {
    async complete(processInstanceKey, elementId, user, variables) {
      const { api } = engine();
      const task = await waitForUserTask(api, { processInstanceKey, state: 'CREATED', elementId, except: completedTasks });
      const claimed = await api.assignUserTaskAs(creds(user), task.userTaskKey, user);
      expect(claimed.ok, `${user} could not claim ${elementId}: ${claimed.status} ${claimed.detail}`).to.equal(true);
      const done = await api.completeUserTaskAs(creds(user), task.userTaskKey, variables);
      expect(done.ok, String(done.detail)).to.equal(true);
      completedTasks.add(task.userTaskKey);
    },
    child(parent, processId) {
      return pollUntil(`${processId} under ${parent}`, async () => {
        const r = (await engine().api.searchProcessInstances({ parentProcessInstanceKey: parent })).filter((p) => p.processDefinitionId === processId);
        return r[0]?.processInstanceKey;
      });
    },
  };
}
