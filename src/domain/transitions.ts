/** Pure checks of a state machine: which moves are allowed, and a typed refusal when not. */
import { StateConflictError, ValidationError } from './errors';
import type { StateMachine } from './states';

export function isState<S extends string>(m: StateMachine<S>, value: string): value is S {
  return (m.states as readonly string[]).includes(value);
}

/** The refusal of a value that is not a state of `m`: "'X' is not an asset state (one of: ...)". */
export function notAStateError(m: StateMachine<string>, value: string): ValidationError {
  const article = /^[aeiou]/i.test(m.object) ? 'an' : 'a';
  return new ValidationError(`'${value}' is not ${article} ${m.object} state (one of: ${m.states.join(', ')})`);
}

export function canTransition<S extends string>(m: StateMachine<S>, from: S, to: S): boolean {
  return (m.transitions[from] ?? []).includes(to);
}

/** States reachable in one step from `from` (empty for a final state). */
export function nextStates<S extends string>(m: StateMachine<S>, from: S): readonly S[] {
  return m.transitions[from] ?? [];
}

/**
 * Checks the move `from` -> `to` of object `id`.
 * @throws ValidationError when `to` is not a state of the machine at all
 * @throws StateConflictError when the machine does not allow the move
 */
export function assertTransition<S extends string>(m: StateMachine<S>, id: string | number, from: S, to: string): S {
  if (!isState(m, to)) {
    throw notAStateError(m, to);
  }
  if (!canTransition(m, from, to)) throw new StateConflictError(m.object, id, from, to);
  return to;
}

/** Checks that an object may be created in state `state`. */
export function assertInitial<S extends string>(m: StateMachine<S>, state: string): S {
  if (!isState(m, state) || !m.initial.includes(state)) {
    throw new ValidationError(`a new ${m.object} cannot start in state '${state}' (allowed: ${m.initial.join(', ')})`);
  }
  return state;
}
