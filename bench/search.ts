/**
 * The store's object search over many certificates and assets (issue 14), run on demand with
 * `npm run bench:search` (bench:e2e runs it too); not a test, and no engine needed.
 *
 * In a throwaway database on the test server (DATABASE_URL's, else 127.0.0.1:5432, else an
 * embedded PostgreSQL), migrated without the search indexes (SEARCH_INDEX_MIGRATIONS), it
 * bulk-inserts BENCH_SEARCH_CERTIFICATES (100,000) certificates and as many assets with SQL, times
 * the same searches the API's `GET /api/certificates?state=&text=` and `GET /api/assets?…` run
 * (searchCertificates, searchAssets: the page and its total), then applies the remaining migrations and times it again: before and after the indexes.
 * Output: a table and bench/results/search-latest.json. The database is dropped at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { searchCertificates } from '../src/store/certificates';
import { searchAssets } from '../src/store/assets';
import type { Queryable } from '../src/store/db';
import type { SearchParams } from '../src/store/validate';
import { listMigrations, migrate, MIGRATIONS_DIR } from '../src/store/migrate';
import { runCleanups } from '../test/support/lifecycle';
import { withEmptyDatabase } from '../test/support/database';
import { summary } from './task-driver';

const RESULTS = path.join(__dirname, 'results');
/** Migrations that exist for the search (the "after" side): the "before" database has every other one. */
export const SEARCH_INDEX_MIGRATIONS = ['111_certificate_search_indexes', '145_object_search_indexes'];
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 40);

/**
 * How the certificates are spread over states (per 1,000): mostly valid, a long tail of ended
 * ones, few on hold — so there is a common state and a rare one to filter by.
 */
const STATES: Array<[string, number]> = [
  ['Valid', 600],
  ['Certificate expired', 200],
  ['Superseded', 150],
  ['Key compromised', 40],
  ['Certificate hold', 10],
];

/** The searches timed: what an operator types into the console's certificate list. */
export const SEARCH_CASES = [
  { name: 'text (one host)', params: { text: 'host-04242.' } },
  { name: 'text (no match)', params: { text: 'nowhere-xyz' } },
  { name: 'text (serial prefix)', params: { text: 'b1e55ed00004242' } },
  { name: 'text (every row)', params: { text: 'corp.example' } },
  { name: 'state (common: Valid)', params: { state: 'Valid' } },
  { name: 'state (rare: Certificate hold)', params: { state: 'Certificate hold' } },
  { name: 'state + text', params: { state: 'Valid', text: 'host-0424' } },
] as const;

/** The same kinds of search over assets (one collection of the others migration 145 indexes). */
export const ASSET_SEARCH_CASES = [
  { name: 'assets: text (one asset)', params: { text: 'asset-004242.' } },
  { name: 'assets: text (no match)', params: { text: 'nowhere-xyz' } },
  { name: 'assets: state (rare: Pending)', params: { state: 'Pending' } },
  { name: 'assets: state + text', params: { state: 'Active', text: 'asset-00424' } },
] as const;

type Search = (q: Queryable, params: SearchParams) => Promise<{ total: number }>;
const SEARCHES: Array<{ name: string; params: SearchParams; search: Search }> = [
  ...SEARCH_CASES.map((c) => ({ ...c, search: searchCertificates })),
  ...ASSET_SEARCH_CASES.map((c) => ({ ...c, search: searchAssets })),
];

export interface SearchTiming {
  name: string;
  total: number;
  p50: number;
  p95: number;
}

/** Inserts certificates up to `count` (one SQL statement; a profile is made when there is none) and ANALYZEs. */
export async function fillCertificates(pool: Pool, count: number): Promise<number> {
  const have = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM certificates')).rows[0]!.n);
  if (have >= count) return have;
  let profileId = (await pool.query<{ id: string }>('SELECT id FROM certificate_profiles ORDER BY id LIMIT 1')).rows[0]?.id;
  profileId ??= (
    await pool.query<{ id: string }>(
      `INSERT INTO certificate_profiles (name, protocol, key_algorithm, min_key_size, validity_days, subject_template)
       VALUES ('bench-search', 'P10', 'EC', 256, 365, 'CN={commonName},O=Example') RETURNING id`,
    )
  ).rows[0]!.id;
  const cases = STATES.map(([, per]) => per);
  const bounds = cases.map((_, i) => cases.slice(0, i + 1).reduce((a, b) => a + b, 0));
  const stateSql = `CASE ${bounds.map((b, i) => `WHEN i % 1000 < ${b} THEN '${STATES[i]![0]}'`).join(' ')} END`;
  // A PEM of a usual size (~1 KB), so a sequential scan reads as many pages as a real table.
  await pool.query(
    `INSERT INTO certificates (state, profile_id, subject, dns_names, serial, not_before, not_after, pem)
     SELECT ${stateSql}, $1,
            'CN=host-' || lpad(i::text, 5, '0') || '.corp.example.com,O=Example',
            ARRAY['host-' || lpad(i::text, 5, '0') || '.corp.example.com', 'alt-' || i || '.corp.example.com'],
            'b1e55ed' || lpad(to_hex(i), 8, '0') || substr(md5(i::text), 1, 17),
            now() - interval '30 days', now() + interval '335 days',
            '-----BEGIN CERTIFICATE-----' || repeat(md5(i::text), 28) || '-----END CERTIFICATE-----'
     FROM generate_series($2::int, $3::int) AS i`,
    [profileId, have + 1, count],
  );
  await pool.query('VACUUM ANALYZE certificates');
  return count;
}

