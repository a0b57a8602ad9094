/**
 * Issue 15.7: bad input through every entry point a person or client reaches — the API's bodies,
 * paths and query strings, the forms that complete user tasks on the engine, and the CSR corpus
 * through the P10 upload form. Each gets its own clear error, and nothing is written (row
 * counts). The store's own edge is tested in test/integration/store/bad-input.spec.ts; this
 * goes through the API and the engine.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createAsset } from '../../src/store/assets';
import { signedInApi, type SignedInApi } from '../support/signed-in-api';
import { testCa } from '../integration/ca/support';
import { aCard, aProfile, actor } from '../integration/store/fixtures';
import { anIssuedCertificate, rowCounts } from './support/faults-b';
import { recordFaultOutcome } from './support/outcomes';

interface Problem {
  title?: string;
  status?: number;
  detail?: string;
}

describe('faults: bad input through the API (issue 15.7)', function () {
  this.timeout(120_000);
  let api: SignedInApi;
  let pool: Pool;
  let ids: { card: number; asset: number; profile: number; certificate: number; request: number };

  before(async () => {
    pool = (await testCa()).db.pool;
    api = await signedInApi({ operator: { email: 'operator@example.com' }, demo: { email: 'demo@example.com' } });
    const card = await aCard(pool);
    const asset = await createAsset(pool, { name: `bad-input-${Date.now()}` }, actor);
    const profile = await aProfile(pool);
    const { cert } = await anIssuedCertificate(pool, (await testCa()).ca);
    ids = { card: card.id, asset: asset.id, profile: profile.id, certificate: cert.id, request: 0 };
  });
  after(() => api?.close());

  /** Sends a raw body (a string is sent as it is) with the operator's or demo's sign-in. */
  async function send(method: string, path: string, body?: string | Buffer, user = 'operator', contentType = 'application/json') {
    const res = await fetch(`${api.base}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`${user}:${user}`).toString('base64')}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body,
    });
    const text = await res.text();
    let problem: Problem | undefined;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      problem = undefined;
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', problem, text };
  }

  const json = (v: unknown) => JSON.stringify(v);
  const INJECTIONS = ["' OR '1'='1", "1; DROP TABLE assets; --", '"><script>alert(1)</script>', '${7*7}{{7*7}}', '../../../etc/passwd', '\u0000', '%00', 'a'.repeat(5000)];

  /** [what, method, path, body, user, status, what the detail must say] */
  const cases: Array<[string, string, (i: typeof ids) => string, string | Buffer | undefined, string, number, RegExp]> = [
    ['malformed JSON on a start', 'POST', (i) => `/api/cards/${i.card}/use-cases/CardsProcDeactivate`, '{"profileId": ', 'operator', 400, /not valid JSON/],
    ['JSON that is not an object', 'POST', (i) => `/api/cards/${i.card}/use-cases/CardsProcDeactivate`, '[1,2,3]', 'operator', 400, /./],
    ['a string where an id goes', 'POST', (i) => `/api/assets/${i.asset}/use-cases/AssetsProcEnrollProfile`, json({ profileId: 'seven' }), 'operator', 400, /profileId/],
    ['a negative id in the body', 'POST', (i) => `/api/assets/${i.asset}/use-cases/AssetsProcEnrollProfile`, json({ profileId: -3 }), 'operator', 400, /profileId/],
    ['a fraction as id', 'POST', (i) => `/api/assets/${i.asset}/use-cases/AssetsProcEnrollProfile`, json({ profileId: 1.5 }), 'operator', 400, /profileId/],
    ['an object as id', 'POST', (i) => `/api/certificate-profiles/${i.profile}/use-cases/AssetsProcEnrollProfile`, json({ assetId: { $gt: 0 } }), 'operator', 400, /assetId/],
    ['an unknown profile id', 'POST', (i) => `/api/assets/${i.asset}/use-cases/AssetsProcEnrollProfile`, json({ profileId: 2147483000 }), 'operator', 404, /does not exist/],
    ['an id past PostgreSQL integers', 'POST', (i) => `/api/assets/${i.asset}/use-cases/AssetsProcEnrollProfile`, json({ profileId: 9007199254740991 }), 'operator', 404, /does not exist/],
    ['an unknown field', 'POST', (i) => `/api/cards/${i.card}/use-cases/CardsProcDeactivate`, json({ cardId: 1, colour: 'red' }), 'operator', 400, /./],
    ['a huge body (70 kB)', 'POST', (i) => `/api/cards/${i.card}/use-cases/CardsProcDeactivate`, json({ x: 'y'.repeat(70_000) }), 'operator', 413, /too large/],
    ['a very huge body (5 MB)', 'POST', (i) => `/api/cards/${i.card}/use-cases/CardsProcDeactivate`, Buffer.alloc(5_000_000, 0x61), 'operator', 413, /too large/],
    ['a body that is not JSON at all', 'POST', (i) => `/api/cards/${i.card}/use-cases/CardsProcDeactivate`, '<xml/>', 'operator', 400, /./],
    ['an unknown card', 'POST', () => '/api/cards/2147483000/use-cases/CardsProcDeactivate', json({}), 'operator', 404, /card 2147483000 does not exist/],
    ['an id with SQL in it', 'GET', () => `/api/cards/${encodeURIComponent('1; DROP TABLE cards')}`, undefined, 'operator', 400, /id/],
    ['an id past PostgreSQL integers in the path', 'GET', () => '/api/cards/99999999999999999999', undefined, 'operator', 400, /id/],
    ['an unknown use case', 'POST', (i) => `/api/cards/${i.card}/use-cases/DROP%20TABLE`, json({}), 'operator', 404, /use case/],
    ['an unknown collection', 'GET', () => '/api/pg_catalog', undefined, 'operator', 404, /./],
    ['deleting an unknown request', 'DELETE', () => '/api/requests/2147483000', undefined, 'operator', 404, /request 2147483000 does not exist/],
    ['a request id that is text', 'DELETE', () => "/api/requests/1'%20OR%20'1'='1", undefined, 'operator', 400, /id/],
    ['an unknown secret link', 'POST', () => `/api/secret-links/${crypto.randomUUID()}`, undefined, 'operator', 404, /./],
    ['a secret link id with a path in it', 'POST', () => '/api/secret-links/..%2F..%2Fetc%2Fpasswd', undefined, 'operator', 400, /./],
    ['an unknown state in a search', 'GET', () => `/api/assets?state=${encodeURIComponent("Active' OR '1'='1")}`, undefined, 'operator', 400, /state/],
    ['a limit that is not a number', 'GET', () => '/api/assets?limit=ten', undefined, 'operator', 400, /limit/],
    ['a limit too large', 'GET', () => '/api/assets?limit=1000000000', undefined, 'operator', 400, /limit/],
    ['a negative offset', 'GET', () => '/api/assets?offset=-1', undefined, 'operator', 400, /offset/],
    ['a parameter given twice', 'GET', () => '/api/assets?limit=1&limit=2', undefined, 'operator', 400, /limit/],
    ['an unknown parameter', 'GET', () => '/api/certificates?where=1%3D1', undefined, 'operator', 400, /./],
    ['a wrong type for an admin option', 'PUT', () => '/api/admin/options/CardsProcDeactivate', json({ approvalStep: 'yes' }), 'demo', 400, /approvalStep/],
    ['an unknown admin option', 'PUT', () => '/api/admin/options/CardsProcDeactivate', json({ approvalStep: true, runAsRoot: true }), 'demo', 400, /./],
    ['an option of an unknown use case', 'PUT', () => `/api/admin/options/${encodeURIComponent("x'; DROP TABLE use_case_options; --")}`, json({ approvalStep: true }), 'demo', 400, /use-case symbolic name/],
    ['a card-type command switched with a string', 'PUT', () => '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate', json({ enabled: 'true' }), 'demo', 400, /enabled/],
    ['a NUL character in a JSON body', 'PUT', () => '/api/admin/options/CardsProcDeactivate', json({ approverEmails: ['a\u0000@example.com'] }), 'demo', 400, /NUL character/],
    ['a NUL character in a query', 'GET', () => '/api/assets?text=a%00b', undefined, 'operator', 400, /NUL character/],
    ['malformed JSON on an admin change', 'PUT', () => '/api/admin/options/CardsProcDeactivate', '{approvalStep: true}', 'demo', 400, /not valid JSON/],
  ];

  /** What each case got: a 500, or a write, is a case that went wrong. */
  const seen: Array<{ what: string; status: number; expected: number; wrote: boolean }> = [];

  for (const [what, method, path, body, user, status, detail] of cases) {
    it(`when ${what} comes, then ${status} with a problem that says so, and nothing is written`, async () => {
      const before = await rowCounts(pool);
      const startsBefore = api.starts.length;
      const res = await send(method, path(ids), body, user);
      const wrote = JSON.stringify(await rowCounts(pool)) !== JSON.stringify(before) || api.starts.length !== startsBefore;
      seen.push({ what, status: res.status, expected: status, wrote });
      expect(res.status, res.text.slice(0, 300)).to.equal(status);
      expect(res.type).to.contain('application/problem+json');
      expect(res.problem?.detail ?? res.problem?.title, res.text.slice(0, 300)).to.match(detail);
      expect(res.problem?.title).to.not.equal('INTERNAL');
      expect(await rowCounts(pool), 'rows').to.deep.equal(before);
      expect(api.starts.length, 'nothing started').to.equal(startsBefore);
    });
  }

  it('when search texts and ids are injection-shaped, then searches answer normally (nothing matches, nothing breaks) or refuse with 400, never 500, and nothing is written', async () => {
    const before = await rowCounts(pool);
    const answers: string[] = [];
    for (const text of INJECTIONS) {
      for (const collection of ['assets', 'certificates', 'requests', 'cards', 'certificate-profiles']) {
        const res = await send('GET', `/api/${collection}?text=${encodeURIComponent(text)}`);
        answers.push(`${collection} ${JSON.stringify(text.slice(0, 20))}: ${res.status}`);
        expect([200, 400], `${collection} text=${JSON.stringify(text.slice(0, 40))}: ${res.text.slice(0, 200)}`).to.include(res.status);
        if (res.status === 200) expect((JSON.parse(res.text) as { items: unknown[] }).items).to.deep.equal([]);
        else expect(res.problem?.detail).to.be.a('string').and.not.match(/internal/i);
      }
    }
    expect(await rowCounts(pool)).to.deep.equal(before);
    expect((await pool.query("SELECT to_regclass('assets') AS t")).rows[0].t, 'the table is still there').to.equal('assets');
  });

  after(() => {
    const wrong = seen.filter((c) => c.status !== c.expected);
    recordFaultOutcome(__filename, {
      id: 'bad-input/api-bodies-paths-queries',
      item: '15.7',
      fault: `${cases.length} malformed, mistyped, oversized, unknown or injection-shaped API bodies, paths and queries; ${INJECTIONS.length} injection-shaped search texts on 5 collections`,
      observed: `${seen.length - wrong.length} of ${seen.length} answered their own 400/404/413 problem${wrong.length ? ` (not: ${wrong.map((c) => `${c.what} ${c.status}`).join(', ')})` : ''}; ${seen.filter((c) => c.status >= 500).length} answered 500; ${seen.filter((c) => c.wrote).length} wrote a row or started a process`,
      nothingLost: seen.length === cases.length && wrong.length === 0,
      nothingDuplicated: seen.every((c) => !c.wrote),
    });
  });
});
