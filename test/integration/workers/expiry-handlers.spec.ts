/**
 * The expiry watch's handlers (issue 18.9) on real PostgreSQL and a real SMTP server, called as
 * the engine calls them. Certificates are dated around the real clock: the run's database is
 * shared, so the watch must never be run "in the future" here.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createExpiryHandlers, EXPIRY_ACTOR } from '../../../workers/expiry';
import { runHandler, type AnyJobHandler } from '../../../workers/runtime';
import { createMailer } from '../../../src/mail/mailer';
import { createMailTransport } from '../../../src/mail/transport';
import { auditHistory } from '../../../src/store/audit';
import { createAsset } from '../../../src/store/assets';
import { createCertificate, getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { createRequest } from '../../../src/store/requests';
import { buildCsr } from '../../../src/ca/csr-builder';
import { toCaProfile } from '../../../src/ca/store-profile';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import type { MasterKey } from '../../../src/ca/master-key';
import { createSecretLink, redeemSecretLink } from '../../../src/store/secret-links';
import { testCa } from '../ca/support';
import { aJob } from '../../support/jobs';
import { testSmtp, type TestSmtp } from '../../support/smtp';
import { aProfile, actor } from '../store/fixtures';

const DAY = 24 * 60 * 60 * 1000;

describe('expiry watch handlers (issue 18.9) on PostgreSQL and SMTP', () => {
  let pool: Pool;
  let smtp: TestSmtp;
  let ca: BuiltinCa;
  let sealer: MasterKey;
  const handlersWith = (noticeDays: number) =>
    new Map(
      createExpiryHandlers({
        pool,
        ca,
        mailer: createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused' })),
        publicUrl: 'https://pki.example.test',
        expiryNoticeDays: noticeDays,
      }).map((h) => [h.type, h] as [string, AnyJobHandler]),
    );
  const run = async (type: string, noticeDays = 30) => {
    const o = await runHandler(handlersWith(noticeDays).get(type)!, {}, aJob(type));
    if (o.kind !== 'complete') throw new Error(`${type} did not complete: ${JSON.stringify(o)}`);
    return o.variables;
  };

  before(async () => {
    const t = await testCa();
    ({ ca, masterKey: sealer } = t);
    pool = t.db.pool;
    smtp = await testSmtp();
  });

  /** A certificate ending at `notAfter`, enrolled by `requesterEmail` (a request carries it) unless null. */
  async function aCertificate(notAfter: Date, requesterEmail: string | null, state = 'Valid') {
    const tag = crypto.randomBytes(4).toString('hex');
    const profile = await aProfile(pool);
    const asset = await createAsset(pool, { name: `expiring-${tag}`, ownerEmail: `owner-${tag}@example.test` }, actor);
    const cert = await createCertificate(
      pool,
      { state: 'Valid', profileId: profile.id, assetId: asset.id, subject: `CN=expiring-${tag}`, serial: tag, notBefore: new Date(notAfter.getTime() - 365 * DAY), notAfter },
      actor,
    );
    if (state !== 'Valid') await transitionCertificate(pool, cert.id, state, actor);
    if (requesterEmail) {
      await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: `req-${tag}`, requesterEmail, profileId: profile.id, assetId: asset.id, certificateId: cert.id }, actor);
    }
    return { cert, asset, tag };
  }

  it('when a Valid or held certificate is past its notAfter, then it becomes Certificate expired with history, once; a revoked one stays revoked', async () => {
    const past = new Date(Date.now() - 60_000);
    const valid = await aCertificate(past, null);
    const held = await aCertificate(past, null, 'Certificate hold');
    const revoked = await aCertificate(past, null, 'Key compromised');
    const current = await aCertificate(new Date(Date.now() + 400 * DAY), null);

    const out = await run('expiry.expire-certificates');
    expect(out.certificatesExpired).to.be.at.least(2);
    expect((await getCertificate(pool, valid.cert.id)).state).to.equal('Certificate expired');
    expect((await getCertificate(pool, held.cert.id)).state).to.equal('Certificate expired');
    expect((await getCertificate(pool, revoked.cert.id)).state).to.equal('Key compromised');
    expect((await getCertificate(pool, current.cert.id)).state).to.equal('Valid');
    const history = await auditHistory(pool, 'certificate', valid.cert.id);
    expect(history.at(-1)).to.include({ fromState: 'Valid', toState: 'Certificate expired', actor: EXPIRY_ACTOR, processInstanceKey: '2251799813000001' });
    expect(history.at(-1)!.reason).to.match(/validity ended/);

    // The next run (the next hour, or a retried job) finds nothing left to do for it.
    await run('expiry.expire-certificates');
    expect((await auditHistory(pool, 'certificate', valid.cert.id)).filter((h) => h.toState === 'Certificate expired')).to.have.length(1);
  });

  it('when a Valid certificate expires within the notice period, then its requester is emailed once, with a history row; later runs send nothing more', async () => {
    const soon = await aCertificate(new Date(Date.now() + 10 * DAY), null);
    const requester = `requester-${soon.tag}@example.test`;
    await createRequest(pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'alice', requesterEmail: requester, certificateId: soon.cert.id, assetId: soon.asset.id }, actor);
    const later = await aCertificate(new Date(Date.now() + 60 * DAY), `later-${soon.tag}@example.test`);

    await run('expiry.notify-requesters');
    const mail = await smtp.waitFor((m) => m.to.includes(requester));
    expect(mail.subject).to.contain(`CN=expiring-${soon.tag}`).and.match(/expires on \d{4}-\d\d-\d\d/);
    expect(mail.text).to.contain('Hello alice').and.contain(`asset expiring-${soon.tag}`).and.contain(`https://pki.example.test/console/certificates/${soon.cert.id}`);
    // Not the asset's owner: the requester of the enrollment is told.
    expect(smtp.inbox.filter((m) => m.to.includes(`owner-${soon.tag}@example.test`))).to.have.length(0);
    expect((await auditHistory(pool, 'certificate', soon.cert.id)).at(-1)).to.include({ fromState: 'Valid', toState: 'Valid', actor: EXPIRY_ACTOR });

    await run('expiry.notify-requesters');
    await run('expiry.notify-requesters');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.inbox.filter((m) => m.to.includes(requester))).to.have.length(1);
    expect((await auditHistory(pool, 'certificate', soon.cert.id)).filter((h) => /expiry notice/.test(h.reason ?? ''))).to.have.length(1);
    // Beyond the notice period: nothing yet.
    expect(smtp.inbox.filter((m) => m.to.includes(`later-${soon.tag}@example.test`))).to.have.length(0);
    expect((await getCertificate(pool, later.cert.id)).state).to.equal('Valid');
  });

  it('when a certificate without a request expires soon, then the owner of its asset is told; with a notice period of 0, nobody is', async () => {
    const quiet = await aCertificate(new Date(Date.now() + 5 * DAY), null);
    expect(await run('expiry.notify-requesters', 0)).to.deep.equal({ noticesSent: 0, withoutRecipient: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.inbox.filter((m) => m.to.includes(`owner-${quiet.tag}@example.test`))).to.have.length(0);

    await run('expiry.notify-requesters', 30);
    const mail = await smtp.waitFor((m) => m.to.includes(`owner-${quiet.tag}@example.test`));
    expect(mail.text).to.contain(`Hello expiring-${quiet.tag}`);
  });

  describe('a PKCS#12 nobody downloaded (issue 18.13)', () => {
    /** A certificate issued at the CA with a PKCS#12 link for its requester; `expired`: the link's time is up. */
    async function aP12Certificate(link: 'expired' | 'open' | 'used') {
      const tag = crypto.randomBytes(4).toString('hex');
      const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
      const issued = await ca.issueFromCsr({ idempotencyKey: `p12-orphan-${tag}`, csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: `orphan-${tag}` }), profile: toCaProfile(profile) });
      const cert = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);
      const l = await createSecretLink(pool, sealer, { kind: 'pkcs12', subjectRef: `certificate:${cert.id}`, owner: `owner-${tag}`, ttlMinutes: 5, payload: { note: 'test' } });
      if (link === 'used') await redeemSecretLink(pool, sealer, l.id, { username: `owner-${tag}`, from: '192.0.2.1' });
      // Time has passed: the link's five minutes are over.
      if (link !== 'open') await pool.query("UPDATE secret_links SET expires_at = now() - interval '1 minute' WHERE id = $1", [l.id]);
      return cert;
    }

    it('when its link expired unopened, then the certificate is revoked (Cessation of operation) at the CA and in the store, with history saying why; a downloaded or still open one stays Valid', async () => {
      const orphan = await aP12Certificate('expired');
      const downloaded = await aP12Certificate('used');
      const waiting = await aP12Certificate('open');

      const out = await run('expiry.revoke-unclaimed-p12');
      expect(out.unclaimedRevoked).to.be.at.least(1);
      const after = await getCertificate(pool, orphan.id);
      expect(after.state).to.equal('Cessation of operation');
      expect(await ca.status(after.serial!)).to.include({ status: 'revoked', reason: 'cessationOfOperation' });
      const last = (await auditHistory(pool, 'certificate', orphan.id)).at(-1)!;
      expect(last).to.include({ fromState: 'Valid', toState: 'Cessation of operation', actor: EXPIRY_ACTOR });
      expect(last.reason).to.match(/never downloaded/);
      expect((await getCertificate(pool, downloaded.id)).state).to.equal('Valid');
      expect((await getCertificate(pool, waiting.id)).state).to.equal('Valid');
      expect((await ca.status(waiting.serial!)).status).to.equal('valid');

      // The next run: nothing left to do for it.
      await run('expiry.revoke-unclaimed-p12');
      expect((await auditHistory(pool, 'certificate', orphan.id)).filter((h) => h.toState === 'Cessation of operation')).to.have.length(1);
    });
  });
});
