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
import { buildCsr } from '../../src/ca/csr-builder';
import { pollUntil, processInstanceVariables, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { createAsset } from '../../src/store/assets';
import { getCertificate } from '../../src/store/certificates';
import { appEngine } from '../support/app-engine';
import type { TestEngine } from '../support/engine';
import { signedInApi, type SignedInApi } from '../support/signed-in-api';
import { creds } from '../support/task-driver';
import { craftedRsaCsr, makeCsr, withBadSignature } from '../fixtures/csr/make-csr';
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

describe('faults: bad input through the forms of user tasks and the P10 upload (engine, issue 15.7)', function () {
  this.timeout(420_000);
  let engine: TestEngine;
  let pool: Pool;

  before(async function () {
    engine = await appEngine(this);
    pool = (await testCa()).db.pool;
  });

  const done = new Set<string>();

  /** What a person does in Tasklist ("Assign to me", submit), with whatever the form sends. */
  async function submit(processInstanceKey: string, elementId: string, variables: Record<string, unknown>): Promise<void> {
    const task = await waitForUserTask(engine.api, { processInstanceKey, state: 'CREATED', elementId, except: done }, { timeoutMs: 60_000 });
    expect((await engine.api.assignUserTaskAs(creds('operator'), task.userTaskKey, 'operator')).ok).to.equal(true);
    const completed = await engine.api.completeUserTaskAs(creds('operator'), task.userTaskKey, variables);
    expect(completed.ok, String(completed.detail)).to.equal(true);
    done.add(task.userTaskKey);
  }

  /** The model sent the person back to `elementId`: its reason (a new one, unless the same text came again). */
  async function refusalOn(processInstanceKey: string, elementId: string, previous: string | undefined): Promise<string> {
    await waitForUserTask(engine.api, { processInstanceKey, state: 'CREATED', elementId, except: done }, { timeoutMs: 60_000 });
    const read = async () => {
      const r = (await processInstanceVariables(engine.api, processInstanceKey)).refusal;
      return typeof r === 'string' && r !== '' ? r : undefined;
    };
    return pollUntil('a new refusal', async () => {
      const r = await read();
      return r !== undefined && r !== previous ? r : undefined;
    }, { timeoutMs: 6_000 }).catch(async () => (await read()) ?? 'no refusal');
  }

  const pem = (der: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;

  it('when the P10 upload and edit forms are completed with missing or mistyped fields and the CSR corpus, then each goes back to its form with its own reason, no incident, nothing issued; a good request then completes with one certificate', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const domain = `${tag}.corp.example.com`;
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: [domain] });
    const asset = await createAsset(pool, { name: `bad-p10-${tag}`, commonName: `www.${domain}`, dnsNames: [`www.${domain}`] }, actor);
    const created = await engine.clients.rest.createProcessInstance({
      processDefinitionId: 'AssetsProcEnrollProfile',
      variables: { requester: 'operator', requesterEmail: 'operator@example.test', profileId: profile.id, assetId: asset.id },
    });
    const pik = String(created.processInstanceKey);
    const sub = await pollUntil('the P10 sub-process', async () => (await engine.api.searchProcessInstances({ parentProcessInstanceKey: pik })).find((p) => p.processDefinitionId === 'AssetsSubProcEnrollP10Profile')?.processInstanceKey, { timeoutMs: 60_000 });
    const issuedHere = async () => Number((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ca_certificates WHERE subject LIKE $1', [`%${tag}%`])).rows[0]!.n);
    const certificateId = (await pool.query<{ id: number }>('SELECT id FROM certificates WHERE asset_id = $1', [asset.id])).rows[0]!.id;
    const historyBefore = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_history WHERE object_type = 'certificate' AND object_id = $1", [String(certificateId)])).rows[0]!.n);

    const inputs: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no CSR at all', { nextAction: 'next' }, /^csr is missing: fill it in$/],
      ['a number for the CSR', { csr: 12345, nextAction: 'next' }, /^csr: .*expected string, received number/],
      ['an empty CSR', { csr: '', nextAction: 'next' }, /^csr: paste the CSR \(PEM\)$/],
      ['text that is no PEM', { csr: 'hello, this is my certificate request', nextAction: 'next' }, /./],
      ['a PEM of broken base64', { csr: '-----BEGIN CERTIFICATE REQUEST-----\n!!!!not base64!!!!\n-----END CERTIFICATE REQUEST-----\n', nextAction: 'next' }, /./],
      ['a CSR whose signature does not match', { csr: pem(withBadSignature(makeCsr({ subject: `/CN=sig.${domain}` }).csrPem)), nextAction: 'next' }, /signature/i],
      ['an RSA-1024 key', { csr: makeCsr({ key: 'rsa1024', subject: `/CN=weak.${domain}` }).csrPem, nextAction: 'next' }, /1024|key/i],
      ['an RSA key with exponent 3', { csr: makeCsr({ key: 'rsa2048e3', subject: `/CN=e3.${domain}` }).csrPem, nextAction: 'next' }, /exponent/i],
      ['an RSA key with exponent 1', { csr: pem(craftedRsaCsr({ exponent: 1n, commonName: `e1.${domain}` })), nextAction: 'next' }, /exponent/i],
      ['an EC key on an RSA profile', { csr: makeCsr({ key: 'p256', subject: `/CN=ec.${domain}` }).csrPem, nextAction: 'next' }, /RSA|EC|algorithm/i],
      ['an Ed25519 key', { csr: makeCsr({ key: 'ed25519', subject: `/CN=ed.${domain}` }).csrPem, nextAction: 'next' }, /./],
      ['a certificate instead of a request', { csr: (await (await testCa()).ca.caCertificates()).root, nextAction: 'next' }, /./],
      // Last: a value the form leaves in the instance stays there until the form sends another.
      ['DNS names as a number', { csr: makeCsr({ subject: `/CN=www.${domain}` }).csrPem, dnsNames: 42, nextAction: 'next' }, /^dnsNames: /],
    ];
    const refusals: string[] = [];
    let previous: string | undefined;
    for (const [what, variables, expected] of inputs) {
      await submit(sub, 'Task_UploadCsr', variables);
      const refusal = await refusalOn(sub, 'Task_UploadCsr', previous);
      refusals.push(`${what}: ${refusal}`);
      expect(refusal, what).to.match(expected);
      previous = refusal;
    }
    console.log(`      refusals on "Upload CSR":\n${refusals.map((r) => `        ${r}`).join('\n')}`);
    expect(new Set(refusals.map((r) => r.split(': ').slice(1).join(': '))).size, 'their own reasons').to.be.at.least(inputs.length - 3);
    expect(await engine.api.incidents(sub), 'no incident').to.deep.equal([]);
    expect(await issuedHere(), 'nothing issued').to.equal(0);
    expect((await getCertificate(pool, certificateId)).state).to.equal('Certificate requested');
    expect(Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_history WHERE object_type = 'certificate' AND object_id = $1", [String(certificateId)])).rows[0]!.n), 'no transition').to.equal(historyBefore);

    // A good CSR passes; the edit form with mistyped names goes back to itself; then it completes.
    const good = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: `www.${domain}`, dnsNames: [`www.${domain}`] });
    await submit(sub, 'Task_UploadCsr', { csr: pem(good), dnsNames: null, nextAction: 'next' });
    await submit(sub, 'Task_EditRequest', { commonName: `www.${domain}`, dnsNames: { names: [`www.${domain}`] }, nextAction: 'next' });
    expect(await refusalOn(sub, 'Task_EditRequest', previous)).to.match(/^dnsNames: /);
    expect(await issuedHere(), 'nothing issued').to.equal(0);
    await submit(sub, 'Task_EditRequest', { commonName: `www.${domain}`, dnsNames: `www.${domain}`, nextAction: 'next' });
    await submit(sub, 'Task_Download', {});
    let completed = true;
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 }).catch(() => (completed = false));
    const issued = await issuedHere();
    const state = (await getCertificate(pool, certificateId)).state;
    recordFaultOutcome(__filename, {
      id: 'bad-input/p10-forms-and-csr-corpus',
      item: '15.7',
      fault: `the P10 upload form completed with ${inputs.length} bad inputs (missing and mistyped fields, the CSR corpus), the edit form with mistyped DNS names`,
      observed: `each went back to its form with its own reason (${new Set(refusals).size} different), no incident, 0 certificates while refused; then ${issued} certificate, ${state}, instance ${completed ? 'completed' : 'not completed'}`,
      nothingLost: completed && state === 'Valid' && issued === 1,
      nothingDuplicated: issued <= 1,
    });
    expect(completed).to.equal(true);
    expect(issued, 'one certificate').to.equal(1);
    expect(state).to.equal('Valid');
  });
});
