/**
 * The project's job workers as a process of their own, for the fault suite to kill (issue 15.1).
 * Started by `startWorkerProcess` (worker-process.ts), never by hand. Everything is the
 * application's: the handlers of workers/, registered with workers/register.ts, on the given
 * database and its built-in CA, mail through the outbox to the given SMTP server. Only the timings
 * are the suite's: a short job timeout (a killed worker's job comes back soon) and short retry
 * backoffs.
 *
 * Environment (set by worker-process.ts):
 *   WPKI_FAULT_DATABASE_URL   the database (migrated here if it is not yet)
 *   WPKI_FAULT_MASTER_KEY     the CA's master key, hex
 *   WPKI_FAULT_CA_NAME        the CA's name (the run's test CA: 'Test PKI')
 *   WPKI_FAULT_SMTP_URL       where mail goes
 *   WPKI_FAULT_POINT          optional `<point>:<subject>` (src/fault-points.ts): stop there, say
 *                             so on stdout, and wait to be killed
 *   WPKI_FAULT_JOB_TIMEOUT_MS job timeout of every job type (default 10000)
 *   WPKI_FAULT_BACKOFF_MS     retry backoff (default 300)
 * plus the run's engine configuration (ZEEBE_*, CAMUNDA_*), read by src/config.ts as usual.
 *
 * Lines on stdout the parent waits for: `WORKERS READY`, `FAULT POINT REACHED <point> <subject>`.
 */
import { loadConfig } from '../../../src/config';
import { createBuiltinCa } from '../../../src/ca/builtin-ca';
import { guardCa } from '../../../src/ca/guarded';
import { MasterKey } from '../../../src/ca/master-key';
import { createCamundaClients } from '../../../src/engine/client';
import { createCompletedTaskSource } from '../../../src/engine/completed-tasks';
import { lazyEngineApi } from '../../../src/engine/engine-api';
import { completeListenerJob, credentialsFor } from '../../../src/engine/rest';
import { armFaultPoint, type FaultPointName } from '../../../src/fault-points';
import { createMailer, startOutboxDispatcher } from '../../../src/mail/mailer';
import { createMailTransport } from '../../../src/mail/transport';
import { createPool } from '../../../src/store/db';
import { migrate } from '../../../src/store/migrate';
import { createAllHandlers } from '../../../workers';
import { registerWorkers } from '../../../workers/register';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (this program is started by test/faults/support/worker-process.ts)`);
  return v;
}

async function main(): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fault = process.env.WPKI_FAULT_POINT;
  if (fault) {
    const [point, subject] = fault.split(':', 2) as [FaultPointName, string];
    armFaultPoint(point, subject, (what) => say(`FAULT POINT REACHED ${what}`));
  }
  const config = loadConfig();
  const pool = createPool({ connectionString: required('WPKI_FAULT_DATABASE_URL'), max: 12, applicationName: 'wpki-fault-worker', log });
  await migrate(pool);
  const masterKey = new MasterKey(Buffer.from(required('WPKI_FAULT_MASTER_KEY'), 'hex'));
  const caName = process.env.WPKI_FAULT_CA_NAME ?? 'Test PKI';
  const ca = await createBuiltinCa({ pool, masterKey, name: caName, publicUrl: 'https://pki.example.test', secretTtlMinutes: 60, rootKey: { algorithm: 'EC', curve: 'P-384' } });
  const transport = createMailTransport({ smtpUrl: required('WPKI_FAULT_SMTP_URL'), from: 'workplace-pki@example.test', captureDir: '/unused', connectionTimeoutMs: 1000, greetingTimeoutMs: 1000, socketTimeoutMs: 3000 });
  const mailer = createMailer(pool, transport);
  const outbox = startOutboxDispatcher(mailer, { intervalMs: 300, log });
  const clients = createCamundaClients(config, log);
  const jobTimeoutMs = Number(process.env.WPKI_FAULT_JOB_TIMEOUT_MS ?? 10_000);
  const backOffMs = Number(process.env.WPKI_FAULT_BACKOFF_MS ?? 300);
  const handlers = createAllHandlers({
    pool,
    ca: guardCa(ca, { name: caName, timeoutMs: Math.max(1000, jobTimeoutMs - 2000) }),
    sealer: masterKey,
    mailer,
    tasklistUrl: config.camunda.tasklistUrl,
    publicUrl: 'https://pki.example.test',
    secretLinkTtlMinutes: 10,
    completedTasks: createCompletedTaskSource(lazyEngineApi(config)),
  }).map((h) => ({ ...h, timeoutMs: jobTimeoutMs }));
  const workers = registerWorkers(
    clients.zeebe,
    handlers,
    (jobKey, verdict) => completeListenerJob(config.camunda.restAddress, credentialsFor(config), jobKey, verdict),
    log,
    { sdkLog: clients.workerLog, retryBackOff: () => backOffMs },
  );
  say('WORKERS READY');
  process.once('SIGTERM', () => {
    void (async () => {
      await workers.close();
      await outbox.stop();
      await clients.close();
      transport.close();
      await pool.end();
      process.exit(0);
    })();
  });
}

main().catch((err: Error) => {
  process.stderr.write(`worker process failed to start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
