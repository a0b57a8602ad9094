/**
 * Fault points (issue 15.1): the places in the worker runtime where a crash does the most harm —
 * an effect committed but its job not yet completed, or a transaction with its change written
 * but not yet committed. The fault suite (test/faults) arms one in a worker process it starts,
 * waits until that process stops there, and SIGKILLs it, so the crash hits exactly that moment.
 *
 * Off unless armed: nothing in the application arms a point, and an unarmed `faultPoint` is one
 * comparison. Only the fault suite's worker program (test/faults/support/worker-main.ts) arms
 * one, when its environment says so (WPKI_FAULT_POINT).
 */

/** Where a fault point sits. */
export type FaultPointName =
  /** A job's handler has returned (its effect is committed); the engine has not been told yet. */
  | 'before-complete'
  /** Inside `applyOnce`: the effect has run in its transaction; the transaction has not committed. */
  | 'in-transaction';

interface Armed {
  point: FaultPointName;
  /** The job type (before-complete) or effect kind (in-transaction) it stops for. */
  subject: string;
  /** Told once when the point is reached (the test waits for it, then kills the process). */
  onReached: (what: string) => void;
}

let armed: Armed | undefined;
let reached = false;

/** Arms one fault point: the first time the process gets there, it stops there for good. */
export function armFaultPoint(point: FaultPointName, subject: string, onReached: (what: string) => void): void {
  armed = { point, subject, onReached };
  reached = false;
}

/**
 * Passes at once unless this point is armed for `subject`; then it says so and never resolves
 * (the process is about to be killed). Once a point was reached, every later fault point of any
 * kind stops too: nothing that happens after the "crash" may reach the engine or the database.
 */
export function faultPoint(point: FaultPointName, subject: string): Promise<void> {
  if (!armed) return Promise.resolve();
  if (reached || (armed.point === point && armed.subject === subject)) {
    if (!reached) {
      reached = true;
      armed.onReached(`${point} ${subject}`);
    }
    return new Promise<void>(() => undefined);
  }
  return Promise.resolve();
}
