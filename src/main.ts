/**
 * `npm start`: the one composition root. With nothing configured it brings up the whole thing
 * on embedded defaults — an embedded PostgreSQL, a mail capture folder, the API (with the CRL
 * and the CA chain) at once, and the local Camunda engine beside it — then deploys bpmn/ and
 * forms/ and starts the job workers when the engine is there, prints the URLs and the demo
 * users, and stops it all on Ctrl-C. Each default gives way to configuration (see
 * src/config.ts and the README). The assembly itself is src/application.ts.
 */
import { loadConfig } from './config';
import { startApplication, type RunningApplication, type Stoppable } from './application';
import { DEMO_USERS } from './engine/identity';

const log = (line: string) => console.log(line);

/** What has started so far, for a start that fails half way. */
const started: Stoppable[] = [];
let running: RunningApplication | undefined;
let stopping: number | undefined;

/**
 * A terminal's Ctrl-C can reach this process more than once (from the terminal, relayed by npm):
 * a repeat within a few seconds is that echo and must not cut the stop short (the engine's
 * processes would be left running); a later one is the user insisting. `npm start` runs this
 * file with `node --import tsx`, not the `tsx` command: its signal relay SIGKILLs a child that
 * does not acknowledge a signal within 30 ms, which a busy machine misses mid-stop.
 */
const ECHO_MS = 3_000;

async function shutdown(code: number): Promise<never> {
  if (stopping !== undefined) {
    if (Date.now() - stopping < ECHO_MS) return new Promise<never>(() => undefined);
    console.error('stopping anyway: what was not stopped yet may still run (npm run engine:down stops the local engine)');
    process.exit(code);
  }
  stopping = Date.now();
  if (running) {
    log('\nstopping ...');
    await running.stop(log);
  } else if (started.length > 0) {
    log('\nstopping ...');
    for (const { what, stop } of started.splice(0).reverse()) {
      try {
        await stop();
        log(`  stopped ${what}`);
      } catch (err) {
        console.error(`  could not stop ${what}: ${(err as Error).message}`);
      }
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const config = loadConfig();
  log('Workplace PKI for Camunda 8 — starting');
  running = await startApplication(config, log, started);
  log(`
Workplace PKI is running (the API serves now; Camunda: ${running.engine.status().detail}).
  Tasklist  ${config.camunda.tasklistUrl}
  Operate   ${config.camunda.operateUrl}
  Console   ${config.api.publicUrl}/console/
  API       ${config.api.publicUrl}/api/health   (shows whether Camunda is up)
  CRL       ${config.api.publicUrl}/api/crl
  Mail      ${running.mail}
${config.camunda.startLocalEngine ? `  Demo users (user / password): ${DEMO_USERS.map((u) => `${u.username}/${u.password}`).join(', ')}\n` : ''}Press Ctrl-C to stop.`);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch(async (err: Error) => {
  console.error(`\nWorkplace PKI could not start: ${err.message}`);
  await shutdown(1);
});
