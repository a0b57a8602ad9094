/**
 * End-to-end benchmark on the real engine (issue 14), run on demand with `npm run bench:e2e`;
 * not a test. It starts the local engine (or uses ZEEBE_REST_ADDRESS's), and for each instance
 * count runs, one after the other:
 *
 * 1. the baseline — models of the same shape as a P10 enrollment without approval (e2e-baseline.ts)
 *    with no-op workers; and
 * 2. real P10 enrollments without approval — the application's workers, a fresh PostgreSQL
 *    database, the built-in CA (a fresh CSR per instance) and an SMTP capture.
 *
 * Both are driven alike: each instance is started with createProcessInstanceWithResult (its
 * start-to-end latency is the engine's own answer), and one driver finds the open user tasks
 * with the REST v2 search (every page) and claims and completes each as the requester through
 * Tasklist — the calls the engine suites make (bench/task-driver.ts, which also times each step
 * of a user task). At most BENCH_IN_FLIGHT instances run at once.
 *
 * Then, with the engine stopped, the store's object search over 100,000 certificates before and
 * after its indexes (bench/search.ts; BENCH_SEARCH_CERTIFICATES=0 leaves it out).
 *
 * Counts: 100 and 1,000 (add 10,000 with --with-10k; BENCH_COUNTS=20,50 for a quick look).
 * Output: a table, bench/results/e2e-latest.json, e2e-throughput.svg and search-latest.json.
 * The engine is one per machine: on a shared machine run it under the engine lock, e.g.
 * `flock /tmp/engine-tests.lock npm run bench:e2e`. A local engine is stopped at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { buildCsr } from '../src/ca/csr-builder';
import { loadConfig } from '../src/config';
import { createCamundaClients } from '../src/engine/client';
import { deployAll, deployFiles } from '../src/engine/deploy';
import { createEngineApi, endpointsOf, type EngineApi } from '../src/engine/engine-api';
import { demoUser } from '../src/engine/identity';
import { down, up } from '../src/engine/local-engine';
import { completeListenerJob, credentialsFor } from '../src/engine/rest';
import { claimWorkers } from '../src/engine/workers-lock';
import { createCompletedTaskSource } from '../src/engine/completed-tasks';
import { createMailer } from '../src/mail/mailer';
import { createMailTransport } from '../src/mail/transport';
import { createAsset } from '../src/store/assets';
import { createProfile } from '../src/store/profiles';
import { createAllHandlers } from '../workers';
import { registerWorkers, type RegisteredWorkers } from '../workers/register';
import { defineHandler } from '../workers/runtime';
import { z } from 'zod';
import { testCa } from '../test/integration/ca/support';
import { runCleanups } from '../test/support/lifecycle';
import { testSmtp } from '../test/support/smtp';
import { BASELINE_CHILD, BASELINE_JOB_TYPES, BASELINE_PARENT, writeBaselineModels } from './e2e-baseline';
import { lineChartSvg } from './chart';
import { printSearch, saveSearch, searchBeforeAndAfter, type SearchReport } from './search';
import { startTaskDriver, summary, type DriverStats } from './task-driver';

const RESULTS = path.join(__dirname, 'results');
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 48);
const SEARCH_CERTIFICATES = Number(process.env.BENCH_SEARCH_CERTIFICATES ?? 100_000);
const counts = process.env.BENCH_COUNTS
  ? process.env.BENCH_COUNTS.split(',').map(Number)
  : [100, 1000, ...(process.argv.includes('--with-10k') ? [10_000] : [])];
/** BENCH_STOP_AT (a time): no instance starts after it; the run in progress ends with what it completed. */
const STOP_AT = process.env.BENCH_STOP_AT ? Date.parse(process.env.BENCH_STOP_AT) : Infinity;
/**
 * BENCH_PHASE_MAX_SECONDS: no instance of a run starts after this long; the run ends with what it
 * completed (the table's `completed` says so). Gives baseline and real the same time when the
 * engine can be held only so long.
 */
