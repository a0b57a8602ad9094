/**
 * Typed errors of the domain. Each has a stable `code`; the API maps codes to HTTP statuses
 * and workers map business codes to BPMN errors.
 */

export const ErrorCode = {
  STATE_CONFLICT: 'STATE_CONFLICT',
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  GONE: 'GONE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every expected, typed failure: a business outcome, not a crash. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A transition the state machine refuses, or one that lost a race: names the object, the
 * state it is in and the state that was asked for.
 */
export class StateConflictError extends DomainError {
  constructor(
    readonly objectType: string,
    readonly objectId: string | number,
    readonly currentState: string,
    readonly requestedState: string,
  ) {
    super(
      ErrorCode.STATE_CONFLICT,
      `${objectType} ${objectId} is in state '${currentState}' and cannot change to '${requestedState}'`,
    );
  }
}

/** Input that breaks a rule of the edge it crossed; `issues` lists every problem found. */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly issues: string[] = [message],
  ) {
    super(ErrorCode.VALIDATION, message);
  }
}

export class NotFoundError extends DomainError {
  /** `hint` says what does exist, e.g. the valid names. */
  constructor(
    readonly objectType: string,
    readonly objectId: string | number,
    hint?: string,
  ) {
    super(ErrorCode.NOT_FOUND, `${objectType} ${objectId} does not exist${hint ? `; ${hint}` : ''}`);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(ErrorCode.FORBIDDEN, message);
  }
}

/** Something that existed once and is gone for good (a used or expired one-time link). */
export class GoneError extends DomainError {
  constructor(message: string) {
    super(ErrorCode.GONE, message);
  }
}

/** A use case that cannot start on an object now (its state, an admin's switch, its card type). */
export class UseCaseUnavailableError extends DomainError {
  constructor(
    readonly useCase: string,
    readonly reason: string,
  ) {
    super(ErrorCode.STATE_CONFLICT, reason);
  }
}
