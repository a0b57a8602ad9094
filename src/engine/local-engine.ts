/**
 * The local Camunda 8.9 engine: `bin/camunda` from the Maven distribution, run with a Java 21+
 * JDK and `camunda-local/application.yaml`, detached, its log in `DATA_DIR/camunda.log`.
 *
 * `up()` reuses an engine that is already healthy, else starts one and waits until the
 * management health is UP and the REST topology shows a healthy partition; then it makes sure
 * the demo users, group and authorizations exist. `down()` stops the engine `up()` started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../config';
import { resolveDistribution, type Distribution } from './distribution';
import { createCamundaClients } from './client';
import { ensureIdentity } from './identity';
import { locateJava, type JavaInstallation } from './java';
import { credentialsFor, restCall, type Credentials } from './rest';

export const LOCAL_ENGINE_CONFIG = path.join(PROJECT_ROOT, 'camunda-local', 'application.yaml');
const MANAGEMENT_PORT = 9600;

export interface LocalEngineOptions {
  config: Config;
  /** Progress lines. */
  log?: (line: string) => void;
  /** JAVA_HOME of the calling environment (a JDK 21+ there is preferred). */
  javaHome?: string;
  /**
   * PostgreSQL for the engine's secondary storage instead of in-memory H2, as
   * `postgres://user:password@host:5432/database` (proposed setting: CAMUNDA_DB_URL).
   */
  secondaryStorageUrl?: string;
  /** How long `up()` waits for a starting engine. Default 10 minutes. */
  startTimeoutMs?: number;
}

export interface EnginePaths {
  /** Broker data (primary storage). */
  brokerData: string;
  log: string;
  pidFile: string;
}

export function enginePaths(dataDir: string): EnginePaths {
  return {
    brokerData: path.join(dataDir, 'camunda'),
    log: path.join(dataDir, 'camunda.log'),
    pidFile: path.join(dataDir, 'camunda.pid'),
  };
}

/** Thrown when the engine cannot be started or does not become ready; the message says why. */
export class EngineStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineStartError';
  }
}

export interface SecondaryStorage {
  /** Environment for bin/camunda (overrides of camunda-local/application.yaml). */
  env: Record<string, string>;
  /** In-memory H2: the broker data must be wiped before each start. */
  inMemory: boolean;
  /** For messages (no password). */
  description: string;
}

