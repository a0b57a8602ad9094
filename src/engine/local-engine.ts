/**
 * The local Camunda engine, started from a distribution in the cache (see distribution.ts):
 *
 * - **Camunda 8.6** (the default; the newest Maven Central serves): OpenSearch in a JVM
 *   (opensearch.ts), then `bin/broker`, then `bin/tasklist` and `bin/operate` as separate JVMs
 *   with `camunda-local/8.6/*.yaml`, then the demo users written into the web apps' indices.
 *   Separate JVMs because 8.6.0's one-JVM `bin/camunda` breaks Tasklist's "Assign to me".
 * - **Camunda 8.8+** (a distribution the user names): `bin/camunda` with
 *   `camunda-local/application.yaml` (in-memory H2 or PostgreSQL), then the demo identities
 *   through REST v2.
 *
 * Every process is detached with its pid file and log under `DATA_DIR/engine/`. `up()` reuses a
 * stack only when it is the one this project started (its pid files are alive) and refuses a
 * stranger's engine on the same port. `down()` stops what `up()` started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../config';
import { capabilitiesOf, describeEngine, type EngineCapabilities } from './capabilities';
import { resolveDistribution, type Distribution } from './distribution';
import { Camunda8 } from '@camunda8/sdk';
import { sdkConfiguration, sdkLogSinks, sdkMessage } from './client';
import { detectCapabilities } from './engine-api';
import { DEMO_USERS, ensureIdentity } from './identity';
import { locateJava, type JavaInstallation } from './java';
import { resolveOpenSearch } from './opensearch';
import { credentialsFor, restCall, type Credentials } from './rest';
import { ensureWebappUsers } from './webapp-users';

export const LOCAL_ENGINE_CONFIG = path.join(PROJECT_ROOT, 'camunda-local', 'application.yaml');
export const LOCAL_86_CONFIG_DIR = path.join(PROJECT_ROOT, 'camunda-local', '8.6');
export const OPENSEARCH_URL = 'http://127.0.0.1:9200';
/** The broker's exporter and Tasklist write through camunda-local/8.6/ism-stub.js (see there why). */
export const EXPORTER_OPENSEARCH_URL = 'http://127.0.0.1:9201';

export interface LocalEngineOptions {
  config: Config;
  /** Progress lines. */
  log?: (line: string) => void;
  /** How long `up()` waits for a starting engine. Default 10 minutes. */
  startTimeoutMs?: number;
  /**
   * When this call starts the engine: begin with empty broker and OpenSearch data (the test run
   * does, so no instance of an earlier run is around). Default false: data is kept between starts.
   */
  fresh?: boolean;
  /**
   * Called just before this call launches the engine's processes (not when it reuses a running
   * engine): from then on the caller owns them, even before they are ready — a Ctrl-C during a
   * start must stop what was launched.
   */
  onLaunch?: () => void;
}

/** Thrown when the engine cannot be started or does not become ready; the message says why. */
export class EngineStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineStartError';
  }
}

/** One process of the local engine. */
interface Component {
  name: 'opensearch' | 'ism-stub' | 'broker' | 'tasklist' | 'operate' | 'camunda';
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Undefined when ready, else what it is still waiting for. */
  waitingFor(): Promise<string | undefined>;
}

export interface EnginePaths {
  dir: string;
  pidFile(component: string): string;
  log(component: string): string;
  /** Broker data (primary storage). */
  brokerData: string;
  opensearchData: string;
}

export function enginePaths(dataDir: string): EnginePaths {
  const dir = path.join(dataDir, 'engine');
  return {
    dir,
    pidFile: (c) => path.join(dir, `${c}.pid`),
    log: (c) => path.join(dir, `${c}.log`),
    brokerData: path.join(dir, 'zeebe'),
    opensearchData: path.join(dir, 'opensearch'),
  };
}

export interface SecondaryStorage {
  /** Environment for bin/camunda (overrides of camunda-local/application.yaml). */
  env: Record<string, string>;
  /** In-memory H2: the broker data must be wiped before each start. */
  inMemory: boolean;
  /** For messages (no password). */
  description: string;
}

/** 8.8+: maps the optional PostgreSQL URL to the engine's RDBMS settings. Pure: unit-tested. */
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

/** JVM options for one engine process. Pure: unit-tested. */
export function javaOptions(javaMajor: number, heap: string): string {
  const opts = [`-Xmx${heap}`];
  if (javaMajor >= 24) {
    // Java 24+ warns (and later refuses) without these; Camunda 8 Run passes them too.
    opts.push('--enable-native-access=ALL-UNNAMED', '--sun-misc-unsafe-memory-access=allow');
  }
  return opts.join(' ');
}

