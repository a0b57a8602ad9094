/**
 * For process suites: the run's engine with the project's models and forms deployed and the
 * application's own workers running against the run's database, CA and SMTP server — once per
 * run. Fails the suite where the engine cannot be had.
 */
import type { Context } from 'mocha';
import { deployAll } from '../../src/engine/deploy';
import { completeListenerJob, credentialsFor } from '../../src/engine/rest';
import { createMailer } from '../../src/mail/mailer';
import { createMailTransport } from '../../src/mail/transport';
import { createAllHandlers } from '../../workers';
import { registerWorkers, type RegisteredWorkers } from '../../workers/register';
import { testCa } from '../integration/ca/support';
import { requireEngine, type TestEngine } from './engine';
import { createCompletedTaskSource } from '../../src/engine/completed-tasks';
import { onRunEnd } from './lifecycle';
import { claimWorkers } from '../../src/engine/workers-lock';
import { testSmtp } from './smtp';

let pending: Promise<void> | undefined;

async function deployAndWork(engine: TestEngine): Promise<void> {
  if (engine.config.camunda.startLocalEngine) {
    const release = claimWorkers(engine.config.dataDir, 'npm test');
    onRunEnd(async () => release());
  }
  const { ca, db, masterKey } = await testCa();
  const smtp = await testSmtp();
  await deployAll(engine.clients.rest, { log: () => undefined });
  const { camunda } = engine.config;
  const register = () => registerWorkers(
    engine.clients.zeebe,
    createAllHandlers({
      pool: db.pool,
      ca,
      sealer: masterKey,
      mailer: createMailer(db.pool, createMailTransport({ smtpUrl: smtp.url, from: 'workplace-pki@example.test', captureDir: '/unused' })),
      tasklistUrl: camunda.tasklistUrl,
      publicUrl: 'https://pki.example.test',
      secretLinkTtlMinutes: 10,
      completedTasks: createCompletedTaskSource(async () => engine.api),
    }),
    (jobKey, verdict) => completeListenerJob(engine.restAddress, credentialsFor(engine.config), jobKey, verdict),
    () => undefined,
  );
  let workers: RegisteredWorkers | undefined = register();
  onRunEnd(async () => workers?.close());
  suspend = async () => {
    const running = workers;
    workers = undefined;
    await running?.close();
    return async () => {
      workers ??= register();
    };
  };
}

let suspend: (() => Promise<() => Promise<void>>) | undefined;

/**
 * Stops the run's own workers until the returned function is called — for the fault suite
 * (test/faults), whose workers must be the only ones taking jobs (a worker process it kills, a
 * CA that fails). Nothing to stop when no suite has started them.
 */
export async function suspendAppWorkers(): Promise<() => Promise<void>> {
  if (pending) await pending;
  return suspend ? suspend() : async () => undefined;
}

/** The engine with the application deployed and its workers running. */
export async function appEngine(ctx: Context): Promise<TestEngine> {
  const engine = await requireEngine(ctx);
  pending ??= deployAndWork(engine);
  await pending;
  return engine;
}
