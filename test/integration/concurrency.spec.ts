/**
 * Issue 17.1: under concurrent load no operation may hold a transaction and then wait for a
 * second connection from the same pool (the built-in CA's), or the pool deadlocks for good.
 * Each kind of operation runs N times at once on a pool far smaller than N, with the CA on the
 * same pool, as in production; each must complete, and the pool must end with every connection
 * back and none left "idle in transaction".
 */
import crypto from 'node:crypto';
import { REGISTRATION_AUTHORITY_GROUP } from '../../src/domain/authorization';
import { addGroupMember } from '../../src/store/groups';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/store/database';
import { createBuiltinCa, type BuiltinCa } from '../../src/ca/builtin-ca';
import { buildCsr } from '../../src/ca/csr-builder';
import { toCaProfile } from '../../src/ca/store-profile';
import type { Caller } from '../../src/api/identity';
import { addCardRelation, getCard, setCardTypeCommandEnabled } from '../../src/store/cards';
import { createCertificate, getCertificate } from '../../src/store/certificates';
import { createPool } from '../../src/store/db';
import { createSecretLink } from '../../src/store/secret-links';
import { createCaHandlers } from '../../workers/ca';
import { createCardHandlers } from '../../workers/cards';
import { createEnrollHandlers } from '../../workers/enroll';
import { runHandler, type AnyJobHandler, type JobOutcome } from '../../workers/runtime';
import { aJob } from '../support/jobs';
import { serveTestApp, type TestApp } from '../support/test-app';
import { clock, MASTER_KEY_BYTES, PUBLIC_URL, testCa } from './ca/support';
import { MasterKey } from '../../src/ca/master-key';
import { aCard, aProfile, actor } from './store/fixtures';

const agent1: Caller = { username: 'agent1', displayName: 'Agent 1', email: null, roles: [], groups: [], isAdmin: false };

/** Concurrent operations of each kind. */
const N = 30;
/** Connections in the pool under test: far fewer than N. */
const POOL_SIZE = 4;
/** Operations that take longer than this under load are taken as hung. */
const DEADLINE_MS = 30_000;

