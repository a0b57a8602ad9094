/**
 * How a worker handler meets a Zeebe job. A handler is `(variables, job) => outputs`, its
 * input and output validated at the edge with zod. The job then ends in one of three ways:
 * - complete(outputs);
 * - error(code): a business outcome (DomainError / BpmnError) the model catches;
 * - fail(retries - 1, backoff): a technical failure, retried, then an incident. Input that does
 *   not match the schema is a modelling error no retry can fix: it fails with 0 retries at once.
 */
import { z } from 'zod';
import { DomainError } from '../src/domain/errors';

/** BPMN error codes thrown by workers; each matches an `<bpmn:error errorCode>` in the models. */
export const BpmnErrorCode = {
  STATE_CONFLICT: 'STATE_CONFLICT',
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  REASON_REQUIRED: 'REASON_REQUIRED',
  USE_CASE_DISABLED: 'USE_CASE_DISABLED',
  /** The CA refused the request (bad CSR, DNS outside the policy, ...); `caErrorCode` says which. */
  CA_REFUSED: 'CA_REFUSED',
} as const;
export type BpmnErrorCode = (typeof BpmnErrorCode)[keyof typeof BpmnErrorCode];

/** A business outcome of a job, raised in the process as a BPMN error with this code. */
export class BpmnError extends Error {
  constructor(
    readonly code: BpmnErrorCode,
    message: string,
    readonly variables: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'BpmnError';
  }
}

/** What a handler knows of its job: keys for idempotency and audit. */
export interface JobInfo {
  key: string;
  type: string;
  processInstanceKey: string;
  elementInstanceKey: string;
  bpmnProcessId: string;
  retries: number;
  customHeaders: Readonly<Record<string, unknown>>;
}

export interface JobHandlerDefinition<I extends z.ZodType, O extends z.ZodType> {
  /** The job type, as in `<zeebe:taskDefinition type>`. */
  type: string;
  input: I;
  output: O;
  handle(variables: z.output<I>, job: JobInfo): Promise<z.input<O>>;
  /** Job timeout; default 30 s. */
  timeoutMs?: number;
  /**
   * The variables a person sets in the form of the user task before this job (issue 15.7): a
   * value of theirs the job cannot use is their mistake, not the model's. Tasklist's form checks
   * them, but anything that completes the task (REST, a form changed in Modeler) may send others.
   */
  formFields?: readonly string[];
  /**
   * The BPMN error the model catches after this job to send the person back to the form with the
   * reason (`errorMessage`). Without one, such a job fails at once (incident) saying which field
   * and how to fix it, instead of blaming the model's input mappings.
   */
  formRefusal?: BpmnErrorCode;
  /**
   * A user task listener: the output is the listener's verdict ({ denied, deniedReason }),
   * reported as the job's result so the engine allows or denies the task's transition.
   */
  listener?: boolean;
}

/** What a user task listener says of the transition it was asked about. */
export const listenerVerdict = z.union([
  z.object({ denied: z.literal(false) }),
  z.object({ denied: z.literal(true), deniedReason: z.string().min(1) }),
]);
export type ListenerVerdict = z.infer<typeof listenerVerdict>;

// Handlers of any shape, as a family exports them.
export type AnyJobHandler = JobHandlerDefinition<z.ZodType, z.ZodType>;

/**
 * Declares a handler, typed by its schemas where it is written; the result is the erased form
 * the registry takes (runHandler validates input and output at run time, so nothing is lost).
 */
export function defineHandler<I extends z.ZodType, O extends z.ZodType>(def: JobHandlerDefinition<I, O>): AnyJobHandler {
  return def as unknown as AnyJobHandler;
}

/** The outcome to report to the engine. */
export type JobOutcome =
  | { kind: 'complete'; variables: Record<string, unknown> }
  | { kind: 'verdict'; verdict: ListenerVerdict }
  | { kind: 'error'; errorCode: string; errorMessage: string; variables: Record<string, unknown> }
  | { kind: 'fail'; errorMessage: string; retries: number; retryBackOffMs: number };

/** Backoff before retry n (1, 2, 3 ...): 2 s, 4 s, 8 s ... capped at 60 s. */
export function retryBackOffMs(retriesLeft: number, initialRetries = 3): number {
  const attempt = Math.max(1, initialRetries - retriesLeft + 1);
  return Math.min(60_000, 1000 * 2 ** attempt);
}

function describeIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(variables)'}: ${i.message}`).join('; ');
}

/** Error codes of a PostgreSQL that is down, starting, shutting down or unreachable. */
const DATABASE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

/**
 * A technical failure in words that say what to fix: an unreachable database names itself
 * (otherwise the incident only says "connect ECONNREFUSED 127.0.0.1:5432", issue 15.3).
 */
export function describeFailure(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = e?.message ?? String(err);
  if ((e?.code && DATABASE_DOWN.has(e.code)) || /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return `the database (PostgreSQL, DATABASE_URL) cannot be reached: ${message}. Fix: start the database or fix its address, then retry the job (Operate: resolve the incident)`;
  }
  return message;
}

/** Issues of form fields in the words of the form: which field, and what is wrong with it. */
function describeFormIssues(e: z.ZodError): string {
  return e.issues
    .map((i) => {
      const field = i.path.join('.');
      return /received (null|undefined)$/.test(i.message) ? `${field} is missing: fill it in` : `${field}: ${i.message}`;
    })
    .join('; ');
}

/** Runs `def` on a job's variables and decides the job's outcome. Never throws. */
export async function runHandler(def: AnyJobHandler, variables: unknown, job: JobInfo): Promise<JobOutcome> {
  const input = def.input.safeParse(variables);
  if (!input.success && def.formFields && input.error.issues.every((i) => def.formFields!.includes(String(i.path[0])))) {
    const what = describeFormIssues(input.error);
    if (def.formRefusal) return { kind: 'error', errorCode: def.formRefusal, errorMessage: what, variables: { errorMessage: what } };
    return {
      kind: 'fail',
      retries: 0,
      retryBackOffMs: 0,
      errorMessage:
        `job ${def.type}: the form before it was completed with a value it cannot use — ${what}. Nothing was changed. ` +
        'Fix: set that variable to a valid value in Operate and retry this job, or cancel the instance',
    };
  }
  if (!input.success) {
    return {
      kind: 'fail',
      retries: 0,
      retryBackOffMs: 0,
      errorMessage: `job ${def.type} got variables it cannot use — fix the process model's input mappings: ${describeIssues(input.error)}`,
    };
  }
  let result: unknown;
  try {
    result = await def.handle(input.data, job);
  } catch (err) {
    if (err instanceof BpmnError) {
      return { kind: 'error', errorCode: err.code, errorMessage: err.message, variables: { errorMessage: err.message, ...err.variables } };
    }
    if (err instanceof DomainError) {
      return { kind: 'error', errorCode: err.code, errorMessage: err.message, variables: { errorMessage: err.message } };
    }
    const retries = Math.max(0, job.retries - 1);
    return {
      kind: 'fail',
      retries,
      retryBackOffMs: retries > 0 ? retryBackOffMs(retries) : 0,
      errorMessage: `${def.type} failed: ${describeFailure(err)}`,
    };
  }
  const output = def.output.safeParse(result);
  if (!output.success) {
    return { kind: 'fail', retries: 0, retryBackOffMs: 0, errorMessage: `${def.type} produced invalid output (a bug): ${describeIssues(output.error)}` };
  }
  if (def.listener) return { kind: 'verdict', verdict: listenerVerdict.parse(output.data) };
  return { kind: 'complete', variables: output.data as Record<string, unknown> };
}