const PHASE_MAX_MS = process.env.BENCH_PHASE_MAX_SECONDS ? Number(process.env.BENCH_PHASE_MAX_SECONDS) * 1000 : Infinity;
/** Claim-and-complete sequences the driver runs at once. */
const DRIVER_PARALLEL = Number(process.env.BENCH_DRIVER_PARALLEL ?? 8);
const REQUESTER = 'operator';
const requesterCreds = { username: REQUESTER, password: demoUser(REQUESTER).password };
const REAL_PARENT = 'AssetsProcEnrollProfile';
const REAL_CHILD = 'AssetsSubProcEnrollP10Profile';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Job durations by type, activation (arrival at the worker) to the engine's acknowledgement. */
class JobTimes {
  readonly byType = new Map<string, number[]>();
  record = (type: string, _outcome: string, ms: number) => {
    const list = this.byType.get(type) ?? [];
    list.push(ms);
    this.byType.set(type, list);
  };
  reset() {
    this.byType.clear();
  }
  summary() {
    return Object.fromEntries([...this.byType].map(([t, v]) => [t, summary(v)]));
  }
}


/** Rows and tuple bytes in every table of the store. */
async function footprint(pool: Pool): Promise<{ rows: number; bytes: number }> {
  const { rows: tables } = await pool.query<{ t: string }>(`SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS t FROM pg_stat_user_tables`);
  let rows = 0;
  let bytes = 0;
  for (const { t } of tables) {
    const r = await pool.query<{ n: string; b: string }>(`SELECT count(*) AS n, coalesce(sum(pg_column_size(x.*)), 0) AS b FROM ${t} x`);
    rows += Number(r.rows[0]!.n);
    bytes += Number(r.rows[0]!.b);
  }
  return { rows, bytes };
}

interface PhaseResult {
  kind: 'baseline' | 'real';
  instances: number;
  completed: number;
  failed: number;
  seconds: number;
  perSecond: number;
  latencyMs: ReturnType<typeof summary>;
  jobMs: Record<string, ReturnType<typeof summary>>;
  userTasks: DriverStats;
  rssMb: { start: number; end: number };
  loadAverage: { start: number[]; end: number[] };
  db?: { rowsPerEnrollment: number; bytesPerEnrollment: number };
  mails?: number;
}

interface Report {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; platform: string; node: string };
  engine: { version: string; local: boolean };
  inFlight: number;
  maxJobsActive: number;
  driverParallel: number;
  /** The engine's settings given through the environment (ZEEBE_BROKER_EXPORTERS_*), when any. */
  engineSettings: Record<string, string>;
  runs: PhaseResult[];
  ratios: Array<{ instances: number; realOverBaseline: number }>;
  objectSearch: SearchReport | undefined;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = (line: string) => console.log(`  ${line}`);
  console.log(`End-to-end benchmark — counts ${counts.join(', ')}, ${IN_FLIGHT} instances in flight, Node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`);
  const handle = await up({ config, fresh: true, log });
  const stopEngine = config.camunda.startLocalEngine;
  const clients = createCamundaClients(config);
  let finish: (search: SearchReport | undefined) => Report;
  try {
    const releaseWorkers = config.camunda.startLocalEngine ? claimWorkers(config.dataDir, 'bench:e2e') : () => undefined;
    try {
      finish = await run(config, clients, createEngineApi(endpointsOf(config), handle.capabilities), handle.capabilities.version, handle.restAddress);
    } finally {
      releaseWorkers();
    }
  } finally {
    await clients.close().catch(() => undefined);
    await runCleanups();
    if (stopEngine) await down({ config, log });
  }
  // The object search needs no engine: it runs after the engine is stopped.
  let search: SearchReport | undefined;
  if (SEARCH_CERTIFICATES > 0) {
    console.log(`  object search over ${SEARCH_CERTIFICATES.toLocaleString('en-US')} certificates (bench/search.ts) …`);
    try {
      search = await searchBeforeAndAfter(SEARCH_CERTIFICATES, log);
      saveSearch(search);
    } catch (err) {
      // The engine runs' figures (an hour at 1,000 instances) are still printed and kept.
      console.error(`  the object search failed: ${(err as Error).stack ?? (err as Error).message}`);
      process.exitCode = 1;
    } finally {
      await runCleanups();
    }
  }
  printTable(finish(search));
  if (search) printSearch(search);
  console.log(`\n  written: bench/results/e2e-latest.json, bench/results/e2e-throughput.svg${search ? ', bench/results/search-latest.json' : ''}`);
}

