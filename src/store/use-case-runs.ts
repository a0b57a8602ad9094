/**
 * One running use case per object (issue 15.6): two operators who start the same use case on the
 * same object at once get one process; the other start is refused with a reason (409).
 *
 * A start claims `(use case, object)` in `use_case_runs` before it asks the engine; the partial
 * unique index lets one claim be open at a time, so PostgreSQL decides a race, not a read done
 * by both. The claim stays open while its instance runs. Nothing in the models reports the end
 * of an instance to the store, so the next start on that object asks (`stillRunning`) and closes
 * a claim whose instance has ended; a claim whose start died half way (no instance key) is
 * closed after START_GRACE_MS.
 */
import type { Pool } from 'pg';
import { UseCaseUnavailableError } from '../domain/errors';

/** A start that recorded no instance after this long died half way (the API process stopped). */
export const START_GRACE_MS = 2 * 60_000;

/**
 * Whether the instance of an open claim still runs. Absent when there is no engine to ask (the
 * API's tests without one): then only a start under way blocks another.
 */
export type StillRunning = (processInstanceKey: string, startedAt: Date) => Promise<boolean>;

export interface UseCaseRunClaim {
  /** Records the instance the engine started for this claim. */
  started(processInstanceKey: string): Promise<void>;
  /** The engine did not start it: the claim is dropped, the object free again. */
  abandon(): Promise<void>;
}

interface OpenRun {
  id: string;
  started_by: string;
  process_instance_key: string | null;
  started_at: Date;
}

/**
 * Claims `useCase` on `objectRef` for `startedBy`, or throws UseCaseUnavailableError (409) naming
 * who runs it. `label` and `objectLabel` are for that message ("Deactivate card", "card 7").
 */
export async function claimUseCaseRun(
  pool: Pool,
  run: { useCase: string; label: string; objectRef: string; objectLabel: string; startedBy: string },
  stillRunning: StillRunning | undefined,
): Promise<UseCaseRunClaim> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await pool.query<{ id: string }>(
      `INSERT INTO use_case_runs (use_case, object_ref, started_by) VALUES ($1, $2, $3)
       ON CONFLICT (use_case, object_ref) WHERE ended_at IS NULL DO NOTHING RETURNING id`,
      [run.useCase, run.objectRef, run.startedBy],
    );
    const id = inserted.rows[0]?.id;
    if (id !== undefined) {
      return {
        started: async (processInstanceKey) => {
          await pool.query('UPDATE use_case_runs SET process_instance_key = $2 WHERE id = $1', [id, processInstanceKey]);
        },
        abandon: async () => {
          await pool.query('DELETE FROM use_case_runs WHERE id = $1', [id]);
        },
      };
    }
    const { rows } = await pool.query<OpenRun>(
      'SELECT id, started_by, process_instance_key, started_at FROM use_case_runs WHERE use_case = $1 AND object_ref = $2 AND ended_at IS NULL',
      [run.useCase, run.objectRef],
    );
    const open = rows[0];
    if (!open) continue; // ended between the two statements: claim again
    const ended = open.process_instance_key
      ? !(stillRunning && (await stillRunning(open.process_instance_key, open.started_at)))
      : Date.now() - open.started_at.getTime() > START_GRACE_MS;
    if (!ended) {
      throw new UseCaseUnavailableError(
        run.useCase,
        open.process_instance_key
          ? `${run.label} already runs on ${run.objectLabel} (process instance ${open.process_instance_key}, started by ${open.started_by}): continue that one in Tasklist, or start again when it has ended`
          : `${run.label} is being started on ${run.objectLabel} by ${open.started_by} right now: only one runs at a time`,
      );
    }
    await pool.query('UPDATE use_case_runs SET ended_at = clock_timestamp() WHERE id = $1 AND ended_at IS NULL', [open.id]);
  }
  throw new UseCaseUnavailableError(run.useCase, `${run.label} on ${run.objectLabel} is started and ended by others too quickly; try again`);
}