describe('concurrency: no operation needs two connections at once (issue 17.1)', function () {
  this.timeout(2 * DEADLINE_MS + 30_000);
  /** The run's pool, for setting up and for looking at the server's connections. */
  let watcher: Pool;
  let databaseUrl: string;
  let databaseName: string;
  /** A small pool per test, shared by the store, the CA and the API as in production. */
  let pool: Pool;
  let ca: BuiltinCa;
  let handlers: Map<string, AnyJobHandler>;
  const sealer = new MasterKey(MASTER_KEY_BYTES);

  before(async () => {
    const t = await testCa(); // creates the CA's root and issuing CA once for the run
    watcher = t.db.pool;
    databaseUrl = t.db.url;
    databaseName = t.db.name;
    // agent1 enrolls here on profiles without an asset: that is a registration authority's (issue 17.11).
    await addGroupMember(watcher, REGISTRATION_AUTHORITY_GROUP, 'agent1', 'test-suite');
  });

  beforeEach(async () => {
    pool = createPool({ connectionString: databaseUrl, max: POOL_SIZE });
    ca = await createBuiltinCa({ pool, masterKey: sealer, name: 'Test PKI', publicUrl: PUBLIC_URL, now: clock.now });
    // Who completed a form, as the engine would answer: the requester (operator) here.
    const completedTasks = { lastCompleted: async () => ({ userTaskKey: '1', completedBy: 'operator' }) };
    const deps = { pool, ca, sealer, publicUrl: PUBLIC_URL, secretLinkTtlMinutes: 10, completedTasks };
    handlers = new Map([...createEnrollHandlers(deps), ...createCaHandlers(deps), ...createCardHandlers(deps)].map((h) => [h.type, h]));
  });

  afterEach(async () => {
    // A deadlocked pool never ends; leave it to the run's clean-up rather than hang here.
    if (pool.idleCount === pool.totalCount && pool.waitingCount === 0) await pool.end();
    else void pool.end().catch(() => undefined);
  });

  /** Resolves with `work`, or fails naming the pool's state when it does not finish in time. */
  async function inTime<T>(what: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not finish in ${DEADLINE_MS} ms: pool total ${pool.totalCount}, idle ${pool.idleCount}, waiting ${pool.waitingCount}`)),
        DEADLINE_MS,
      );
    });
    try {
      return await Promise.race([work, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every connection is back in the pool and the server has none idle in a transaction. */
  async function expectPoolAtRest(): Promise<void> {
    expect(pool.waitingCount, 'callers waiting for a connection').to.equal(0);
    expect(pool.idleCount, 'connections not returned to the pool').to.equal(pool.totalCount);
    const { rows } = await watcher.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
      [databaseName],
    );
    expect(rows[0]!.n, 'connections idle in transaction').to.equal(0);
  }

  /** Runs a job of `type` for each of `variables`, all at once; each must complete. */
  async function runJobs(type: string, variables: Array<Record<string, unknown>>): Promise<JobOutcome[]> {
    const outcomes = await inTime(`${variables.length} concurrent ${type} jobs`, Promise.all(variables.map((v) => runHandler(handlers.get(type)!, v, aJob(type)))));
    for (const o of outcomes) expect(o, JSON.stringify(o)).to.include({ kind: 'complete' });
    return outcomes;
  }

  /** runJobs, then the pool must be at rest. */
  async function runAll(type: string, variables: Array<Record<string, unknown>>): Promise<JobOutcome[]> {
    const outcomes = await runJobs(type, variables);
    await expectPoolAtRest();
    return outcomes;
  }

  const ecCsrPem = (cn: string, dnsNames = [cn]): string =>
    `-----BEGIN CERTIFICATE REQUEST-----\n${buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: cn, dnsNames })
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;

  /** N enrollments prepared (sequentially: preparing is not what is under test). */
  async function prepared(protocol: 'P10' | 'P12' | 'ACME' | 'SCEP'): Promise<Array<{ certificateId: number; requestId: number }>> {
    const profile = await aProfile(watcher, { protocol, keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: ['corp.example.com'] });
    const out: Array<{ certificateId: number; requestId: number }> = [];
    for (let i = 0; i < N; i++) {
      const o = await runHandler(handlers.get('enroll.prepare')!, { profileId: profile.id, requester: 'agent1' }, aJob('enroll.prepare'));
      if (o.kind !== 'complete') throw new Error(JSON.stringify(o));
      out.push(o.variables as { certificateId: number; requestId: number });
    }
    return out;
  }

  /** A certificate issued by the CA and recorded Valid in the store. */
  async function aValidIssuedCertificate(cardId?: number) {
    const profile = await aProfile(watcher, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const cn = `conc-${crypto.randomBytes(4).toString('hex')}`;
    const issued = await ca.issueFromCsr({ idempotencyKey: `it-${cn}`, csr: ecCsrPem(cn, []), profile: toCaProfile(profile) });
    return createCertificate(watcher, { state: 'Valid', profileId: profile.id, cardId, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
  }

  it(`when ${N} P10 issuance jobs run at once, then all complete and no connection is left in a transaction`, async () => {
    const enrollments = await prepared('P10');
    const outcomes = await runAll(
      'enroll.p10.issue',
      enrollments.map((e, i) => ({ ...e, csr: ecCsrPem(`p10-${i}.corp.example.com`), operator: 'agent1' })),
    );
    expect(new Set(outcomes.map((o) => (o as Extract<JobOutcome, { kind: 'complete' }>).variables.serialNumber)).size).to.equal(N);
    for (const e of enrollments) expect((await getCertificate(watcher, e.certificateId)).state).to.equal('Valid');
  });

  it(`when ${N} PKCS#12 generation jobs run at once, then all complete`, async () => {
    const enrollments = await prepared('P12');
    await runAll('enroll.p12.generate', enrollments.map((e, i) => ({ ...e, commonName: `p12-${i}.corp.example.com`, operator: 'agent1' })));
  });

  it(`when ${N} ACME and ${N} SCEP registration jobs run at once, then all complete`, async () => {
    const acme = await prepared('ACME');
    const scep = await prepared('SCEP');
    await Promise.all([
      runJobs('enroll.acme.register', acme.map((e, i) => ({ ...e, dnsNames: `acme-${i}.corp.example.com`, operator: 'agent1' }))),
      runJobs('enroll.scep.register', scep.map((e, i) => ({ ...e, commonName: `scep-${i}.corp.example.com`, operator: 'agent1' }))),
    ]);
    await expectPoolAtRest();
  });

  it(`when ${N} lock jobs run at once, then all certificates are on hold at the CA and in the store`, async () => {
    const certs = [];
    for (let i = 0; i < N; i++) certs.push(await aValidIssuedCertificate());
    await runAll('ca.lock-certificate', certs.map((c) => ({ certificateId: c.id, lockReason: 'Certificate hold', operator: 'operator' })));
    for (const c of certs) {
      expect((await getCertificate(watcher, c.id)).state).to.equal('Certificate hold');
      expect((await ca.status(c.serial!)).status).to.equal('hold');
    }
  });

  it(`when ${N} cards are deactivated at once and then reactivated at once, then all complete`, async () => {
    await setCardTypeCommandEnabled(watcher, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
    try {
      const cards = [];
      for (let i = 0; i < N; i++) {
        const card = await aCard(watcher, 'virtual-smart-card');
        const cert = await aValidIssuedCertificate(card.id);
        await addCardRelation(watcher, card.id, { relatedType: 'certificate', relatedId: String(cert.id) }, actor);
        cards.push({ card, cert });
      }
      await runAll('cards.deactivate', cards.map(({ card }) => ({ cardId: card.id, operator: 'operator' })));
      await runAll('cards.reactivate', cards.map(({ card }) => ({ cardId: card.id, operator: 'operator' })));
      for (const { card, cert } of cards) {
        expect((await getCard(watcher, card.id)).state).to.equal('active');
        expect((await ca.status(cert.serial!)).status).to.equal('valid');
      }
    } finally {
      await setCardTypeCommandEnabled(watcher, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
    }
  });

  /** The API's public routes on `apiPool` (sign-in and process starts are not used here). */
  const startApi = (apiPool: Pool, apiCa: BuiltinCa): Promise<TestApp> =>
    // Fixed users: signing in must not need the engine here, nor a database connection.
    serveTestApp({ pool: apiPool, ca: apiCa, sealer, users: { agent1 } });

  it(`when the workers' pool is saturated by a burst of ${N} jobs, then the API, on its own pool, answers at once`, async () => {
    const config = loadConfig({
      DATA_DIR: '/nonexistent',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '2',
      DATABASE_WORKER_POOL_SIZE: '2',
      WORKER_MAX_JOBS_ACTIVE: '1',
    });
    const db = await openDatabase(config, () => undefined);
    let api: TestApp | undefined;
    try {
      expect(db.workerPool).to.not.equal(db.pool);
      const appCa = await createBuiltinCa({ pool: db.pool, masterKey: sealer, name: 'Test PKI', publicUrl: PUBLIC_URL, now: clock.now });
      const workerHandlers = new Map(createEnrollHandlers({ pool: db.workerPool, ca: appCa, sealer, publicUrl: PUBLIC_URL, secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
      api = await startApi(db.pool, appCa);
      const enrollments = await prepared('P10');
      // Every connection of the workers' pool is taken, as by jobs that are slow to finish.
      const busy = [await db.workerPool.connect(), await db.workerPool.connect()];
      const jobs = Promise.all(
        enrollments.map((e, i) =>
          runHandler(workerHandlers.get('enroll.p10.issue')!, { ...e, csr: ecCsrPem(`burst-${i}.corp.example.com`), operator: 'agent1' }, aJob('enroll.p10.issue')),
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(db.workerPool.waitingCount, 'jobs waiting for a worker connection').to.be.above(0);
      const started = Date.now();
      expect((await fetch(`${api.base}/api/health`)).status).to.equal(200);
      expect((await fetch(`${api.base}/api/ca/chain`)).status).to.equal(200);
      expect(Date.now() - started, 'the API answered while the workers were saturated').to.be.below(1000);
      for (const c of busy) c.release();
      const outcomes = await inTime(`${N} jobs on the workers' pool`, jobs);
      for (const o of outcomes) expect(o, JSON.stringify(o)).to.include({ kind: 'complete' });
    } finally {
      await api?.close();
      await db.close();
    }
  });

  describe('the API on the same pool', () => {
    let api: TestApp;
    let base: string;
    beforeEach(async () => {
      api = await startApi(pool, ca);
      base = api.base;
    });
    afterEach(async () => {
      api.server.closeAllConnections();
      await api.close();
    });

    it(`when ${N} PKCS#12 one-time secrets are opened at once, then each gives its file, health keeps answering, and no connection is left in a transaction`, async () => {
      const profile = toCaProfile(await aProfile(watcher, { protocol: 'P12', keyAlgorithm: 'EC', minKeySize: 256 }));
      const ids: string[] = [];
      for (let i = 0; i < N; i++) {
        const generated = await ca.generateKeyPair({ idempotencyKey: `conc-dl-${Date.now()}-${i}`, profile, commonName: `dl-${i}.example.com` });
        const link = await createSecretLink(watcher, sealer, { kind: 'pkcs12', subjectRef: `certificate:dl-${i}`, owner: 'agent1', ttlMinutes: 5, payload: { pkcs12Id: generated.pkcs12Id, password: generated.password } });
        ids.push(link.id);
      }
      const headers = { accept: 'application/json', authorization: `Basic ${Buffer.from('agent1:agent1').toString('base64')}` };
      const downloads = Promise.all(ids.map((id) => fetch(`${base}/api/secret-links/${id}`, { method: 'POST', headers }).then(async (r) => ({ status: r.status, body: (await r.json()) as { pkcs12?: string } }))));
      const health = Promise.all(Array.from({ length: 5 }, () => fetch(`${base}/api/health`).then((r) => r.status)));
      const [results, healthStatuses] = await inTime(`${N} secret downloads`, Promise.all([downloads, health]));
      expect(results.map((r) => r.status)).to.deep.equal(ids.map(() => 200));
      for (const r of results) expect(r.body.pkcs12).to.be.a('string').and.not.equal('');
      expect(healthStatuses).to.deep.equal([200, 200, 200, 200, 200]);
      expect((await fetch(`${base}/api/health`)).status).to.equal(200);
      await expectPoolAtRest();
    });
  });
});
