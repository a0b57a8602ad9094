/**
 * How a request ends (spec 000; issue 18.5): Completed when the use case it approved was carried
 * out, Failed (with the reason) when it could not be. A lock or a deactivation carries its
 * request's id once it was approved; without approval there is no request and nothing to do.
 */
import type { Pool } from 'pg';
import type { Queryable } from '../src/store/db';
import { applyOnce } from '../src/store/effects';
import { getRequest, transitionRequest } from '../src/store/requests';
import { BpmnError, type JobInfo } from './runtime';

interface Context {
  actor: string;
  processInstanceKey: string;
}

/** In the transaction that carried the request out: Approved becomes Completed. */
export async function completeApprovedRequest(tx: Queryable, requestId: number | null | undefined, ctx: Context, what: string): Promise<void> {
  if (!requestId) return;
  const r = await getRequest(tx, requestId);
  if (r.state === 'Approved') await transitionRequest(tx, r.id, 'Completed', { ...ctx, reason: `${what} carried out` });
}

/**
 * Runs the step that carries the request out. A business refusal (a BPMN error: the object
 * changed meanwhile, the CA refuses) makes the request Failed with the refusal as its reason,
 * once, then goes on to the model as before. A technical failure leaves the request as it is:
 * the job is retried.
 */
export async function carryOutRequest<T>(
  pool: Pool,
  requestId: number | null | undefined,
  job: JobInfo,
  actor: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (requestId && err instanceof BpmnError) {
      await applyOnce(pool, `${job.key}:request-failed`, 'request.fail', async (tx) => {
        const r = await getRequest(tx, requestId);
        if (r.state === 'Registered' || r.state === 'Requested' || r.state === 'Approved') {
          await transitionRequest(tx, r.id, 'Failed', { actor, processInstanceKey: job.processInstanceKey, reason: err.message }, { failureReason: err.message.slice(0, 2000) });
        }
        return null;
      });
    }
    throw err;
  }
}
