/**
 * The project's workers for a fault case, in this process, with one dependency made to fail: a
 * CA that throws or hangs, an SMTP server that goes away. The handlers, their registration, the
 * outbox and the CA guard are the application's (as src/application.ts puts them together); only
 * timings are short, so that retries and incidents come within seconds.
 *
 * The run's own workers (test/support/app-engine.ts) must stand aside meanwhile, or they would
 * take the jobs with the healthy CA: `exclusiveWorkers()` in the suite's `before`, and its
 * answer in `after`.
 */
import type { Context } from 'mocha';
import type { CaConnector } from '../../../src/ca/connector';
import { guardCa } from '../../../src/ca/guarded';
import { createCompletedTaskSource } from '../../../src/engine/completed-tasks';
import { completeListenerJob, credentialsFor } from '../../../src/engine/rest';
import { createMailer, startOutboxDispatcher } from '../../../src/mail/mailer';
import { createMailTransport } from '../../../src/mail/transport';
import { createAllHandlers } from '../../../workers';
import { registerWorkers } from '../../../workers/register';
import { testCa } from '../../integration/ca/support';
import { appEngine, suspendAppWorkers } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { testSmtp } from '../../support/smtp';

/**
 * The run's engine with the models deployed, and none of the run's own workers taking jobs until
 * the returned `release` is called (in the suite's `after`).
 */
export async function exclusiveWorkers(ctx: Context): Promise<{ engine: TestEngine; release: () => Promise<void> }> {
  const engine = await appEngine(ctx);
  const release = await suspendAppWorkers();
  return { engine, release };
}

export interface FaultWorkerOptions {
  /** Wraps the run's CA (e.g. `faultyCa`); default the CA as it is. */
  ca?: (ca: CaConnector) => CaConnector;
  /** Where mail goes; default the run's SMTP capture. */
  smtpUrl?: string;
  /** The CA guard's bound on one call (CA_CALL_TIMEOUT_MS). Default 2000. */
  caCallTimeoutMs?: number;
  /** Backoff of a failed job's retries. Default 200. */
  retryBackOffMs?: number;
  /** How often the outbox is tried again (MAIL_RETRY_INTERVAL_MS). Default 300. */
  mailRetryIntervalMs?: number;
}

export interface FaultWorkers {
  /** Log lines of the workers (job failures name the job and the reason). */
  log: string[];
  close(): Promise<void>;
}

/** Registers the project's workers on the run's engine, database and CA, with `options`' faults. */
export async function startFaultWorkers(engine: TestEngine, options: FaultWorkerOptions = {}): Promise<FaultWorkers> {
  const { ca, db, masterKey } = await testCa();
  const smtpUrl = options.smtpUrl ?? (await testSmtp()).url;
  const log: string[] = [];
  const say = (line: string) => log.push(line);
  const transport = createMailTransport({ smtpUrl, from: 'workplace-pki@example.test', captureDir: '/unused', connectionTimeoutMs: 1000, greetingTimeoutMs: 1000, socketTimeoutMs: 3000 });
  const mailer = createMailer(db.pool, transport);
  const outbox = startOutboxDispatcher(mailer, { intervalMs: options.mailRetryIntervalMs ?? 300, log: say });
  const workers = registerWorkers(
    engine.clients.zeebe,
    createAllHandlers({
      pool: db.pool,
      ca: guardCa((options.ca ?? ((c) => c))(ca), { name: 'Test PKI', timeoutMs: options.caCallTimeoutMs ?? 2000 }),
      sealer: masterKey,
      mailer,
      tasklistUrl: engine.config.camunda.tasklistUrl,
      publicUrl: 'https://pki.example.test',
      secretLinkTtlMinutes: 10,
      completedTasks: createCompletedTaskSource(async () => engine.api),
    }),
    (jobKey, verdict) => completeListenerJob(engine.restAddress, credentialsFor(engine.config), jobKey, verdict),
    say,
    { retryBackOff: () => options.retryBackOffMs ?? 200, sdkLog: { debug: () => undefined, info: () => undefined, error: say } },
  );
  return {
    log,
    async close() {
      await workers.close();
      await outbox.stop();
      transport.close();
    },
  };
}