/** Maps the optional PostgreSQL URL to the engine's RDBMS settings. Pure: unit-tested. */
export function secondaryStorage(url: string | undefined): SecondaryStorage {
  if (!url) return { env: {}, inMemory: true, description: 'in-memory H2' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EngineStartError(`The engine's database URL is not a URL: expected postgres://user:password@host:5432/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new EngineStartError(`The engine's database URL must be postgres://user:password@host:5432/database (got ${u.protocol}//...)`);
  }
  const database = u.pathname.replace(/^\//, '');
  if (!database) throw new EngineStartError("The engine's database URL names no database (postgres://user:password@host:5432/database)");
  const jdbc = `jdbc:postgresql://${u.hostname}:${u.port || '5432'}/${database}${u.search}`;
  return {
    env: {
      CAMUNDA_DATA_SECONDARYSTORAGE_TYPE: 'rdbms',
      CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_URL: jdbc,
      CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_USERNAME: decodeURIComponent(u.username),
      CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_PASSWORD: decodeURIComponent(u.password),
    },
    inMemory: false,
    description: `PostgreSQL ${u.hostname}:${u.port || '5432'}/${database}`,
  };
}

/** JVM options for the engine. Pure: unit-tested. */
export function javaOptions(javaMajor: number, heap: string): string {
  const opts = [`-Xmx${heap}`];
  if (javaMajor >= 24) {
    // Java 24+ warns (and later refuses) without these; Camunda 8 Run passes them too.
    opts.push('--enable-native-access=ALL-UNNAMED', '--sun-misc-unsafe-memory-access=allow');
  }
  return opts.join(' ');
}

export interface Readiness {
  ready: boolean;
  /** What is not ready yet, for progress lines. */
  waitingFor: string[];
}

function managementUrl(restAddress: string): string {
  const u = new URL(restAddress);
  return `${u.protocol}//${u.hostname}:${MANAGEMENT_PORT}`;
}

/** Checks the management health and the REST topology (with basic credentials). */
export async function checkReadiness(restAddress: string, credentials: Credentials | undefined): Promise<Readiness> {
  const waitingFor: string[] = [];
  try {
    const health = await restCall<{ status?: string }>(managementUrl(restAddress), undefined, 'GET', '/actuator/health', undefined, 5_000);
    if (health.body?.status !== 'UP') waitingFor.push(`health ${health.body?.status ?? `HTTP ${health.status}`}`);
  } catch {
    waitingFor.push(`management port ${MANAGEMENT_PORT} not answering`);
  }
  try {
    const topo = await restCall<{ brokers?: Array<{ partitions?: Array<{ role?: string; health?: string }> }> }>(
      restAddress,
      credentials,
      'GET',
      '/v2/topology',
      undefined,
      5_000,
    );
    if (topo.status === 401) {
      waitingFor.push(`REST API refuses ${credentials?.username ?? 'anonymous'} (401)`);
    } else if (!topo.ok) {
      waitingFor.push(`topology HTTP ${topo.status}`);
    } else {
      const partitions = (topo.body?.brokers ?? []).flatMap((b) => b.partitions ?? []);
      if (!partitions.some((p) => p.role === 'leader' && p.health === 'healthy')) {
        waitingFor.push(`no healthy leader partition yet (${partitions.map((p) => `${p.role}/${p.health}`).join(', ') || 'none'})`);
      }
    }
  } catch {
    waitingFor.push('REST API not answering');
  }
  return { ready: waitingFor.length === 0, waitingFor };
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is the engine we started (guards against a reused pid). */
function isEngineProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /camunda/i.test(cmdline);
  } catch {
    return true; // no /proc (not Linux): trust the pid file
  }
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/).slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EngineHandle {
  restAddress: string;
  /** True when this call started the engine (the caller may stop it). */
  started: boolean;
  /** Log of the local engine (undefined for an existing cluster). */
  logFile?: string;
  pid?: number;
}


async function waitUntilReady(
  restAddress: string,
  credentials: Credentials | undefined,
  timeoutMs: number,
  log: (line: string) => void,
  exited: () => number | null | undefined,
  logFile: string | undefined,
): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const readiness = await checkReadiness(restAddress, credentials);
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (readiness.ready) {
      log(`[camunda] ready after ${elapsed} s`);
      return;
    }
    const code = exited();
    if (code !== undefined) {
      throw new EngineStartError(
        `The engine exited during start (exit code ${code}).` + (logFile ? ` Last lines of ${logFile}:\n${tail(logFile)}` : ''),
      );
    }
    if (Date.now() - started > timeoutMs) {
      throw new EngineStartError(
        `The engine was not ready after ${Math.round(timeoutMs / 60000)} min (waiting for: ${readiness.waitingFor.join('; ')}).` +
          (logFile ? ` Last lines of ${logFile}:\n${tail(logFile)}` : ''),
      );
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      log(`[camunda] starting ... ${elapsed} s, waiting for: ${readiness.waitingFor.join('; ')}`);
    }
    await sleep(2_000);
  }
}

/** Checks an existing cluster through the SDK (any auth strategy): reachable, with a healthy partition. */
export async function checkExistingCluster(config: Config): Promise<void> {
  const clients = createCamundaClients(config);
  try {
    const topology = await clients.rest.getTopology();
    const partitions = topology.brokers.flatMap((b) => b.partitions);
    const healthy = partitions.some((p) => String(p.health).toLowerCase() === 'healthy');
    if (!healthy) {
      throw new EngineStartError(
        `The Camunda cluster at ${config.camunda.restAddress} has no healthy partition (${partitions.map((p) => `${String(p.role)}/${String(p.health)}`).join(', ') || 'none'})`,
      );
    }
  } catch (err) {
    if (err instanceof EngineStartError) throw err;
    throw new EngineStartError(
      `The Camunda cluster at ${config.camunda.restAddress} is not usable (${config.camunda.authStrategy} auth): ${(err as Error).message}`,
    );
  } finally {
    await clients.close();
  }
}

