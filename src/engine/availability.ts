/**
 * Whether the Camunda engine can be used now, watched in the background (issue 16.6): the API,
 * its CRL and CA chain come up without the engine; what needs the engine answers 503 naming
 * Camunda until it is there; the models are deployed and the job workers registered once it
 * arrives; and `/api/health` says which state it is in. The SDK's job workers poll on their own
 * and carry on when the engine goes away and comes back, so only the first arrival starts them.
 */

export type EngineState = 'STARTING' | 'UP' | 'DOWN';

export interface EngineStatus {
  state: EngineState;
  /** Where the engine is expected (REST address). */
  address: string;
  /** Why it is not UP (the check's message), or what it is. */
  detail: string;
  /** When the state last changed (ISO 8601). */
  since: string;
}

/** A route needed the engine while it was not usable: 503 (src/api/errors.ts). */
export class EngineUnavailableError extends Error {
  constructor(readonly status: EngineStatus) {
    super(`Camunda is not available at ${status.address} (${status.state.toLowerCase()}): ${status.detail}`);
    this.name = 'EngineUnavailableError';
  }
}

/** Errors that mean "nobody answered", not "the engine refused": the engine is away. */
export function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_\w+)$/.test(code)) return true;
    if (typeof message === 'string' && /fetch failed|ECONNREFUSED|ECONNRESET|socket hang up|Socket closed|other side closed|aborted due to timeout|14 UNAVAILABLE/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface EngineWatchOptions {
  address: string;
  /** Resolves when the engine is usable, throws with a message that says why not. */
  check: () => Promise<void>;
  /** Runs once, on the first successful check (deploy, workers); a failure is retried on the next check. */
  onFirstUp?: () => Promise<void>;
  /** How often the engine is checked. Default 10 s. */
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface EngineWatch {
  status(): EngineStatus;
  /** Check now (e.g. after a call found the engine away); resolves with the new status. */
  recheck(): Promise<EngineStatus>;
  /** Starts the periodic checks (after `starting` resolves, e.g. a local engine being started). */
  start(starting?: Promise<unknown>): void;
  stop(): void;
}

export function watchEngine({ address, check, onFirstUp, intervalMs = 10_000, log = () => undefined }: EngineWatchOptions): EngineWatch {
  let current: EngineStatus = { state: 'STARTING', address, detail: 'waiting for the first check', since: new Date().toISOString() };
  let arrived = false;
  let running: Promise<EngineStatus> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const set = (state: EngineState, detail: string) => {
    if (state !== current.state) {
      log(state === 'UP' ? `[engine] Camunda at ${address} is available` : `[engine] Camunda at ${address} is not available: ${detail}`);
    }
    current = { state, address, detail, since: state === current.state ? current.since : new Date().toISOString() };
  };

  const once = async (): Promise<EngineStatus> => {
    try {
      await check();
    } catch (err) {
      set('DOWN', err instanceof Error ? err.message : String(err));
      return current;
    }
    if (!arrived && onFirstUp) {
      try {
        await onFirstUp();
      } catch (err) {
        set('DOWN', `it answers, but deploying the models or starting the workers failed: ${err instanceof Error ? err.message : String(err)}`);
        return current;
      }
    }
    arrived = true;
    set('UP', 'usable');
    return current;
  };

  const recheck = () => {
    running ??= once().finally(() => {
      running = undefined;
    });
    return running;
  };

  const loop = () => {
    if (stopped) return;
    void recheck().then(() => {
      if (stopped) return;
      timer = setTimeout(loop, intervalMs);
      timer.unref();
    });
  };

  return {
    status: () => current,
    recheck,
    start(starting) {
      if (!starting) return loop();
      current = { state: 'STARTING', address, detail: 'the local engine is starting', since: current.since };
      starting.then(loop, (err: unknown) => {
        set('DOWN', err instanceof Error ? err.message : String(err));
        loop();
      });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * `call` when the engine is UP; a 503 (EngineUnavailableError) at once when it is not, and when
 * the call finds nobody answering (which also makes the watch look again).
 */
export async function whenEngineUp<T>(watch: Pick<EngineWatch, 'status' | 'recheck'>, call: () => Promise<T>): Promise<T> {
  const status = watch.status();
  if (status.state !== 'UP') throw new EngineUnavailableError(status);
  try {
    return await call();
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    const now = await watch.recheck();
    throw new EngineUnavailableError(now.state === 'UP' ? { ...now, state: 'DOWN', detail: (err as Error).message } : now);
  }
}
