/**
 * Applies a state transition atomically: the machine must allow it, the UPDATE is conditioned
 * on the state read (so of two concurrent transitions from the same state exactly one wins),
 * and the audit row is written in the same transaction.
 */
import { NotFoundError, StateConflictError } from '../domain/errors';
import type { StateMachine } from '../domain/states';
import { assertTransition, isState } from '../domain/transitions';
import { recordAudit } from './audit';
import { atomically, type Queryable } from './db';
import { parseInput, transitionContext, type TransitionContext } from './validate';

export interface TransitionSpec<S extends string> {
  table: string;
  machine: StateMachine<S>;
  id: number;
  to: string;
  ctx: TransitionContext;
  /** Further columns set with the state (names come from the repository, never from input). */
  set?: Record<string, unknown>;
}

/** Returns the updated row's id; throws NotFoundError, ValidationError or StateConflictError. */
export async function applyTransition<S extends string>(q: Queryable, spec: TransitionSpec<S>): Promise<number> {
  const ctx = parseInput(transitionContext, spec.ctx, 'transition context');
  const { table, machine, id } = spec;
  return atomically(q, async (tx) => {
    const current = await tx.query<{ state: string }>(`SELECT state FROM ${table} WHERE id = $1`, [id]);
    const from = current.rows[0]?.state;
    if (from === undefined) throw new NotFoundError(machine.object, id);
    if (!isState(machine, from)) throw new Error(`${machine.object} ${id} has unknown state '${from}' in the store`);
    const to = assertTransition(machine, id, from, spec.to);

    const extra = Object.entries(spec.set ?? {});
    const assignments = extra.map(([col], i) => `${col} = $${i + 4}`);
    const updated = await tx.query(
      `UPDATE ${table} SET ${['state = $2', 'updated_at = now()', ...assignments].join(', ')}
        WHERE id = $1 AND state = $3`,
      [id, to, from, ...extra.map(([, v]) => v)],
    );
    if (updated.rowCount !== 1) {
      // Another transaction changed the state between our read and our update: it won.
      const now = await tx.query<{ state: string }>(`SELECT state FROM ${table} WHERE id = $1`, [id]);
      throw new StateConflictError(machine.object, id, now.rows[0]?.state ?? from, to);
    }
    await recordAudit(tx, {
      objectType: machine.object,
      objectId: id,
      fromState: from,
      toState: to,
      actor: ctx.actor,
      processInstanceKey: ctx.processInstanceKey,
      reason: ctx.reason,
    });
    return id;
  });
}

/**
 * Locks the object's row and checks that it may move to `to` now, changing nothing yet. A worker
 * calls this before an effect outside the store (the CA signing, a card command): a state that no
 * longer allows the move is refused before anything happens, and a concurrent transition waits
 * for this transaction. Returns the current state.
 * @throws NotFoundError, StateConflictError
 */
export async function lockForTransition<S extends string>(tx: Queryable, table: string, machine: StateMachine<S>, id: number, to: string): Promise<S> {
  const { rows } = await tx.query<{ state: string }>(`SELECT state FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  const from = rows[0]?.state;
  if (from === undefined) throw new NotFoundError(machine.object, id);
  if (!isState(machine, from)) throw new Error(`${machine.object} ${id} has unknown state '${from}' in the store`);
  assertTransition(machine, id, from, to);
  return from;
}

/** Records the creation of an object in its initial state. */
export async function recordCreation(
  q: Queryable,
  machine: StateMachine<string>,
  id: number,
  state: string,
  ctx: TransitionContext,
): Promise<void> {
  const c = parseInput(transitionContext, ctx, 'transition context');
  await recordAudit(q, {
    objectType: machine.object,
    objectId: id,
    fromState: null,
    toState: state,
    actor: c.actor,
    processInstanceKey: c.processInstanceKey,
    reason: c.reason,
  });
}