async function httpStatus<T>(url: string): Promise<{ status: number; body: T | undefined } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    let body: T | undefined;
    try {
      body = text ? (JSON.parse(text) as T) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  } catch {
    return undefined;
  }
}

/** Waiting reason of a Spring Boot app's management health (undefined when UP). */
async function actuatorWaiting(name: string, port: number, path = '/actuator/health'): Promise<string | undefined> {
  const r = await httpStatus<{ status?: string }>(`http://127.0.0.1:${port}${path}`);
  if (!r) return `${name}: management port ${port} not answering`;
  return r.body?.status === 'UP' ? undefined : `${name}: health ${r.body?.status ?? `HTTP ${r.status}`}`;
}

/** Waiting reason of the REST API: a healthy leader partition in GET /v2/topology. */
export async function topologyWaiting(restAddress: string, credentials: Credentials | undefined): Promise<string | undefined> {
  try {
    const topo = await restCall<{ brokers?: Array<{ partitions?: Array<{ role?: string; health?: string }> }> }>(
      restAddress,
      credentials,
      'GET',
      '/v2/topology',
      undefined,
      5_000,
    );
    if (topo.status === 401) return `REST API refuses ${credentials?.username ?? 'anonymous'} (401)`;
    if (!topo.ok) return `topology HTTP ${topo.status}`;
    const partitions = (topo.body?.brokers ?? []).flatMap((b) => b.partitions ?? []);
    return partitions.some((p) => p.role === 'leader' && p.health === 'healthy')
      ? undefined
      : `no healthy leader partition yet (${partitions.map((p) => `${p.role}/${p.health}`).join(', ') || 'none'})`;
  } catch {
    return 'REST API not answering';
  }
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and runs Java (guards against a reused pid). */
function isOurProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return /java|camunda|broker|tasklist|operate|opensearch|ism-stub/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust the pid file
  }
}

function tail(file: string, lines = 30): string {
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
  capabilities: EngineCapabilities;
  /** Folder of the local engine's logs (undefined for an existing cluster). */
  logDir?: string;
}

interface Running {
  component: Component;
  pid: number;
  exitCode: () => number | null | undefined;
}

