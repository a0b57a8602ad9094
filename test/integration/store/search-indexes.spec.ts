import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { listMigrations, migrate, MIGRATIONS_DIR } from '../../../src/store/migrate';
import type { Queryable } from '../../../src/store/db';
import type { SearchParams } from '../../../src/store/validate';
import { searchAssets } from '../../../src/store/assets';
import { searchProfiles } from '../../../src/store/profiles';
import { searchRequests } from '../../../src/store/requests';
import { searchCards } from '../../../src/store/cards';
import { withEmptyDatabase } from '../../support/database';

const ROWS = 20000;
const INDEX_MIGRATION = '145_object_search_indexes';

/** Rows enough that a sequential scan costs more than the indexes (each row matches one text only). */
const FILL = [
  `INSERT INTO assets (name, description, dns_names, common_name, state)
   SELECT 'asset-' || lpad(i::text, 5, '0'), 'Server in rack ' || (i % 50), ARRAY['asset-' || lpad(i::text, 5, '0') || '.corp.example.com'],
          'asset-' || lpad(i::text, 5, '0') || '.corp.example.com', CASE WHEN i % 10 = 0 THEN 'Inactive' ELSE 'Active' END
   FROM generate_series(1, ${ROWS}) AS i`,
  `INSERT INTO certificate_profiles (name, description, protocol, key_algorithm, min_key_size, validity_days, subject_template, state)
   SELECT 'profile-' || lpad(i::text, 5, '0'), 'Profile for team ' || (i % 50), 'P10', 'EC', 256, 365, 'CN={commonName}',
          CASE WHEN i % 10 = 0 THEN 'Inactive' ELSE 'Active' END
   FROM generate_series(1, ${ROWS}) AS i`,
  `INSERT INTO requests (type, requester, use_case, details, state)
   SELECT 'enrollment', 'user-' || lpad(i::text, 5, '0'), 'EnrollP10', jsonb_build_object('commonName', 'req-' || lpad(i::text, 5, '0') || '.corp.example.com'),
          CASE WHEN i % 10 = 0 THEN 'Completed' ELSE 'Registered' END
   FROM generate_series(1, ${ROWS}) AS i`,
  `INSERT INTO cards (card_type_id, serial_number, holder_name, holder_email, state)
   SELECT CASE WHEN i % 2 = 0 THEN 'smart-card' ELSE 'virtual-smart-card' END, 'SN-' || lpad(i::text, 5, '0'), 'Holder ' || i,
          'holder-' || lpad(i::text, 5, '0') || '@corp.example.com', CASE WHEN i % 10 = 0 THEN 'inactive' ELSE 'active' END
   FROM generate_series(1, ${ROWS}) AS i`,
];

type Search = (q: Queryable, params: SearchParams) => Promise<{ total: number }>;

/** One text per collection, matching one row through one of its searched columns (the others must be indexed too, or the OR cannot use any). */
const CASES: Array<{ table: string; search: Search; params: SearchParams }> = [
  { table: 'assets', search: searchAssets, params: { text: 'asset-04242.' } },
  { table: 'certificate_profiles', search: searchProfiles, params: { text: 'profile-04242' } },
  { table: 'requests', search: searchRequests, params: { text: 'req-04242.' } },
  { table: 'cards', search: searchCards, params: { text: 'holder-04242@' } },
  { table: 'cards', search: (q, p) => searchCards(q, { ...p, cardTypeId: 'smart-card' }), params: { text: 'SN-04242', state: 'active' } },
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function scans(node: PlanNode): string[] {
  const own = node['Index Name'] ?? (node['Node Type'] === 'Seq Scan' ? `Seq Scan on ${node['Relation Name']}` : undefined);
  return [...(own ? [own] : []), ...(node.Plans ?? []).flatMap(scans)];
}

/** The scans of each query the repository runs for this search (the total's, then the page's), from EXPLAIN. */
async function plans(pool: Pool, search: Search, params: SearchParams): Promise<string[][]> {
  const seen: string[][] = [];
  const spy = {
    query: async (sql: string, values?: unknown[]) => {
      const r = await pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
      seen.push(scans(r.rows[0]!['QUERY PLAN'][0]!.Plan));
      return pool.query(sql, values);
    },
  };
  const page = await search(spy as unknown as Queryable, params);
  expect(page.total, `${JSON.stringify(params)} matches one row`).to.equal(1);
  return seen;
}

describe('store: object search indexes (assets, profiles, requests, cards)', function () {
  this.timeout(120_000);

  it('when a collection is searched by text on a big table, then its total and its page read the trigram indexes (a sequential scan before migration 145)', async () => {
    await withEmptyDatabase(async (pool) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-search-migrations-'));
      try {
        for (const m of listMigrations()) if (m.name !== INDEX_MIGRATION) fs.writeFileSync(path.join(dir, `${m.name}.sql`), m.sql);
        await migrate(pool, dir);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      for (const sql of FILL) await pool.query(sql);
      await pool.query('ANALYZE');
      for (const c of CASES) {
        const before = await plans(pool, c.search, c.params);
        expect(before.flat().some((s) => s.endsWith('_trgm')), `${c.table} before: ${before.join(' | ')}`).to.equal(false);
      }

      await migrate(pool, MIGRATIONS_DIR);
      await pool.query('ANALYZE');
      for (const c of CASES) {
        const after = await plans(pool, c.search, c.params);
        expect(after, `${c.table} ${JSON.stringify(c.params)}`).to.have.length(2);
        for (const scanned of after) {
          expect(scanned.some((s) => s.startsWith(`${c.table}_`) && s.endsWith('_trgm')), `${c.table} after: ${scanned.join(', ')}`).to.equal(true);
          expect(scanned.filter((s) => s.startsWith('Seq Scan')), `${c.table} after`).to.deep.equal([]);
        }
      }
    });
  });
});
