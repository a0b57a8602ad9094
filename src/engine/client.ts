/**
 * The one Camunda client of the application, configured from `loadConfig()`:
 * REST API v2 (deployments, process instances, searches) and gRPC (job workers).
 */
import { Camunda8, type CamundaRestClient, type Zeebe } from '@camunda8/sdk';
import type { Config } from '../config';

/** The SDK's job worker log sink (it receives JSON lines); see `sdkLogSinks`. */
export interface WorkerLogSink {
  debug: (message: string) => void;
  info: (message: string) => void;
  error: (message: string) => void;
}

/** What the SDK appends to the message of a failed REST call; the user cannot read `error.source`. */
const ENHANCED_STACK = /\.? ?Enhanced stack trace available as error\.source\.?/g;

/** An SDK error's message without its notes to developers. */
export function sdkMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(ENHANCED_STACK, '').trim();
}

/**
 * The SDK's own logging through the application's `log` (issue 16.12): its chatter (channel
 * opened and closed, workers polling) is dropped; its errors are written once a minute at most
 * per message, as `[zeebe] ...` or `[camunda-sdk] ...` — an engine away makes every worker say
 * the same thing at every retry, and the engine's state is reported by the watch anyway.
 */
export function sdkLogSinks(log: (line: string) => void, now: () => number = Date.now) {
  const lastSaid = new Map<string, number>();
  const once = (line: string) => {
    const at = lastSaid.get(line);
    if (at !== undefined && now() - at < 60_000) return;
    if (lastSaid.size > 1000) lastSaid.clear();
    lastSaid.set(line, now());
    log(line);
  };
  const text = (m: unknown): string => (typeof m === 'string' ? m : JSON.stringify(m));
  const fromJson = (line: string): string => {
    try {
      const parsed = JSON.parse(line) as { message?: unknown; taskType?: string };
      return `${parsed.taskType ? `${parsed.taskType}: ` : ''}${text(parsed.message)}`;
    } catch {
      return line;
    }
  };
  const quiet = (_message?: unknown): void => undefined;
  const worker: WorkerLogSink = { debug: quiet, info: quiet, error: (line) => once(`[zeebe] ${fromJson(line).replace(ENHANCED_STACK, '')}`) };
  const sdk = {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (m: string | undefined) => once(`[camunda-sdk] ${text(m).replace(ENHANCED_STACK, '')}`),
    error: (m: string | undefined) => once(`[camunda-sdk] ${text(m).replace(ENHANCED_STACK, '')}`),
  };
  return { worker, sdk };
}

export interface CamundaClients {
  /** The SDK's factory; everything below comes from it and shares its configuration. */
  c8: Camunda8;
  /** REST API v2. */
  rest: CamundaRestClient;
  /** gRPC gateway, for job workers. */
  zeebe: Zeebe.ZeebeGrpcClient;
  /** Where job workers send the SDK's log lines (registerWorkers' `sdkLog`). */
  workerLog: WorkerLogSink;
  /** Closes workers and connections. */
  close(): Promise<void>;
}

/**
 * The SDK settings for `config.camunda`. Explicit values override the SDK's own environment
 * reading; for OAUTH the client id/secret and token URL still come from the SDK's variables
 * (ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET, CAMUNDA_OAUTH_URL, ...).
 */
export function sdkConfiguration(config: Config): NonNullable<ConstructorParameters<typeof Camunda8>[0]> {
  const c = config.camunda;
  return {
    // The client's own gRPC channel carries no jobs (each worker has its own): nothing of it to say.
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
    ZEEBE_REST_ADDRESS: c.restAddress,
    ZEEBE_GRPC_ADDRESS: c.grpcAddress,
    CAMUNDA_AUTH_STRATEGY: c.authStrategy,
    ...(c.authStrategy === 'BASIC' ? { CAMUNDA_BASIC_AUTH_USERNAME: c.username, CAMUNDA_BASIC_AUTH_PASSWORD: c.password } : {}),
    ...(c.authStrategy === 'NONE' ? { CAMUNDA_OAUTH_DISABLED: true } : {}),
    CAMUNDA_TASKLIST_BASE_URL: c.tasklistUrl,
    CAMUNDA_OPERATE_BASE_URL: c.operateUrl,
  };
}

/** Creates the clients. Call `close()` when done (tests: at the end of the run). */
export function createCamundaClients(config: Config, log: (line: string) => void = console.log): CamundaClients {
  const sinks = sdkLogSinks(log);
  const c8 = new Camunda8({ ...sdkConfiguration(config), logger: sinks.sdk });
  const rest = c8.getCamundaRestClient();
  const zeebe = c8.getZeebeGrpcApiClient();
  return {
    c8,
    rest,
    zeebe,
    workerLog: sinks.worker,
    close: async () => {
      await c8.closeAllClients();
    },
  };
}
