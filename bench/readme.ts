/**
 * Writes the latest benchmark figures into README.md, between `<!-- bench:e2e figures -->` and
 * `<!-- /bench:e2e figures -->`: `npx tsx bench/readme.ts [note]` after `npm run bench:e2e` (and
 * `npm run bench:search` when it ran on its own). `note` (optional) is put after the header line,
 * e.g. that the machine was shared. What bounds the figures is written by hand after the block.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SearchReport } from './search';
import type { DriverStats, Summary } from './task-driver';

interface Run {
  kind: 'baseline' | 'real';
  instances: number;
  completed: number;
  failed: number;
  seconds: number;
  perSecond: number;
  latencyMs: Summary;
  jobMs: Record<string, Summary>;
  userTasks: DriverStats;
  rssMb: { start: number; end: number };
  loadAverage: { start: number[]; end: number[] };
  db?: { rowsPerEnrollment: number; bytesPerEnrollment: number };
}

interface E2eReport {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; platform: string; node: string };
  engine: { version: string; local: boolean };
  inFlight: number;
  maxJobsActive: number;
  driverParallel?: number;
  engineSettings?: Record<string, string>;
  runs: Run[];
  ratios: Array<{ instances: number; realOverBaseline: number }>;
  objectSearch?: SearchReport;
}

const ROOT = path.join(__dirname, '..');
const START = '<!-- bench:e2e figures -->';
const END = '<!-- /bench:e2e figures -->';
const n = (x: number) => x.toLocaleString('en-US');
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export function figures(e2e: E2eReport, search: SearchReport | undefined, note: string | undefined): string {
  const m = e2e.machine;
  const settings = e2e.engineSettings && Object.keys(e2e.engineSettings).length ? `; engine settings ${Object.entries(e2e.engineSettings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}` : '';
  const out: string[] = [
    `Latest figures (${when(e2e.date)}; Camunda ${e2e.engine.version} ${e2e.engine.local ? 'local engine with OpenSearch' : 'engine'}; ${m.cpus} vCPU ${m.cpuModel}, ${m.memoryGb} GB, ${m.platform}, Node ${m.node}; ${e2e.inFlight} instances in flight, ${e2e.maxJobsActive} jobs per worker, ${e2e.driverParallel ?? 8} user tasks driven at once${settings}).${note ? ` ${note}` : ''}`,
    '',
    '| run | instances | completed | done/s | p50 ms | p95 ms | p99 ms | RSS start→end MB | rows / enrollment | bytes / enrollment | load |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    ...e2e.runs.map(
      (r) =>
        `| ${r.kind} | ${n(r.instances)} | ${n(r.completed)} | ${r.perSecond.toFixed(2)} | ${n(r.latencyMs.p50)} | ${n(r.latencyMs.p95)} | ${n(r.latencyMs.p99)} | ${r.rssMb.start}→${r.rssMb.end} | ${r.db?.rowsPerEnrollment ?? ''} | ${r.db?.bytesPerEnrollment ?? ''} | ${r.loadAverage.end[0]} |`,
    ),
    '',
    'Job activation → completion (p50 / p95 ms):',
    '',
    ...e2e.runs.map((r) => `- ${r.kind} × ${n(r.instances)}: ${Object.entries(r.jobMs).map(([t, s]) => `\`${t}\` ${s.p50} / ${s.p95}`).join(', ')}`),
    '',
    'Where a user task\'s time goes (p50 / p95 ms): from its creation in the engine to the driver\'s search finding it, waiting for a free driver slot, the claim, the completion (Tasklist\'s API); tasks the search still listed as open after their completion (most in one round):',
    '',
    ...e2e.runs.map((r) => {
      const u = r.userTasks;
      const f = (s: Summary) => `${n(s.p50)} / ${n(s.p95)}`;
      return `- ${r.kind} × ${n(r.instances)}: found ${f(u.createdToFoundMs)}, queued ${f(u.queuedMs)}, claim ${f(u.claimMs)}, complete ${f(u.completeMs)}; stale ${u.maxStale}`;
    }),
    '',
    `Ratio real / baseline (instances completed per second): ${e2e.ratios.map((x) => `${x.realOverBaseline.toFixed(2)} at ${n(x.instances)}`).join(', ')} (target ≥ 0.8).`,
    '',
    '![Instances completed per second against instances per run](bench/results/e2e-throughput.svg)',
  ];
  if (search) {
    out.push(
      '',
      search.before.some((b) => b.name.startsWith('assets:'))
        ? `The store's object search (\`GET /api/certificates?state=&text=\` and \`GET /api/assets?…\`: the page and its total) over ${n(search.certificates)} certificates and as many assets, ${search.runs} runs each (${when(search.date)}), before and after migrations 111 and 145's indexes (ms):`
        : `The store's object search (\`GET /api/certificates?state=&text=\`: the page and its total) over ${n(search.certificates)} certificates, ${search.runs} runs each (${when(search.date)}), before and after migration 111's indexes (ms):`,
      '',
      '| search | matches | p50 before | p95 before | p50 after | p95 after |',
      '|---|---:|---:|---:|---:|---:|',
      ...search.before.map((b) => {
        const a = search.after.find((x) => x.name === b.name)!;
        return `| ${b.name} | ${n(b.total)} | ${b.p50} | ${b.p95} | ${a.p50} | ${a.p95} |`;
      }),
    );
  }
  return out.join('\n');
}

if (require.main === module) {
  const e2e = JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'e2e-latest.json'), 'utf8')) as E2eReport;
  const searchFile = path.join(__dirname, 'results', 'search-latest.json');
  const search = e2e.objectSearch ?? (fs.existsSync(searchFile) ? (JSON.parse(fs.readFileSync(searchFile, 'utf8')) as SearchReport) : undefined);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} block`);
  fs.writeFileSync(path.join(ROOT, 'README.md'), `${readme.slice(0, a + START.length)}\n${figures(e2e, search, process.argv[2])}\n${readme.slice(b)}`);
  console.log('README.md: figures updated');
}
