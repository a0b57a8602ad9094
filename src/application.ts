/**
 * The application put together from its configuration, for `npm start` (src/main.ts) and for
 * tests that start it as a user would. The database, the CA and the API come up first and do
 * not wait for Camunda (issue 16.6): the CRL distribution point written into every certificate
 * stays online whenever the engine is down or missing. The engine is watched in the background
 * (src/engine/availability.ts); when it arrives the models are deployed and the job workers
 * start; until then, what needs it answers 503 naming Camunda.
 */
import type { Server } from 'node:http';
import type { Config } from './config';
import { createApp } from './api/app';
import { createEngineIdentity } from './api/identity';
import { createProcessEngine, type ProcessEngine } from './engine/processes';
import { startBuiltinCa } from './ca/start';
import { createScepService } from './scep/enrollment';
import { createCamundaClients } from './engine/client';
import { deployAll } from './engine/deploy';
import { claimWorkers } from './engine/workers-lock';
import { createCompletedTaskSource } from './engine/completed-tasks';
import { lazyEngineApi, type EngineApi } from './engine/engine-api';
import { checkExistingCluster, down, up } from './engine/local-engine';
import { completeListenerJob, credentialsFor } from './engine/rest';
import { watchEngine, whenEngineUp, type EngineWatch } from './engine/availability';
import { createMailer, startOutboxDispatcher } from './mail/mailer';
import { guardCa } from './ca/guarded';
import { createMailTransport } from './mail/transport';
import { openDatabase } from './store/database';
import { seedDemoData } from './store/seed';
import { purgeExpiredSecretLinks } from './store/secret-links';
import { createAllHandlers } from '../workers';
import { registerWorkers } from '../workers/register';

export interface Stoppable {
  what: string;
  stop: () => Promise<unknown>;
}

export interface RunningApplication {
  server: Server;
  /** The port the API listens on (PORT, or the one the system chose for PORT=0). */
  port: number;
  engine: EngineWatch;
  mail: string;
  database: string;
  /** Stops everything started, last started first; logs each. */
  stop(log?: (line: string) => void): Promise<void>;
}

function listen(app: ReturnType<typeof createApp>, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, () => resolve(server));
    server.on('error', reject);
  });
}

/**
 * Starts the application. `stops` receives each part as it starts, so that a caller whose start
 * fails half way can stop what did start.
 */