/** Inserts `count` assets (one SQL statement; 1 in 100 Pending, 1 in 10 Inactive) and ANALYZEs. */
export async function fillAssets(pool: Pool, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO assets (name, description, dns_names, common_name, state)
     SELECT 'asset-' || lpad(i::text, 6, '0'), 'Server in rack ' || (i % 500) || ' of the example data centre',
            ARRAY['asset-' || lpad(i::text, 6, '0') || '.corp.example.com'], 'asset-' || lpad(i::text, 6, '0') || '.corp.example.com',
            CASE WHEN i % 100 = 0 THEN 'Pending' WHEN i % 10 = 0 THEN 'Inactive' ELSE 'Active' END
     FROM generate_series(1, $1::int) AS i`,
    [count],
  );
  await pool.query('VACUUM ANALYZE assets');
}

/** Times each search case `runs` times with the API's search function; p50/p95 in ms. */
export async function timeSearches(pool: Pool, runs = RUNS): Promise<SearchTiming[]> {
  const out: SearchTiming[] = [];
  for (const c of SEARCHES) {
    const ms: number[] = [];
    let total = 0;
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      const page = await c.search(pool, c.params);
      // The first two warm the cache and the connection, as a console user's second search would.
      if (i >= 2) ms.push(performance.now() - t0);
      total = page.total;
    }
    const s = summary(ms.map((x) => x * 10));
    out.push({ name: c.name, total, p50: s.p50 / 10, p95: s.p95 / 10 });
  }
  return out;
}

export interface SearchReport {
  date: string;
  certificates: number;
  runs: number;
  /** Without the migrations in SEARCH_INDEX_MIGRATIONS. */
  before: SearchTiming[];
  after: SearchTiming[];
  /** The plan of each case after, first line (which index it uses). */
  plansAfter: Record<string, string>;
}

/** Before and after the search indexes, in a throwaway database. */
export async function searchBeforeAndAfter(count: number, log: (line: string) => void = console.log): Promise<SearchReport> {
  return withEmptyDatabase(async (pool) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-bench-migrations-'));
    try {
      for (const m of listMigrations()) if (!SEARCH_INDEX_MIGRATIONS.includes(m.name)) fs.writeFileSync(path.join(dir, `${m.name}.sql`), m.sql);
      await migrate(pool, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    log(`  filling ${count.toLocaleString('en-US')} certificates and as many assets …`);
    const t0 = performance.now();
    await fillCertificates(pool, count);
    await fillAssets(pool, count);
    log(`    in ${Math.round((performance.now() - t0) / 1000)} s; timing without the search indexes …`);
    const before = await timeSearches(pool);
    await migrate(pool, MIGRATIONS_DIR);
    await pool.query('VACUUM ANALYZE certificates');
    await pool.query('VACUUM ANALYZE assets');
    log('  timing with them …');
    const after = await timeSearches(pool);
    const plansAfter: Record<string, string> = {};
    for (const c of SEARCHES) plansAfter[c.name] = await plan(pool, c.search, c.params);
    return { date: new Date().toISOString(), certificates: count, runs: RUNS, before, after, plansAfter };
  });
}

/** The scan nodes of the page query's plan (the count's is alike), e.g. "Bitmap Index Scan on certificates_subject_trgm". */
async function plan(pool: Pool, search: Search, params: SearchParams): Promise<string> {
  const seen: string[] = [];
  const spy = { query: async (sql: string, values?: unknown[]) => {
    if (/LIMIT/.test(sql)) {
      const r = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values);
      seen.push(...r.rows.map((x) => x['QUERY PLAN']).filter((l) => /Scan/.test(l)).map((l) => l.trim().replace(/^->\s*/, '').replace(/\s+\(cost.*$/, '')));
    }
    return pool.query(sql, values);
  } };
  await search(spy as unknown as Pool, params);
  return [...new Set(seen)].join('; ');
}

export function printSearch(r: SearchReport): void {
  const pad = (s: unknown, w: number) => String(s).padStart(w);
  console.log(`\n  object search, ${r.certificates.toLocaleString('en-US')} certificates and as many assets, ${r.runs} runs each (ms; before → after the search indexes)`);
  console.log(`  ${'search'.padEnd(32)} ${pad('matches', 8)} ${pad('p50 before', 11)} ${pad('p95 before', 11)} ${pad('p50 after', 10)} ${pad('p95 after', 10)}`);
  for (const b of r.before) {
    const a = r.after.find((x) => x.name === b.name)!;
    console.log(`  ${b.name.padEnd(32)} ${pad(b.total, 8)} ${pad(b.p50, 11)} ${pad(b.p95, 11)} ${pad(a.p50, 10)} ${pad(a.p95, 10)}`);
  }
  console.log('\n  plans after:');
  for (const [name, p] of Object.entries(r.plansAfter)) console.log(`    ${name}: ${p}`);
}

export function saveSearch(r: SearchReport): void {
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'search-latest.json'), JSON.stringify(r, null, 2) + '\n');
}

if (require.main === module) {
  const count = Number(process.env.BENCH_SEARCH_CERTIFICATES ?? 100_000);
  searchBeforeAndAfter(count)
    .then((r) => {
      printSearch(r);
      saveSearch(r);
      console.log('\n  written: bench/results/search-latest.json');
    })
    .catch((err: Error) => {
      console.error(err.stack ?? err.message);
      process.exitCode = 1;
    })
    .finally(() => runCleanups());
}