/** Starts (or reuses) the engine and waits until it is ready. */
export async function up(options: LocalEngineOptions): Promise<EngineHandle> {
  const { config, log = console.log, startTimeoutMs = 10 * 60_000 } = options;
  const { restAddress } = config.camunda;
  const credentials = credentialsFor(config);

  if (!config.camunda.startLocalEngine) {
    log(`[camunda] using the existing cluster at ${restAddress} (no local engine: ZEEBE_REST_ADDRESS is set or CAMUNDA_LOCAL_ENGINE=false)`);
    await checkExistingCluster(config);
    return { restAddress, started: false };
  }

  const paths = enginePaths(config.dataDir);
  const admin = { restAddress, username: config.camunda.username, password: config.camunda.password };

  const current = await checkReadiness(restAddress, credentials);
  if (current.ready) {
    log(`[camunda] an engine is already running at ${restAddress}; reusing it`);
    await ensureIdentity(admin, log);
    return { restAddress, started: false, logFile: fs.existsSync(paths.log) ? paths.log : undefined, pid: readPid(paths.pidFile) };
  }

  const runningPid = readPid(paths.pidFile);
  if (runningPid !== undefined && isEngineProcess(runningPid)) {
    log(`[camunda] the engine (pid ${runningPid}) is still starting; waiting (log: ${paths.log})`);
    await waitUntilReady(restAddress, credentials, startTimeoutMs, log, () => (isEngineProcess(runningPid) ? undefined : null), paths.log);
    await ensureIdentity(admin, log);
    return { restAddress, started: false, logFile: paths.log, pid: runningPid };
  }

  const java: JavaInstallation = locateJava(options.javaHome ?? options.config.camunda.javaHome);
  log(`[camunda] Java ${java.major} from ${java.home}`);
  const storage = secondaryStorage(options.secondaryStorageUrl ?? options.config.camunda.secondaryStorageUrl);
  const dist: Distribution = await resolveDistribution({ version: config.camunda.version, cacheDir: config.camunda.cacheDir, log });

  fs.mkdirSync(config.dataDir, { recursive: true });
  if (storage.inMemory && fs.existsSync(paths.brokerData)) {
    // In-memory H2 starts empty: broker state from a previous run would disagree with it.
    log(`[camunda] secondary storage is in-memory H2: wiping the previous broker data in ${paths.brokerData}`);
    fs.rmSync(paths.brokerData, { recursive: true, force: true });
  }
  fs.mkdirSync(paths.brokerData, { recursive: true });

  const logFd = fs.openSync(paths.log, 'w');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...storage.env,
    JAVA_HOME: java.home,
    JAVA_OPTS: javaOptions(java.major, config.camunda.heap),
    CAMUNDA_DATA_PRIMARYSTORAGE_DIRECTORY: paths.brokerData,
  };
  log(`[camunda] starting Camunda ${dist.version} (${storage.description}, heap ${config.camunda.heap}); log: ${paths.log}`);
  const child = spawn(dist.launcher, [`--spring.config.additional-location=file:${LOCAL_ENGINE_CONFIG}`], {
    cwd: dist.home,
    env,
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exitCode: number | null | undefined;
  child.on('exit', (code) => (exitCode = code));
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawnError || child.pid === undefined) {
    throw new EngineStartError(`Could not run ${dist.launcher}: ${spawnError?.message ?? 'no pid'}`);
  }
  const pid = child.pid;
  fs.writeFileSync(paths.pidFile, `${pid}\n`);
  child.unref();

  try {
    await waitUntilReady(restAddress, credentials, startTimeoutMs, log, () => exitCode, paths.log);
  } catch (err) {
    if (exitCode === undefined) await stopProcess(pid, log).catch(() => undefined);
    fs.rmSync(paths.pidFile, { force: true });
    throw err;
  }
  await ensureIdentity(admin, log);
  log(`[camunda] Tasklist ${config.camunda.tasklistUrl} · Operate ${config.camunda.operateUrl} · users: demo/demo, operator/operator, agent1/agent1, agent2/agent2`);
  return { restAddress, started: true, logFile: paths.log, pid };
}

async function stopProcess(pid: number, log: (line: string) => void, graceMs = 60_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      // The engine runs in its own process group (detached); signal the group so the JVM goes too.
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(500);
  if (alive()) {
    log(`[camunda] pid ${pid} did not stop within ${Math.round(graceMs / 1000)} s; killing it`);
    signal('SIGKILL');
    while (alive()) await sleep(200);
  }
}

/** Stops the engine started by `up()`; does nothing when none runs. */
export async function down(options: Pick<LocalEngineOptions, 'config' | 'log'>): Promise<{ stopped: boolean }> {
  const { config, log = console.log } = options;
  const paths = enginePaths(config.dataDir);
  const pid = readPid(paths.pidFile);
  if (pid === undefined || !isEngineProcess(pid)) {
    fs.rmSync(paths.pidFile, { force: true });
    log('[camunda] no local engine is running');
    return { stopped: false };
  }
  log(`[camunda] stopping the engine (pid ${pid}) ...`);
  await stopProcess(pid, log);
  fs.rmSync(paths.pidFile, { force: true });
  log('[camunda] stopped');
  return { stopped: true };
}