function startComponent(c: Component, paths: EnginePaths, { appendLog = false } = {}): Running {
  const logFile = paths.log(c.name);
  const logFd = fs.openSync(logFile, appendLog ? 'a' : 'w');
  const child = spawn(c.command, c.args, { cwd: c.cwd, env: { ...process.env, ...c.env }, detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exitCode: number | null | undefined;
  child.on('exit', (code) => (exitCode = code));
  child.on('error', () => (exitCode = -1));
  if (child.pid === undefined) throw new EngineStartError(`Could not run ${c.command} for ${c.name}`);
  fs.writeFileSync(paths.pidFile(c.name), `${child.pid}\n`);
  child.unref();
  return { component: c, pid: child.pid, exitCode: () => exitCode };
}

async function waitUntilReady(running: Running[], paths: EnginePaths, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const waiting = (await Promise.all(running.map((r) => r.component.waitingFor()))).filter((w): w is string => w !== undefined);
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (waiting.length === 0) return;
    for (const r of running) {
      const code = r.exitCode();
      if (code !== undefined) {
        throw new EngineStartError(
          `${r.component.name} exited during start (exit code ${code}). Last lines of ${paths.log(r.component.name)}:\n${tail(paths.log(r.component.name))}`,
        );
      }
    }
    if (Date.now() - started > timeoutMs) {
      throw new EngineStartError(
        `The engine was not ready after ${Math.round(timeoutMs / 1000)} s (waiting for: ${waiting.join('; ')}). Logs: ${paths.dir}`,
      );
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      log(`[camunda] starting ... ${elapsed} s, waiting for: ${waiting.join('; ')}`);
    }
    await sleep(1_000);
  }
}

/**
 * Checks an existing cluster through the SDK's REST client (any auth strategy): reachable, with
 * a healthy partition. Used by `engine:up` and, again and again, by the running application's
 * engine watch (issue 16.9), so it opens no gRPC channel and prints nothing of its own.
 */
export async function checkExistingCluster(config: Config): Promise<void> {
  const c8 = new Camunda8({ ...sdkConfiguration(config), logger: sdkLogSinks(() => undefined).sdk });
  try {
    const topology = await c8.getCamundaRestClient().getTopology();
    const partitions = topology.brokers.flatMap((b) => b.partitions);
    if (!partitions.some((p) => String(p.health).toLowerCase() === 'healthy')) {
      throw new EngineStartError(
        `The Camunda cluster at ${config.camunda.restAddress} has no healthy partition (${partitions.map((p) => `${String(p.role)}/${String(p.health)}`).join(', ') || 'none'})`,
      );
    }
  } catch (err) {
    if (err instanceof EngineStartError) throw err;
    throw new EngineStartError(`The Camunda cluster at ${config.camunda.restAddress} is not usable (${config.camunda.authStrategy} auth): ${sdkMessage(err)}`);
  } finally {
    await c8.closeAllClients();
  }
}

/** The processes of the local engine for `dist`, in start order (each group waits for the one before). */
function componentsFor(config: Config, dist: Distribution, java: JavaInstallation, paths: EnginePaths, openSearchLib: string | undefined): Component[][] {
  const c = config.camunda;
  const javaEnv = { JAVA_HOME: java.home, JAVA_OPTS: javaOptions(java.major, c.heap) };
  const caps = capabilitiesOf(dist.version);
  if (caps.generation === '8.6') {
    const spring = (file: string) => ({ SPRING_CONFIG_ADDITIONALLOCATION: `file:${path.join(LOCAL_86_CONFIG_DIR, file)}`, WPKI_OPENSEARCH_URL: OPENSEARCH_URL });
    const opensearch: Component = {
      name: 'opensearch',
      command: path.join(java.home, 'bin', 'java'),
      args: [
        `-Xmx${c.heap}`,
        '-cp',
        `${openSearchLib}/*`,
        'org.codelibs.opensearch.runner.OpenSearchRunner',
        '-basePath',
        paths.opensearchData,
        '-numOfNode',
        '1',
        '-baseHttpPort',
        '9199',
        '-clusterName',
        'camunda',
      ],
      cwd: paths.dir,
      env: {},
      async waitingFor() {
        const r = await httpStatus<{ status?: string }>(`${OPENSEARCH_URL}/_cluster/health`);
        if (!r) return 'opensearch: not answering';
        return r.body?.status === 'green' || r.body?.status === 'yellow' ? undefined : `opensearch: ${r.body?.status ?? r.status}`;
      },
    };
    const ismStub: Component = {
      name: 'ism-stub',
      command: process.execPath,
      args: [path.join(LOCAL_86_CONFIG_DIR, 'ism-stub.js'), new URL(EXPORTER_OPENSEARCH_URL).port, OPENSEARCH_URL],
      cwd: paths.dir,
      env: {},
      async waitingFor() {
        return (await httpStatus(`${EXPORTER_OPENSEARCH_URL}/_plugins/_ism/explain`))?.status === 200 ? undefined : 'ism-stub: not answering';
      },
    };
    const broker: Component = {
      name: 'broker',
      command: path.join(dist.home, 'bin', 'broker'),
      args: [],
      cwd: dist.home,
      env: { ...javaEnv, ...spring('broker.yaml'), ZEEBE_BROKER_DATA_DIRECTORY: paths.brokerData, WPKI_EXPORTER_OPENSEARCH_URL: EXPORTER_OPENSEARCH_URL },
      async waitingFor() {
        return (await actuatorWaiting('broker', 9600)) ?? (await topologyWaiting(c.restAddress, undefined));
      },
    };
    const webapp = (name: 'tasklist' | 'operate', port: number): Component => ({
      name,
      command: path.join(dist.home, 'bin', name),
      args: [],
      cwd: dist.home,
      // Tasklist writes its own indices through the stub too (its whole-second times, see there).
      env: { ...javaEnv, ...spring(`${name}.yaml`), WPKI_TASKLIST_OPENSEARCH_URL: EXPORTER_OPENSEARCH_URL },
      waitingFor: () => actuatorWaiting(name, port, '/actuator/health/readiness'),
    });
    return [[opensearch, ismStub], [broker], [webapp('tasklist', 9602), webapp('operate', 9601)]];
  }
  const storage = secondaryStorage(c.secondaryStorageUrl);
  const camunda: Component = {
    name: 'camunda',
    command: path.join(dist.home, 'bin', 'camunda'),
    args: [`--spring.config.additional-location=file:${LOCAL_ENGINE_CONFIG}`],
    cwd: dist.home,
    env: { ...javaEnv, ...storage.env, CAMUNDA_DATA_PRIMARYSTORAGE_DIRECTORY: paths.brokerData },
    async waitingFor() {
      return (await actuatorWaiting('camunda', 9600)) ?? (await topologyWaiting(c.restAddress, credentialsFor(config)));
    },
  };
  return [[camunda]];
}

const COMPONENT_NAMES = ['opensearch', 'ism-stub', 'broker', 'tasklist', 'operate', 'camunda'] as const;

/** The pids of the local engine's processes that are alive, by component. */
function livePids(paths: EnginePaths): Map<string, number> {
  const live = new Map<string, number>();
  for (const name of COMPONENT_NAMES) {
    const pid = readPid(paths.pidFile(name));
    if (pid !== undefined && isOurProcess(pid)) live.set(name, pid);
  }
  return live;
}

async function ensureUsers(config: Config, caps: EngineCapabilities, log: (line: string) => void): Promise<void> {
  if (caps.users === 'webapp-index') {
    await ensureWebappUsers(OPENSEARCH_URL, DEMO_USERS, log);
  } else {
    await ensureIdentity({ restAddress: config.camunda.restAddress, username: config.camunda.username, password: config.camunda.password }, log);
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
    const caps = await detectCapabilities(restAddress, credentials);
    log(`[camunda] ${describeEngine(caps, restAddress)}`);
    return { restAddress, started: false, capabilities: caps };
  }

  const paths = enginePaths(config.dataDir);
  fs.mkdirSync(paths.dir, { recursive: true });
  const live = livePids(paths);
  const answering = (await topologyWaiting(restAddress, credentials)) === undefined;

  if (live.size === 0 && answering) {
    throw new EngineStartError(
      `An engine this project did not start already answers at ${restAddress}. Stop it, or use it on purpose by setting ` +
        `ZEEBE_REST_ADDRESS=${restAddress} (and its credentials) — then no local engine is started.`,
    );
  }

  const java: JavaInstallation = locateJava(config.camunda.javaHome);
  const dist: Distribution = await resolveDistribution({
    version: config.camunda.version,
    cacheDir: config.camunda.cacheDir,
    archive: config.camunda.distribution,
    log,
  });
  const caps = capabilitiesOf(dist.version);
  const openSearchLib =
    caps.generation === '8.6' ? (await resolveOpenSearch({ version: config.camunda.openSearchVersion, cacheDir: config.camunda.cacheDir, log })).libDir : undefined;
  const groups = componentsFor(config, dist, java, paths, openSearchLib);

  if (live.size > 0) {
    const all = groups.flat();
    const missing = all.filter((c) => !live.has(c.name));
    if (missing.length > 0) {
      throw new EngineStartError(
        `The local engine is half running (${[...live.keys()].join(', ')} alive; ${missing.map((c) => c.name).join(', ')} not). ` +
          'Run `npm run engine:down` and start again.',
      );
    }
    log(`[camunda] the local engine started earlier is running (pids ${[...live.values()].join(', ')}); waiting until it is ready`);
    await waitUntilReady(
      all.map((component) => ({ component, pid: live.get(component.name)!, exitCode: () => (isOurProcess(live.get(component.name)!) ? undefined : null) })),
      paths,
      startTimeoutMs,
      log,
    );
    await ensureUsers(config, caps, log);
    log(`[camunda] ${describeEngine(caps, restAddress)}`);
    return { restAddress, started: false, capabilities: caps, logDir: paths.dir };
  }

  if (options.fresh) {
    log(`[camunda] starting with empty engine data (${paths.brokerData}, ${paths.opensearchData})`);
    fs.rmSync(paths.brokerData, { recursive: true, force: true });
    fs.rmSync(paths.opensearchData, { recursive: true, force: true });
  } else if (caps.generation === '8.8+' && secondaryStorage(config.camunda.secondaryStorageUrl).inMemory && fs.existsSync(paths.brokerData)) {
    // In-memory H2 starts empty: broker state from a previous run would disagree with it.
    fs.rmSync(paths.brokerData, { recursive: true, force: true });
  }
  fs.mkdirSync(paths.brokerData, { recursive: true });
  log(`[camunda] starting Camunda ${dist.version} (${groups.flat().map((c) => c.name).join(' + ')}; Java ${java.major}, heap ${config.camunda.heap} each); logs: ${paths.dir}`);
  const t0 = Date.now();
  options.onLaunch?.();
  const started: Running[] = [];
  try {
    for (const group of groups) {
      const running = group.map((c) => startComponent(c, paths));
      started.push(...running);
      await waitUntilReady(running, paths, startTimeoutMs, log);
      log(`[camunda] ${group.map((c) => c.name).join(' + ')} ready after ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    await ensureUsers(config, caps, log);
  } catch (err) {
    await down({ config, log: () => undefined });
    throw err;
  }
  log(`[camunda] ${describeEngine(caps, restAddress)}`);
  log(`[camunda] Tasklist ${config.camunda.tasklistUrl} · Operate ${config.camunda.operateUrl} · users: ${DEMO_USERS.map((u) => `${u.username}/${u.password}`).join(', ')}`);
  return { restAddress, started: true, capabilities: caps, logDir: paths.dir };
}

export interface RestartOptions extends Pick<LocalEngineOptions, 'config' | 'log'> {
  /** Runs while the broker is down (a test checks what the workers and the API do meanwhile). */
  whileDown?: () => Promise<void>;
  /** How long the restarted broker may take to be ready. Default 5 minutes. */
  startTimeoutMs?: number;
}

/**
 * Stops the local engine's broker (8.6: `bin/broker`; 8.8+: `bin/camunda`) and starts it again on
 * the same data, as an operator's restart or a crash and restart would (issue 15.2): running
 * instances continue where they were. OpenSearch, Tasklist and Operate keep running. Refuses an
 * 8.8+ engine on in-memory H2 (its secondary storage would start empty) and an engine it did not start.
 */
export async function restartBroker(options: RestartOptions): Promise<void> {
  const { config, log = console.log, startTimeoutMs = 5 * 60_000 } = options;
  const paths = enginePaths(config.dataDir);
  const live = livePids(paths);
  const name = live.has('broker') ? 'broker' : live.has('camunda') ? 'camunda' : undefined;
  if (!config.camunda.startLocalEngine || !name) {
    throw new EngineStartError(`No local engine started by this project runs (${paths.dir}): there is no broker to restart`);
  }
  if (name === 'camunda' && secondaryStorage(config.camunda.secondaryStorageUrl).inMemory) {
    throw new EngineStartError('The engine keeps its secondary storage in memory (H2): a restart would lose it. Set CAMUNDA_SECONDARY_STORAGE_URL to restart it with its data');
  }
  const java: JavaInstallation = locateJava(config.camunda.javaHome);
  const dist = await resolveDistribution({ version: config.camunda.version, cacheDir: config.camunda.cacheDir, archive: config.camunda.distribution, log });
  const openSearchLib =
    capabilitiesOf(dist.version).generation === '8.6'
      ? (await resolveOpenSearch({ version: config.camunda.openSearchVersion, cacheDir: config.camunda.cacheDir, log })).libDir
      : undefined;
  const component = componentsFor(config, dist, java, paths, openSearchLib)
    .flat()
    .find((c) => c.name === name)!;
  log(`[camunda] restarting the ${name} (pid ${live.get(name)}) with its data (${paths.brokerData})`);
  await stopProcess(live.get(name)!, log);
  fs.rmSync(paths.pidFile(name), { force: true });
  await options.whileDown?.();
  const t0 = Date.now();
  const running = startComponent(component, paths, { appendLog: true });
  await waitUntilReady([running], paths, startTimeoutMs, log);
  log(`[camunda] ${name} ready again after ${Math.round((Date.now() - t0) / 1000)} s`);
}

async function stopProcess(pid: number, log: (line: string) => void, graceMs = 60_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      // Each process runs in its own process group (detached); signal the group so the JVM goes too.
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
  while (alive() && Date.now() < deadline) await sleep(300);
  if (alive()) {
    log(`[camunda] pid ${pid} did not stop within ${Math.round(graceMs / 1000)} s; killing it`);
    signal('SIGKILL');
    while (alive()) await sleep(200);
  }
}

/** Stops the engine started by `up()` (web apps first, OpenSearch last); does nothing when none runs. */
export async function down(options: Pick<LocalEngineOptions, 'config' | 'log'>): Promise<{ stopped: boolean }> {
  const { config, log = console.log } = options;
  const paths = enginePaths(config.dataDir);
  const live = livePids(paths);
  for (const name of COMPONENT_NAMES) if (!live.has(name)) fs.rmSync(paths.pidFile(name), { force: true });
  if (live.size === 0) {
    log('[camunda] no local engine is running');
    return { stopped: false };
  }
  const order = ['tasklist', 'operate', 'camunda', 'broker', 'ism-stub', 'opensearch'].filter((n) => live.has(n));
  log(`[camunda] stopping ${order.join(', ')} ...`);
  await Promise.all(order.filter((n) => n === 'tasklist' || n === 'operate').map((n) => stopProcess(live.get(n)!, log)));
  for (const n of order.filter((x) => x !== 'tasklist' && x !== 'operate')) await stopProcess(live.get(n)!, log);
  for (const n of order) fs.rmSync(paths.pidFile(n), { force: true });
  log('[camunda] stopped');
  return { stopped: true };
}
