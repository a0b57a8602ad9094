/**
 * `npm start`: the one composition root. With nothing configured it brings up the whole thing
 * on embedded defaults — the local Camunda 8.9 engine, an embedded PostgreSQL, a mail capture
 * folder — then migrates, seeds an empty database, deploys bpmn/ and forms/, starts the job
 * workers and the API, prints the URLs and the demo users, and stops it all on Ctrl-C.
 * Each default gives way to configuration (see src/config.ts and the README).
 */
import type { Server } from 'node:http';
import { loadConfig, type Config } from './config';
import { createApp } from './api/app';
import { createEngineIdentity } from './api/identity';
import { createProcessEngine } from './engine/processes';
import { startBuiltinCa } from './ca/start';
import { createCamundaClients, type CamundaClients } from './engine/client';
import { deployAll } from './engine/deploy';
import { claimWorkers } from './engine/workers-lock';
import { createCompletedTaskSource } from './engine/completed-tasks';
import { lazyEngineApi } from './engine/engine-api';
import { DEMO_USERS } from './engine/identity';
import { down, up } from './engine/local-engine';
import { completeListenerJob, credentialsFor } from './engine/rest';
import { createMailer } from './mail/mailer';
import { createMailTransport } from './mail/transport';
import { openDatabase, type OpenDatabase } from './store/database';
import { seedDemoData } from './store/seed';
import { purgeExpiredSecretLinks } from './store/secret-links';
import { createAllHandlers } from '../workers';
import { registerWorkers, type RegisteredWorkers } from '../workers/register';

const log = (line: string) => console.log(line);

/** Things to stop on the way out, last started first. */
const stops: Array<{ what: string; stop: () => Promise<unknown> }> = [];

async function shutdown(code: number): Promise<never> {
  log('\nstopping ...');
  for (const { what, stop } of stops.reverse()) {
    try {
      await stop();
      log(`  stopped ${what}`);
    } catch (err) {
      console.error(`  could not stop ${what}: ${(err as Error).message}`);
    }
  }
  process.exit(code);
}

function listen(app: ReturnType<typeof createApp>, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, () => resolve(server));
    server.on('error', reject);
  });
}

async function startEngine(config: Config): Promise<CamundaClients> {
  if (config.camunda.startLocalEngine) {
    const handle = await up({ config, log });
    if (handle.started) stops.push({ what: 'the local Camunda engine', stop: () => down({ config, log }) });
  } else {
    log(`[engine] using the existing cluster at ${config.camunda.restAddress}`);
  }
  const clients = createCamundaClients(config);
  stops.push({ what: 'the Camunda client', stop: () => clients.close() });
  return clients;
}

async function main(): Promise<void> {
  const config = loadConfig();
  log('Workplace PKI for Camunda 8 — starting');

  const db: OpenDatabase = await openDatabase(config, log);
  stops.push({ what: 'the database', stop: () => db.close() });
  const { ca, masterKey } = await startBuiltinCa(config, db.pool, log);
  if (await seedDemoData(db.pool, { ca, log })) log('[db] empty database: demo data created');
  log(`[db] ${db.location}`);

  const transport = createMailTransport(config.mail);
  stops.push({ what: 'the mail transport', stop: async () => transport.close() });
  log(`[mail] ${transport.description}`);

  const clients = await startEngine(config);
  if (config.camunda.startLocalEngine) {
    const release = claimWorkers(config.dataDir, 'npm start');
    stops.push({ what: 'the workers lock', stop: async () => release() });
  }
  await deployAll(clients.rest, { log });
  const engine = lazyEngineApi(config);

  // The workers have their own pool: a burst of jobs cannot take the API's connections (issue 17.1).
  const mailer = createMailer(db.workerPool, transport);
  const handlers = createAllHandlers({
    pool: db.workerPool,
    ca,
    mailer,
    sealer: masterKey,
    tasklistUrl: config.camunda.tasklistUrl,
    publicUrl: config.api.publicUrl,
    secretLinkTtlMinutes: config.secretLinkTtlMinutes,
    completedTasks: createCompletedTaskSource(engine),
  });
  if (config.camunda.authStrategy === 'OAUTH') {
    log('[workers] note: task listener verdicts are reported over REST with BASIC credentials; with OAUTH they will fail (see README)');
  }
  const credentials = credentialsFor(config);
  const workers: RegisteredWorkers = registerWorkers(
    clients.zeebe,
    handlers,
    (jobKey, verdict) => completeListenerJob(config.camunda.restAddress, credentials, jobKey, verdict),
    log,
    { maxJobsActive: config.workers.maxJobsActive },
  );
  stops.push({ what: 'the job workers', stop: () => workers.close() });
  log(`[workers] ${workers.types.length} job types: ${workers.types.join(', ')}`);

  const app = createApp({
    pool: db.pool,
    ca,
    sealer: masterKey,
    identity: createEngineIdentity({ engine, db: db.pool }),
    processes: createProcessEngine(clients.rest),
    tasklistUrl: config.camunda.tasklistUrl,
    log,
  });
  const server = await listen(app, config.api.port);

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
  stops.push({ what: 'the API', stop: () => new Promise((r) => server.close(r)) });

  log(`
Workplace PKI is running.
  Tasklist  ${config.camunda.tasklistUrl}
  Operate   ${config.camunda.operateUrl}
  API       ${config.api.publicUrl}/api/health
  CRL       ${config.api.publicUrl}/api/crl
  Mail      ${transport.description}
${config.camunda.startLocalEngine ? `  Demo users (user / password): ${DEMO_USERS.map((u) => `${u.username}/${u.password}`).join(', ')}\n` : ''}Press Ctrl-C to stop.`);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch(async (err: Error) => {
  console.error(`\nWorkplace PKI could not start: ${err.message}`);
  await shutdown(1);
});