/** Runs every count, baseline then real; returns what writes the report (with the object search, once it has run). */
async function run(config: ReturnType<typeof loadConfig>, clients: ReturnType<typeof createCamundaClients>, api: EngineApi, engineVersion: string, restAddress: string): Promise<(search: SearchReport | undefined) => Report> {
  const { ca, db, masterKey } = await testCa();
  const pool = db.pool;
  const smtp = await testSmtp();
  await deployAll(clients.rest, { log: () => undefined });
  const baselineModels = writeBaselineModels();
  try {
    await deployFiles(clients.rest, baselineModels);
  } finally {
    // The models were written to a temporary folder only to be deployed.
    fs.rmSync(path.dirname(baselineModels[0]!), { recursive: true, force: true });
  }

  const times = new JobTimes();
  const quiet = () => undefined;
  const register = (handlers: Parameters<typeof registerWorkers>[1]): RegisteredWorkers =>
    registerWorkers(clients.zeebe, handlers, (jobKey, verdict) => completeListenerJob(restAddress, credentialsFor(config), jobKey, verdict), quiet, {
      maxJobsActive: config.workers.maxJobsActive,
      onJobDone: times.record,
    });
  const noop = BASELINE_JOB_TYPES.map((type) => defineHandler({ type, input: z.object({}).passthrough(), output: z.object({}), handle: async () => ({}) }));
  const workers = [
    register(noop),
    register(
      createAllHandlers({
        pool,
        ca,
        sealer: masterKey,
        mailer: createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'workplace-pki@example.test', captureDir: '/unused' })),
        tasklistUrl: config.camunda.tasklistUrl,
        publicUrl: 'https://pki.example.test',
        secretLinkTtlMinutes: 10,
        completedTasks: createCompletedTaskSource(async () => api),
      }),
    ),
  ];

  const actor = { actor: 'bench' };
  const profile = await createProfile(
    pool,
    { name: 'bench-p10', protocol: 'P10', keyAlgorithm: 'EC', minKeySize: 256, validityDays: 365, subjectTemplate: 'CN={commonName},O=Example', allowedDnsSuffixes: ['corp.example.com'] },
    actor,
  );
  const cn = 'bench.corp.example.com';
  const csrPem = () => {
    const der = buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }), commonName: cn, dnsNames: [cn] });
    return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  };
  const variablesFor = (elementId: string): Record<string, unknown> =>
    elementId === 'Task_UploadCsr' ? { csr: csrPem(), nextAction: 'next' } : elementId === 'Task_EditRequest' ? { commonName: cn, dnsNames: cn, nextAction: 'next' } : {};

  const phase = async (kind: PhaseResult['kind'], n: number): Promise<PhaseResult> => {
    const real = kind === 'real';
    // Each enrollment needs its own asset: made before the clock starts, like the profile.
    const assets = real ? await Promise.all(Array.from({ length: n }, (_, i) => createAsset(pool, { name: `bench-${n}-${i}-${Date.now()}`, commonName: cn, dnsNames: [cn] }, actor))) : [];
    const before = real ? await footprint(pool) : undefined;
    const mailsBefore = smtp.inbox.length;
    times.reset();
    const driver = startTaskDriver({ api, processDefinitionId: real ? REAL_CHILD : BASELINE_CHILD, user: requesterCreds, variablesFor, parallel: DRIVER_PARALLEL });
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const rssStart = process.memoryUsage().rss;
    const loadStart = os.loadavg();
    const started = performance.now();
    // A line a minute, so that a long run shows it is moving (and a broken one shows it early).
    let lastMoved = { at: performance.now(), tasks: 0 };
    const progress = setInterval(() => {
      const u = driver.stats();
      const now = performance.now();
      if (u.completed !== lastMoved.tasks) lastMoved = { at: now, tasks: u.completed };
      const still = Math.round((now - lastMoved.at) / 1000);
      console.log(
        `    … ${latencies.length}/${n} done after ${Math.round((now - started) / 1000)} s; user tasks ${u.completed} done, ${u.failures} failed; RSS ${mb(process.memoryUsage().rss)} MB` +
          // Camunda 8.6.0's Tasklist stops importing for good on a task created at an exact second (README, Performance).
          (still >= 120 ? `; no user task for ${still} s: has Tasklist's import stalled? (its log: "failed to parse field [creationTime]")` : ''),
      );
    }, 60_000);
    await Promise.all(
      Array.from({ length: Math.min(IN_FLIGHT, n) }, async () => {
        while (next < n && Date.now() < STOP_AT && performance.now() - started < PHASE_MAX_MS) {
          const i = next++;
          const t0 = performance.now();
          try {
            await clients.zeebe.createProcessInstanceWithResult({
              bpmnProcessId: real ? REAL_PARENT : BASELINE_PARENT,
              variables: real ? { requester: REQUESTER, requesterEmail: `${REQUESTER}@example.test`, profileId: profile.id, assetId: assets[i]!.id } : { requester: REQUESTER },
              requestTimeout: 15 * 60_000,
            });
            latencies.push(performance.now() - t0);
          } catch (err) {
            failed++;
            if (failed <= 5) console.log(`    ${kind} instance ${i}: ${(err as Error).message}`);
          }
        }
      }),
    );
    clearInterval(progress);
    const seconds = (performance.now() - started) / 1000;
    await driver.stop();
    const after = real ? await footprint(pool) : undefined;
    const result: PhaseResult = {
      kind,
      instances: n,
      completed: latencies.length,
      failed,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round((latencies.length / seconds) * 100) / 100,
      latencyMs: summary(latencies),
      jobMs: times.summary(),
      userTasks: driver.stats(),
      rssMb: { start: mb(rssStart), end: mb(process.memoryUsage().rss) },
      loadAverage: { start: loadStart.map((x) => Math.round(x * 100) / 100), end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    };
    if (before && after && latencies.length) {
      result.db = { rowsPerEnrollment: Math.round(((after.rows - before.rows) / latencies.length) * 10) / 10, bytesPerEnrollment: Math.round((after.bytes - before.bytes) / latencies.length) };
      // Mail is sent after the commit (outbox): give the last ones a moment.
      await sleep(2000);
      result.mails = smtp.inbox.length - mailsBefore;
    }
    return result;
  };

  const results: PhaseResult[] = [];
  for (const n of counts) {
    for (const kind of ['baseline', 'real'] as const) {
      if (Date.now() >= STOP_AT) break;
      console.log(`  ${kind} × ${n} …`);
      const r = await phase(kind, n);
      results.push(r);
      // Written after every run, so that a long run stopped half-way still leaves its figures.
      save(results, undefined);
      console.log(`    ${r.completed}/${n} in ${r.seconds}s = ${r.perSecond}/s, p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, RSS ${r.rssMb.start}→${r.rssMb.end} MB, load ${r.loadAverage.end[0]}`);
    }
  }
  await Promise.all(workers.map((w) => w.close()));

  return (search) => save(results, search);

  function save(results: PhaseResult[], search: SearchReport | undefined): Report {
    const done = counts.filter((n) => results.some((r) => r.kind === 'real' && r.instances === n) && results.some((r) => r.kind === 'baseline' && r.instances === n));
    const report: Report = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memoryGb: Math.round(os.totalmem() / 1024 ** 3), platform: `${os.type()} ${os.release()}`, node: process.version },
      engine: { version: engineVersion, local: config.camunda.startLocalEngine },
      inFlight: IN_FLIGHT,
      maxJobsActive: config.workers.maxJobsActive,
      driverParallel: DRIVER_PARALLEL,
      engineSettings: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('ZEEBE_BROKER_EXPORTERS_') && e[1] !== undefined)),
      runs: results,
      ratios: done.map((n) => {
        const b = results.find((r) => r.kind === 'baseline' && r.instances === n)!;
        const r = results.find((x) => x.kind === 'real' && x.instances === n)!;
        return { instances: n, realOverBaseline: Math.round((r.perSecond / b.perSecond) * 100) / 100 };
      }),
      objectSearch: search,
    };
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'e2e-latest.json'), JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(
      path.join(RESULTS, 'e2e-throughput.svg'),
      lineChartSvg(`Instances completed per second (Camunda ${engineVersion})`, 'instances per run', 'completed / s', [
        { name: 'baseline (no-op)', color: '#8a8a8a', points: results.filter((r) => r.kind === 'baseline').map((r) => ({ x: r.instances, y: r.perSecond })) },
        { name: 'P10 enrollment', color: '#0f62fe', points: results.filter((r) => r.kind === 'real').map((r) => ({ x: r.instances, y: r.perSecond })) },
      ]),
    );
    return report;
  }
}

