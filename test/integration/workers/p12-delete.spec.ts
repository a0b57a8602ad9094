/**
 * "Delete request" on a P12 enrollment without approval after its key pair was generated (issue
 * 18.3): the request stays Registered until the installation is confirmed, so it may be deleted
 * with a Valid certificate and a one-time PKCS#12 link waiting. Delete revokes that certificate at
 * the CA and in the store, withdraws the link, and a confirmation racing the deletion either wins
 * (Delete refused) or finds the request gone. Handlers and the store on PostgreSQL and the built-in
 * CA, as the API calls deleteRequest; the engine's part is in test/integration/processes/enroll.spec.ts.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import type { MasterKey } from '../../../src/ca/master-key';
import { toCaProfile } from '../../../src/ca/store-profile';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { GoneError, NotFoundError, StateConflictError } from '../../../src/domain/errors';
import { auditHistory } from '../../../src/store/audit';
import { createCertificate, getCertificate } from '../../../src/store/certificates';
import { addGroupMember } from '../../../src/store/groups';
import { createRequest, deleteRequest, getRequest, transitionRequest } from '../../../src/store/requests';
import { redeemSecretLink } from '../../../src/store/secret-links';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler, type AnyJobHandler } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { openssl, testCa, tmpFile } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

const REQUESTER = 'agent-p12del';
const deletion = { actor: 'operator', reason: 'deleted by an operator' };

describe('P12 without approval: Delete request after the key was generated (issue 18.3)', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let sealer: MasterKey;
  let handlers: Map<string, AnyJobHandler>;
  const run = (type: string, vars: Record<string, unknown>) => runHandler(handlers.get(type)!, vars, aJob(type));
  const crl = async () => (await openssl(['crl', '-in', tmpFile('crl.pem', (await ca.currentCrl()).pem), '-noout', '-text'])).out.toUpperCase().replace(/[^0-9A-Z\n ]/g, '');
  const pendingPkcs12 = async (serial: string) =>
    (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ca_pending_pkcs12 WHERE serial = $1 AND pkcs12_encrypted IS NOT NULL', [serial])).rows[0]!.n;

  before(async () => {
    const t = await testCa();
    ({ ca, masterKey: sealer } = t);
    pool = t.db.pool;
    handlers = new Map(createEnrollHandlers({ pool, ca, sealer, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, REQUESTER, 'test-suite');
  });

  /** A P12 enrollment at "Certificate password": key pair generated, link waiting, request Registered. */
  async function generated() {
    const profile = await aProfile(pool, { protocol: 'P12', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const prep = await run('enroll.prepare', { profileId: profile.id, requester: REQUESTER });
    if (prep.kind !== 'complete') throw new Error(JSON.stringify(prep));
    const { certificateId, requestId } = prep.variables as { certificateId: number; requestId: number };
    const gen = await run('enroll.p12.generate', { certificateId, requestId, commonName: `p12del-${certificateId}`, operator: REQUESTER });
    if (gen.kind !== 'complete') throw new Error(JSON.stringify(gen));
    const { secretLinkId, serialNumber } = gen.variables as { secretLinkId: string; serialNumber: string };
    expect((await getRequest(pool, requestId)).state).to.equal('Registered');
    expect((await getCertificate(pool, certificateId)).state).to.equal('Valid');
    return { certificateId, requestId, secretLinkId, serialNumber };
  }

  it('when it is deleted with its PKCS#12 link unopened, then the certificate is revoked at the CA (on the CRL) and in the store with who and why, the link opens nothing, and the CA\'s PKCS#12 is dropped', async () => {
    const e = await generated();
    expect(await pendingPkcs12(e.serialNumber)).to.equal(1);
    let cancelled: number | undefined;
    await deleteRequest(pool, e.requestId, deletion, { ca, cancelProcess: async (r) => void (cancelled = r.id) });
    expect(cancelled, 'the owning process is cancelled').to.equal(e.requestId);

    const cert = await getCertificate(pool, e.certificateId);
    expect(cert.state).to.equal('Cessation of operation');
    expect(await ca.status(e.serialNumber)).to.include({ status: 'revoked', reason: 'cessationOfOperation' });
    expect(await crl()).to.contain(e.serialNumber.toUpperCase()).and.contain('CESSATION OF OPERATION');
    const last = (await auditHistory(pool, 'certificate', e.certificateId)).pop()!;
    expect(last).to.include({ fromState: 'Valid', toState: 'Cessation of operation', actor: 'operator' });
    expect(last.reason).to.contain(`request ${e.requestId} deleted by operator`).and.contain('link not opened yet withdrawn');
    expect((await auditHistory(pool, 'request', e.requestId)).pop()).to.include({ toState: 'Deleted', actor: 'operator' });
    try {
      await redeemSecretLink(pool, sealer, e.secretLinkId, { username: REQUESTER, from: '192.0.2.10' });
      expect.fail('the link of a deleted request opened');
    } catch (err) {
      expect(err).to.be.instanceOf(GoneError);
    }
    expect(await pendingPkcs12(e.serialNumber), 'the only copy of the key is dropped').to.equal(0);
    // The confirmation that comes later finds no request, and changes nothing.
    expect((await run('enroll.complete', { requestId: e.requestId, operator: REQUESTER })).kind).to.not.equal('complete');
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Cessation of operation');
  });

  it('when it is deleted after the PKCS#12 was downloaded, then the certificate is revoked all the same (nobody confirmed its installation) and the link keeps its record of who opened it', async () => {
    const e = await generated();
    await redeemSecretLink(pool, sealer, e.secretLinkId, { username: REQUESTER, from: '192.0.2.10' });
    await deleteRequest(pool, e.requestId, deletion, { ca });
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Cessation of operation');
    expect(await ca.status(e.serialNumber)).to.include({ status: 'revoked' });
    const link = (await pool.query<{ redeemed_by: string }>('SELECT redeemed_by FROM secret_links WHERE id = $1', [e.secretLinkId])).rows[0]!;
    expect(link.redeemed_by).to.equal(REQUESTER);
    expect((await auditHistory(pool, 'certificate', e.certificateId)).pop()!.reason).to.not.contain('withdrawn');
  });

  it('when the engine refuses the cancel, then nothing happened: the request is there, the certificate Valid at the CA and in the store, and its link still opens', async () => {
    const e = await generated();
    try {
      await deleteRequest(pool, e.requestId, deletion, { ca, cancelProcess: async () => Promise.reject(new Error('engine unavailable')) });
      expect.fail('deleted although the cancel failed');
    } catch (err) {
      expect((err as Error).message).to.equal('engine unavailable');
    }
    expect((await getRequest(pool, e.requestId)).state).to.equal('Registered');
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Valid');
    expect(await ca.status(e.serialNumber)).to.include({ status: 'valid' });
    expect(await crl()).to.not.contain(e.serialNumber.toUpperCase());
    expect((await redeemSecretLink(pool, sealer, e.secretLinkId, { username: REQUESTER, from: '192.0.2.10' })).kind).to.equal('pkcs12');
  });

  it('when it is deleted without the CA at hand, then it is refused and nothing changes', async () => {
    const e = await generated();
    try {
      await deleteRequest(pool, e.requestId, deletion);
      expect.fail('deleted without revoking');
    } catch (err) {
      expect((err as Error).message).to.contain('needs the CA');
    }
    expect((await getRequest(pool, e.requestId)).state).to.equal('Registered');
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Valid');
  });

  it('when the installation is confirmed while the request is being deleted, then the deletion, first, wins: the confirmation finds the request gone and the certificate is revoked', async () => {
    const e = await generated();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inCancel!: () => void;
    const cancelling = new Promise<void>((resolve) => (inCancel = resolve));
    // The deletion holds the request's row while the engine is asked; the confirmation comes then.
    const deleting = deleteRequest(pool, e.requestId, deletion, { ca, cancelProcess: async () => { inCancel(); await held; } });
    await cancelling;
    const confirming = run('enroll.complete', { requestId: e.requestId, operator: REQUESTER });
    let settled = false;
    void confirming.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled, 'the confirmation waits for the deletion').to.equal(false);
    release();
    await deleting;
    expect((await confirming).kind, 'the confirmation of a deleted request').to.not.equal('complete');
    try {
      await getRequest(pool, e.requestId);
      expect.fail('the request is still there');
    } catch (err) {
      expect(err).to.be.instanceOf(NotFoundError);
    }
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Cessation of operation');
    expect(await ca.status(e.serialNumber)).to.include({ status: 'revoked' });
  });

  it('when an issuance completes the request in the other lock order at the same moment, then PostgreSQL\'s deadlock ends the deletion\'s first try and its second answers 409, not 500', async () => {
    const e = await generated();
    // P10 issuance and ACME/SCEP registration lock the certificate, then the request: played here
    // on one connection that, like them, completes the request once it has both.
    const issuing = await pool.connect();
    try {
      await issuing.query('BEGIN');
      // This side must not be the one PostgreSQL ends (it checks after deadlock_timeout, 1 s on the deletion's side).
      await issuing.query("SET LOCAL deadlock_timeout = '20s'");
      await issuing.query('SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE', [e.certificateId]);
      let cancelled = false;
      const deleting = deleteRequest(pool, e.requestId, deletion, { ca, cancelProcess: async () => void (cancelled = true) }).then(
        () => undefined,
        (err: unknown) => err,
      );
      // The deletion holds the request and waits for the certificate.
      for (let waited = 0; ; waited += 20) {
        const { rows } = await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if (rows[0]!.n > 0) break;
        if (waited > 5000) throw new Error('the deletion never waited for the certificate');
        await new Promise((r) => setTimeout(r, 20));
      }
      await issuing.query('SELECT 1 FROM requests WHERE id = $1 FOR UPDATE', [e.requestId]);
      await transitionRequest(issuing, e.requestId, 'Completed', { actor: REQUESTER, reason: 'installation confirmed' });
      await issuing.query('COMMIT');
      const refused = await deleting;
      expect(refused, 'the deletion after the deadlock').to.be.instanceOf(StateConflictError);
      expect(cancelled, 'the process is not cancelled').to.equal(false);
    } finally {
      issuing.release();
    }
    expect((await getRequest(pool, e.requestId)).state).to.equal('Completed');
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Valid');
    expect(await ca.status(e.serialNumber)).to.include({ status: 'valid' });
  });

  it('when the installation was confirmed first, then Delete is refused (409) and the certificate stays Valid', async () => {
    const e = await generated();
    expect((await run('enroll.complete', { requestId: e.requestId, operator: REQUESTER })).kind).to.equal('complete');
    try {
      await deleteRequest(pool, e.requestId, deletion, { ca });
      expect.fail('deleted a completed request');
    } catch (err) {
      expect(err).to.be.instanceOf(StateConflictError);
    }
    expect((await getCertificate(pool, e.certificateId)).state).to.equal('Valid');
    expect(await ca.status(e.serialNumber)).to.include({ status: 'valid' });
  });

  it('when a lock request is deleted, then the certificate it was about stays as it was (it did not create it)', async () => {
    const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const issued = await ca.issueFromCsr({
      idempotencyKey: `p12del-lock-${profile.id}`,
      csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: `lock-${profile.id}` }),
      profile: toCaProfile(profile),
    });
    const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
    const lock = await createRequest(pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator', certificateId: cert.id }, actor);
    await transitionRequest(pool, lock.id, 'Requested', actor);
    await deleteRequest(pool, lock.id, deletion, { ca });
    expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
    expect(await ca.status(issued.serialNumber)).to.include({ status: 'valid' });
  });
});