export async function startApplication(config: Config, log: (line: string) => void, stops: Stoppable[] = []): Promise<RunningApplication> {
  const db = await openDatabase(config, log);
  stops.push({ what: 'the database', stop: () => db.close() });
  const { ca, masterKey } = await startBuiltinCa(config, db.pool, log);
  if (await seedDemoData(db.pool, { ca, log })) log('[db] empty database: demo data created');
  log(`[db] ${db.location}`);

  const transport = createMailTransport(config.mail);
  stops.push({ what: 'the mail transport', stop: async () => transport.close() });
  log(`[mail] ${transport.description}`);

  if (config.camunda.startLocalEngine) {
    const release = claimWorkers(config.dataDir, 'npm start');
    stops.push({ what: 'the workers lock', stop: async () => release() });
  }
  const clients = createCamundaClients(config, log);
  stops.push({ what: 'the Camunda client', stop: () => clients.close() });
  const lazyEngine = lazyEngineApi(config);

  // The workers have their own pool: a burst of jobs cannot take the API's connections (issue 17.1).
  const mailer = createMailer(db.workerPool, transport, { giveUpAfterHours: config.mail.giveUpAfterHours, log });
  // Email that could not go out when its job ran (SMTP down) is sent from the outbox later (issue 15.4).
  const outbox = startOutboxDispatcher(mailer, { intervalMs: config.mail.retryIntervalMs, log });
  stops.push({ what: 'the mail outbox', stop: () => outbox.stop() });
  const handlers = createAllHandlers({
    pool: db.workerPool,
    // Bounded calls whose failures name the CA: a CA that hangs ends in an incident saying so (issue 15.5).
    ca: guardCa(ca, { name: config.ca.name, timeoutMs: config.workers.caCallTimeoutMs }),
    mailer,
    sealer: masterKey,
    tasklistUrl: config.camunda.tasklistUrl,
    publicUrl: config.api.publicUrl,
    secretLinkTtlMinutes: config.secretLinkTtlMinutes,
    expiryNoticeDays: config.expiry.noticeDays,
    completedTasks: createCompletedTaskSource(lazyEngine),
  });
  const credentials = credentialsFor(config);

  /** On the engine's first arrival: the models, then the workers (the SDK keeps them polling after that). */
  const arrive = async () => {
    await deployAll(clients.rest, { log });
    if (config.camunda.authStrategy === 'OAUTH') {
      log('[workers] note: task listener verdicts are reported over REST with BASIC credentials; with OAUTH they will fail (see README)');
    }
    const workers = registerWorkers(
      clients.zeebe,
      handlers,
      (jobKey, verdict) => completeListenerJob(config.camunda.restAddress, credentials, jobKey, verdict),
      log,
      { maxJobsActive: config.workers.maxJobsActive, sdkLog: clients.workerLog },
    );
    stops.push({ what: 'the job workers', stop: () => workers.close() });
    log(`[workers] ${workers.types.length} job types: ${workers.types.join(', ')}`);
  };
  const engine = watchEngine({ address: config.camunda.restAddress, check: () => checkExistingCluster(config), onFirstUp: arrive, log });
  stops.push({ what: 'watching the engine', stop: async () => engine.stop() });

  const engineApi = (): Promise<EngineApi> => whenEngineUp(engine, lazyEngine);
  const rawProcesses = createProcessEngine(clients.rest);
  const processes: ProcessEngine = {
    start: (processId, variables) => whenEngineUp(engine, () => rawProcesses.start(processId, variables)),
    cancel: (processInstanceKey) => whenEngineUp(engine, () => rawProcesses.cancel(processInstanceKey)),
  };
  const app = createApp({
    pool: db.pool,
    ca,
    sealer: masterKey,
    identity: createEngineIdentity({ engine: engineApi, db: db.pool, cacheMs: config.api.signInCacheMs }),
    processes,
    tasklistUrl: config.camunda.tasklistUrl,
    engine: engineApi,
    engineStatus: () => engine.status(),
    trustProxy: config.api.trustProxy,
    scep: createScepService({ pool: db.pool, ca, log }),
    acme: { bindings: (keyId) => ca.lookupAcmeBinding(keyId), http01: { port: config.acme.http01Port, host: config.acme.http01Host } },
    log,
  });
  const server = await listen(app, config.api.port);
  stops.push({ what: 'the API', stop: () => new Promise((r) => server.close(r)) });

  // Secrets waiting for their one download are erased once they expire, not only when asked for.
  const housekeeping = setInterval(() => {
    Promise.all([purgeExpiredSecretLinks(db.pool), ca.purgeExpiredPkcs12()])
      .then(([links, p12]) => {
        if (links + p12 > 0) log(`[housekeeping] erased ${links} expired one-time link(s) and ${p12} unclaimed PKCS#12 file(s)`);
      })
      .catch((err: Error) => log(`[housekeeping] failed: ${err.message}`));
  }, 10 * 60_000);
  housekeeping.unref();
  stops.push({ what: 'housekeeping', stop: async () => clearInterval(housekeeping) });

  if (config.camunda.startLocalEngine) {
    // Starting the local engine takes minutes; the API serves meanwhile. Stopped on the way out only if this process launched it — also when the stop comes while
    // it is still starting (its processes are detached and would outlive us) — and after the
    // workers and the client that use it.
    const launched = () => {
      const at = stops.findIndex((s) => s.what === 'the Camunda client');
      stops.splice(Math.max(0, at), 0, { what: 'the local Camunda engine', stop: async () => void (await down({ config, log })) });
    };
    const starting = up({ config, log, onLaunch: launched }).then(() => undefined);
    engine.start(starting);
  } else {
    log(`[engine] using the existing cluster at ${config.camunda.restAddress}`);
    engine.start();
  }

  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : config.api.port,
    engine,
    mail: transport.description,
    database: db.location,
    async stop(say = () => undefined) {
      for (const { what, stop } of stops.splice(0).reverse()) {
        try {
          await stop();
          say(`  stopped ${what}`);
        } catch (err) {
          say(`  could not stop ${what}: ${(err as Error).message}`);
        }
      }
    },
  };
}
