/**
 * Who completed a form after the start (issue 17.11). Camunda 8.6's Tasklist lets any signed-in
 * user take over a task assigned to someone else, so the step that acts on a form's answer
 * (lock or revoke, deactivate, reactivate) asks the engine who completed it: the requester the
 * process was started for, or someone who may start the use case on the object themselves (a
 * registration authority, an admin). Anyone else is refused with FORBIDDEN — no model catches
 * it: the instance stops with an incident naming who may, and nothing has changed.
 */
import type { Pool } from 'pg';
import { ForbiddenError } from '../src/domain/errors';
import type { ObjectKind } from '../src/domain/use-cases';
import { actorFromStore, permissionToStart } from '../src/store/authorization';
import type { CompletedTaskSource } from './approval';
import type { JobInfo } from './runtime';

export interface CompletedForm {
  /** The form's user task (BPMN element id). */
  elementId: string;
  /** Its label, for the refusal. */
  label: string;
  /** The requester the process was started for. */
  requester: string;
  useCase: string;
  kind: ObjectKind;
  objectId: number;
}

export async function assertCompletedByPermitted(pool: Pool, completedTasks: CompletedTaskSource, job: JobInfo, form: CompletedForm): Promise<void> {
  const { completedBy } = await completedTasks.lastCompleted(job.processInstanceKey, form.elementId);
  if (completedBy === form.requester) return;
  if (completedBy) {
    // The completer's address is not known here: only their groups decide (registration authority, admin).
    const actor = await actorFromStore(pool, completedBy, null);
    if ((await permissionToStart(pool, actor, form.useCase, form.kind, form.objectId)).allowed) return;
  }
  throw new ForbiddenError(
    `${completedBy ?? 'nobody (unassigned)'} completed "${form.label}" of ${form.requester}'s ${form.useCase}: only the requester, a registration authority or an admin may; nothing changed`,
  );
}
