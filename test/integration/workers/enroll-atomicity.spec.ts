/**
 * Issuance and the store are one unit (issue 17.4), on real PostgreSQL and the built-in CA: the CA
 * acts only for a certificate object that may still become Valid, and a job whose database
 * connection dies between the CA's signature and the commit, delivered again, ends with exactly
 * one certificate at the CA, the one the store knows.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import type { CaConnector } from '../../../src/ca/connector';
import { buildCsr } from '../../../src/ca/csr-builder';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import type { Queryable } from '../../../src/store/db';
import { getCertificate } from '../../../src/store/certificates';
import { addGroupMember } from '../../../src/store/groups';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler, type AnyJobHandler, type JobInfo, type JobOutcome } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { aProfile } from '../store/fixtures';
import { testCa, verifyWithChain } from '../ca/support';

type Signing = 'issueFromCsr' | 'generateKeyPair';

/**
 * The built-in CA, counting its signings; with `dieAfterSigning`, the transaction's connection is
 * terminated right after the CA signed inside it — a crash between the CA's work and the commit.
 */
function observedCa(ca: BuiltinCa) {
  const calls: Record<Signing, number> = { issueFromCsr: 0, generateKeyPair: 0 };
  const faults = { dieAfterSigning: false };
  const wrap = (inner: CaConnector, tx?: Queryable): CaConnector => {
    const c = Object.create(inner) as CaConnector;
    for (const op of ['issueFromCsr', 'generateKeyPair'] as const) {
      const real = inner[op].bind(inner) as (r: never) => Promise<unknown>;
      (c as unknown as Record<Signing, (r: never) => Promise<unknown>>)[op] = async (request: never) => {
        calls[op]++;
        const out = await real(request);
        if (faults.dieAfterSigning && tx) {
          faults.dieAfterSigning = false;
          await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
        }
        return out;
      };
    }
    c.within = (t: Queryable) => wrap(inner.within(t), t);
    return c;
  };
  return { connector: wrap(ca), calls, faults };
}

describe('issuance and the store as one unit (issue 17.4)', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let observed: ReturnType<typeof observedCa>;
  let handlers: Map<string, AnyJobHandler>;

  const run = (type: string, vars: Record<string, unknown>, job: JobInfo = aJob(type)): Promise<JobOutcome> => runHandler(handlers.get(type)!, vars, job);
  const ok = async (type: string, vars: Record<string, unknown>, job?: JobInfo): Promise<Record<string, any>> => {
    const o = await run(type, vars, job);
    if (o.kind !== 'complete') throw new Error(`${type}: ${JSON.stringify(o)}`);
    return o.variables as Record<string, any>;
  };
  const caRows = async (): Promise<number> => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ca_certificates')).rows[0]!.n;
  const csrPem = (cn: string): string => {
    const der = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: cn, dnsNames: [cn] });
    return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  };

  before(async () => {
    const t = await testCa();
    ca = t.ca;
    pool = t.db.pool;
    observed = observedCa(ca);
    handlers = new Map(
      createEnrollHandlers({ pool, ca: observed.connector, sealer: t.masterKey, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]),
    );
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'agent1', 'test-suite');
  });

  beforeEach(() => {
    observed.calls.issueFromCsr = 0;
    observed.calls.generateKeyPair = 0;
    observed.faults.dieAfterSigning = false;
  });

  it('when a P10 job arrives for a certificate object already Rejected (request cancelled), then STATE_CONFLICT and the CA signs nothing', async () => {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'] });
    const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
    await ok('enroll.fail', { requestId: prep.requestId, certificateId: prep.certificateId, reason: 'cancelled by agent1', operator: 'agent1' });
    const before = await caRows();

    const out = await run('enroll.p10.issue', { certificateId: prep.certificateId, requestId: prep.requestId, csr: csrPem('late.corp.example.com'), dnsNames: '', operator: 'agent1' });

    expect(out).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect(observed.calls.issueFromCsr, 'the CA was asked to sign for a cancelled request').to.equal(0);
    expect(await caRows()).to.equal(before);
    expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Rejected');
  });

  it('when a P12 job arrives for a certificate object already Rejected, then STATE_CONFLICT and no key is generated or certified', async () => {
    const profile = await aProfile(pool, { protocol: 'P12', extendedKeyUsage: ['clientAuth'] });
    const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
    await ok('enroll.fail', { requestId: prep.requestId, certificateId: prep.certificateId, reason: 'cancelled by agent1', operator: 'agent1' });
    const before = await caRows();

    const out = await run('enroll.p12.generate', { certificateId: prep.certificateId, requestId: prep.requestId, commonName: 'laptop-late.corp.example.com', operator: 'agent1' });

    expect(out).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect(observed.calls.generateKeyPair).to.equal(0);
    expect(await caRows()).to.equal(before);
    expect((await pool.query('SELECT count(*)::int AS n FROM ca_pending_pkcs12 p JOIN ca_certificates c ON c.serial = p.serial WHERE c.subject LIKE $1', ['%laptop-late%'])).rows[0].n).to.equal(0);
  });

  for (const protocol of ['P10', 'P12'] as const) {
    it(`when the database connection dies after the CA signed a ${protocol} job and the job is delivered again, then exactly one certificate exists at the CA, the store knows it, and openssl accepts it`, async () => {
      const profile = await aProfile(pool, { protocol, allowedDnsSuffixes: ['corp.example.com'], extendedKeyUsage: protocol === 'P12' ? ['clientAuth'] : ['serverAuth'] });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const cn = `crash-${protocol.toLowerCase()}-${crypto.randomBytes(3).toString('hex')}.corp.example.com`;
      const type = protocol === 'P10' ? 'enroll.p10.issue' : 'enroll.p12.generate';
      const vars =
        protocol === 'P10'
          ? { certificateId: prep.certificateId, requestId: prep.requestId, csr: csrPem(cn), dnsNames: cn, operator: 'agent1' }
          : { certificateId: prep.certificateId, requestId: prep.requestId, commonName: cn, dnsNames: cn, operator: 'agent1' };
      const job = aJob(type);
      const before = await caRows();

      observed.faults.dieAfterSigning = true;
      const first = await run(type, vars, job);
      expect(first.kind, `a lost connection fails the job for a retry: ${JSON.stringify(first)}`).to.equal('fail');
      expect(await caRows(), 'a certificate signed in the lost transaction survived it').to.equal(before);
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Certificate requested');

      // Zeebe delivers the same job again (same key) after the failure.
      const second = await run(type, vars, job);
      expect(second.kind, JSON.stringify(second)).to.equal('complete');
      const third = await run(type, vars, job);
      expect(third.kind).to.equal('complete');

      expect(await caRows(), 'not exactly one certificate at the CA').to.equal(before + 1);
      const cert = await getCertificate(pool, prep.certificateId);
      expect(cert.state).to.equal('Valid');
      const atCa = await pool.query<{ serial: string; subject: string }>('SELECT serial, subject FROM ca_certificates WHERE subject LIKE $1', [`%${cn}%`]);
      expect(atCa.rows.map((r) => r.serial)).to.deep.equal([cert.serial]);
      expect((await verifyWithChain(cert.pem!, await ca.caCertificates())).code).to.equal(0);
    });
  }
});