function printTable(report: Report): void {
  const pad = (s: unknown, w: number) => String(s).padStart(w);
  console.log(`\n  ${'run'.padEnd(9)} ${pad('n', 6)} ${pad('done/s', 8)} ${pad('p50 ms', 8)} ${pad('p95 ms', 8)} ${pad('p99 ms', 8)} ${pad('RSS MB', 13)} ${pad('rows/enr', 9)} ${pad('bytes/enr', 10)} ${pad('load', 5)}`);
  for (const r of report.runs) {
    console.log(
      `  ${r.kind.padEnd(9)} ${pad(r.instances, 6)} ${pad(r.perSecond.toFixed(2), 8)} ${pad(r.latencyMs.p50, 8)} ${pad(r.latencyMs.p95, 8)} ${pad(r.latencyMs.p99, 8)} ${pad(`${r.rssMb.start}→${r.rssMb.end}`, 13)} ${pad(r.db?.rowsPerEnrollment ?? '', 9)} ${pad(r.db?.bytesPerEnrollment ?? '', 10)} ${pad(r.loadAverage.end[0], 5)}`,
    );
  }
  console.log('\n  job activation → completion (p50 / p95 ms):');
  for (const r of report.runs) {
    console.log(`    ${r.kind} × ${r.instances}: ${Object.entries(r.jobMs).map(([t, s]) => `${t} ${s.p50}/${s.p95}`).join(', ')}`);
  }
  console.log('\n  user tasks (p50 / p95 ms): created → found by the search, queued, claim, complete; search round; most pages; most stale:');
  for (const r of report.runs) {
    const u = r.userTasks;
    const f = (s: DriverStats['claimMs']) => `${s.p50}/${s.p95}`;
    console.log(`    ${r.kind} × ${r.instances}: ${u.completed} done, ${u.failures} failed; ${f(u.createdToFoundMs)}, ${f(u.queuedMs)}, ${f(u.claimMs)}, ${f(u.completeMs)}; ${f(u.searchMs)}; ${u.maxPages}; ${u.maxStale}`);
  }
  console.log('\n  ratio real / baseline (instances completed per second):');
  for (const x of report.ratios) console.log(`    ${pad(x.instances, 6)}: ${x.realOverBaseline.toFixed(2)}${x.realOverBaseline >= 0.8 ? '' : '  (below the 0.8 target)'}`);
}

main().catch(async (err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
