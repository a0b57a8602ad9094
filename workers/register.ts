/**
 * Registers handlers as Zeebe job workers (gRPC). The handler's outcome (see runtime.ts) is
 * reported to the engine as complete, BPMN error, or fail with retries and backoff. Log lines
 * name the job and its outcome, never its variables (they may describe a person or a request).
 */
import type { Zeebe } from '@camunda8/sdk';
import { WORKER_DEFAULTS } from '../src/config';
import { faultPoint } from '../src/fault-points';
import { runHandler, type AnyJobHandler, type ListenerVerdict } from './runtime';

/** Outputs are validated plain data; a JSON round trip also turns dates into ISO strings. */
function asJson<T>(variables: Record<string, unknown>): T {
  return JSON.parse(JSON.stringify(variables)) as T;
}

export interface RegisteredWorkers {
  types: string[];
  close(): Promise<void>;
}

/**
 * Completes a user task listener's job with its verdict. The gRPC client cannot send a job
 * result, so this goes through REST v2: POST /v2/jobs/{jobKey}/completion.
 */
export type CompleteListenerJob = (jobKey: string, verdict: ListenerVerdict) => Promise<void>;

export interface WorkerOptions {
  /**
   * Jobs of one type held at once (`config.workers.maxJobsActive`, WORKER_MAX_JOBS_ACTIVE);
   * keep it below the workers' pool size (issue 17.1). Default WORKER_MAX_JOBS_ACTIVE's.
   */
  maxJobsActive?: number;
  /**
   * Told, once the engine has acknowledged a job's outcome, how long the job took from its
   * arrival at this worker (activation) to that acknowledgement (bench/e2e.ts measures with it).
   */
  onJobDone?: (type: string, outcome: 'complete' | 'verdict' | 'error' | 'fail', ms: number) => void;
  /** Where the SDK's own worker log lines go (src/engine/client.ts `workerLog`); the SDK prints them to the console otherwise. */
  sdkLog?: { debug: (m: string) => void; info: (m: string) => void; error: (m: string) => void };
  /**
   * The backoff before a failed job's next attempt, given the retries it has left; default
   * `retryBackOffMs` of workers/runtime.ts (2 s, 4 s, ... up to 60 s). The fault suite makes it short.
   */
  retryBackOff?: (retriesLeft: number) => number;
}

export function registerWorkers(
  zeebe: Zeebe.ZeebeGrpcClient,
  handlers: AnyJobHandler[],
  completeListenerJob: CompleteListenerJob,
  log: (line: string) => void = console.log,
  { maxJobsActive = WORKER_DEFAULTS.maxJobsActive, onJobDone, sdkLog, retryBackOff }: WorkerOptions = {},
): RegisteredWorkers {
  const workers = handlers.map((def) =>
    zeebe.createWorker({
      taskType: def.type,
      timeout: def.timeoutMs ?? 30_000,
      maxJobsToActivate: maxJobsActive,
      ...(sdkLog ? { stdout: sdkLog, loglevel: 'ERROR' as const } : {}),
      taskHandler: async (job) => {
        const started = performance.now();
        const outcome = await runHandler(def, job.variables, {
          key: job.key,
          type: job.type,
          processInstanceKey: job.processInstanceKey,
          elementInstanceKey: job.elementInstanceKey,
          bpmnProcessId: job.bpmnProcessId,
          retries: job.retries,
          customHeaders: job.customHeaders as Record<string, unknown>,
        });
        // A crash between the handler's committed effect and the engine's acknowledgement (test/faults).
        await faultPoint('before-complete', def.type);
        const report = async () => {
          switch (outcome.kind) {
            case 'complete':
              return job.complete(asJson<Parameters<typeof job.complete>[0]>(outcome.variables));
            case 'verdict':
              if (outcome.verdict.denied) log(`[worker] ${def.type} job ${job.key}: denied: ${outcome.verdict.deniedReason}`);
              try {
                await completeListenerJob(job.key, outcome.verdict);
                return job.forward();
              } catch (err) {
                return job.fail({ errorMessage: `${def.type} could not report its verdict: ${(err as Error).message}`, retryBackOff: 2000 });
              }
            case 'error':
              log(`[worker] ${def.type} job ${job.key}: BPMN error ${outcome.errorCode}: ${outcome.errorMessage}`);
              return job.error({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, variables: asJson<Extract<Parameters<typeof job.error>[0], object>['variables']>(outcome.variables) });
            case 'fail':
              log(`[worker] ${def.type} job ${job.key}: failed (${outcome.retries} retries left): ${outcome.errorMessage}`);
              return job.fail({
                errorMessage: outcome.errorMessage,
                retries: outcome.retries,
                retryBackOff: retryBackOff && outcome.retries > 0 ? retryBackOff(outcome.retries) : outcome.retryBackOffMs,
              });
          }
        };
        const ack = await report();
        onJobDone?.(def.type, outcome.kind, performance.now() - started);
        return ack;
      },
    }),
  );
  return {
    types: handlers.map((h) => h.type),
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
