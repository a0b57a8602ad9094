/**
 * Starts the project's job workers as a child process (worker-main.ts) that a fault case can
 * SIGKILL — at any moment, or exactly at an armed fault point (src/fault-points.ts) — and start
 * again. The child uses the run's engine (same configuration), and the database, CA and SMTP
 * server it is given; by default the run's test database, its CA ('Test PKI') and the run's SMTP
 * capture (test/support/smtp.ts).
 *
 * Only one set of workers may take the run's jobs at a time: call `exclusiveWorkers()`
 * (workers.ts) in the suite's `before` so the run's own in-process workers stand aside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/config';
import type { FaultPointName } from '../../../src/fault-points';
import { MASTER_KEY_BYTES, testCa } from '../../integration/ca/support';
import { onRunEnd } from '../../support/lifecycle';
import { testSmtp } from '../../support/smtp';

export interface WorkerProcessOptions {
  /** Stop at this point for this job type (`before-complete`) or effect kind (`in-transaction`). */
  faultPoint?: { point: FaultPointName; subject: string };
  /** Default: the run's test database. */
  databaseUrl?: string;
  /** Default: the run's SMTP capture. */
  smtpUrl?: string;
  /** The CA's master key; default the run's test CA's. */
  masterKey?: Buffer;
  /** Job timeout of every job type: how soon a killed worker's job is handed out again. Default 10000. */
  jobTimeoutMs?: number;
  /** Backoff of a failed job's retries. Default 300. */
  retryBackOffMs?: number;
}

export interface WorkerProcess {
  pid: number;
  /** Resolves with `<point> <subject>` when the armed fault point is reached (the process waits there). */
  faultPointReached: Promise<string>;
  /** SIGKILL: no clean-up of any kind, as a crash or an OOM kill. Resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM: the workers close and the process exits. */
  stop(): Promise<void>;
  /** The process's output so far (for a failing test's message). */
  output(): string;
}

const live = new Set<ChildProcess>();
let cleanupRegistered = false;

/** Starts the worker process and resolves once its workers are registered with the engine. */
export async function startWorkerProcess(options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const { db } = await testCa();
  const smtpUrl = options.smtpUrl ?? (await testSmtp()).url;
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    onRunEnd(async () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WPKI_FAULT_DATABASE_URL: options.databaseUrl ?? db.url,
    WPKI_FAULT_MASTER_KEY: (options.masterKey ?? MASTER_KEY_BYTES).toString('hex'),
    WPKI_FAULT_SMTP_URL: smtpUrl,
    WPKI_FAULT_JOB_TIMEOUT_MS: String(options.jobTimeoutMs ?? 10_000),
    WPKI_FAULT_BACKOFF_MS: String(options.retryBackOffMs ?? 300),
  };
  if (options.faultPoint) env.WPKI_FAULT_POINT = `${options.faultPoint.point}:${options.faultPoint.subject}`;
  else delete env.WPKI_FAULT_POINT;

  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'worker-main.ts')], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));
  let onLine: (line: string) => void = () => undefined;
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  });

  let reached: (what: string) => void = () => undefined;
  const faultPointReached = new Promise<string>((resolve) => (reached = resolve));
  const ready = new Promise<void>((resolve, reject) => {
    onLine = (line) => {
      if (line === 'WORKERS READY') resolve();
      const m = /^FAULT POINT REACHED (.*)$/.exec(line);
      if (m) reached(m[1]!);
    };
    void exited.then(() => reject(new Error(`the worker process exited before it was ready:\n${out}`)));
  });
  await ready;
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    pid: child.pid!,
    faultPointReached,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    output: () => out,
  };
}
