/**
 * A use case refused at its first step (disabled by an admin, the object in the wrong state) is
 * written to the object's history (issue 18.8): whoever looks at the object sees that and why the
 * use case they started did not happen, not only a variable in the process. The history row keeps
 * the state as it was; the BPMN error then goes on to the model as before.
 */
import type { Pool } from 'pg';
import { recordAudit } from '../src/store/audit';
import { applyOnce } from '../src/store/effects';
import { DomainError } from '../src/domain/errors';
import { BpmnError, type JobInfo } from './runtime';

const TABLE = { certificate: 'certificates', card: 'cards', 'certificate profile': 'certificate_profiles', asset: 'assets' } as const;

/** Refusals an operator can act on; NOT_FOUND too (an unknown profile is a refusal, not an incident: issue 18.8). */
const REFUSALS = new Set(['STATE_CONFLICT', 'USE_CASE_DISABLED', 'NOT_FOUND']);

export interface RefusalTarget {
  objectType: keyof typeof TABLE;
  objectId: number;
  /** The use case's operator name, as the history shows it. */
  label: string;
}

/** Runs `step`; a refusal it throws is written to the history of each target that exists, then rethrown. */
export async function withRefusalOnHistory<T>(pool: Pool, job: JobInfo, targets: RefusalTarget | RefusalTarget[], actor: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const code = err instanceof BpmnError || err instanceof DomainError ? err.code : undefined;
    if (code && REFUSALS.has(code)) {
      await applyOnce(pool, `${job.key}:refused`, 'use-case.refused', async (tx) => {
        for (const target of Array.isArray(targets) ? targets : [targets]) {
          const { rows } = await tx.query<{ state: string }>(`SELECT state FROM ${TABLE[target.objectType]} WHERE id = $1`, [target.objectId]);
          const state = rows[0]?.state;
          if (state !== undefined) {
            await recordAudit(tx, {
              objectType: target.objectType,
              objectId: target.objectId,
              fromState: state,
              toState: state,
              actor,
              processInstanceKey: job.processInstanceKey,
              reason: `${target.label} refused: ${(err as Error).message}`.slice(0, 2000),
            });
          }
        }
        return null;
      });
    }
    throw err;
  }
}
