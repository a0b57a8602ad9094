/**
 * Enroll profile handlers (spec 002) on real PostgreSQL and the built-in CA, called as the
 * engine calls them; what the CA makes is checked with openssl, and no output (which would be a
 * process variable) holds a secret.
 */
import crypto from 'node:crypto';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { addGroupMember } from '../../../src/store/groups';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createEnrollHandlers } from '../../../workers/enroll';
import { aJob } from '../../support/jobs';
import { runHandler, type AnyJobHandler, type JobInfo, type JobOutcome } from '../../../workers/runtime';
import { buildCsr } from '../../../src/ca/csr-builder';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import type { MasterKey } from '../../../src/ca/master-key';
import { createAsset, transitionAsset } from '../../../src/store/assets';
import { getCertificate } from '../../../src/store/certificates';
import { registrationOf } from '../../../src/store/registrations';
import { getRequest } from '../../../src/store/requests';
import { redeemSecretLink } from '../../../src/store/secret-links';
import { auditHistory } from '../../../src/store/audit';
import { GoneError, NotFoundError } from '../../../src/domain/errors';
import { testCa, openssl, tmpFile, verifyWithChain } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

/** Handler outputs as the engine would store them (test-local, loosely typed). */
type Outputs = Record<string, any>;


describe('enroll profile handlers (spec 002) on PostgreSQL and the built-in CA', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let sealer: MasterKey;
  let handlers: Map<string, AnyJobHandler>;
  /** Everything the handlers returned: in the engine, these are process variables. */
  const variables: unknown[] = [];
  const run = async (type: string, vars: Record<string, unknown>, job = aJob(type)): Promise<JobOutcome> => {
    const o = await runHandler(handlers.get(type)!, vars, job);
    variables.push(o);
    return o;
  };
  const ok = async (type: string, vars: Record<string, unknown>, job?: JobInfo) => {
    const o = await run(type, vars, job);
    if (o.kind !== 'complete') throw new Error(`${type}: ${JSON.stringify(o)}`);
    return o.variables as Outputs;
  };
  /** The requester of the enrollments here, opening their secrets. */
  const agent1 = { username: 'agent1', from: '192.0.2.10' };
  const secretsSeen: string[] = [];

  before(async () => {
    const t = await testCa();
    ({ ca, masterKey: sealer } = t);
    pool = t.db.pool;
    handlers = new Map(createEnrollHandlers({ pool, ca, sealer, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
    // agent1 enrolls here on profiles without an asset: that is a registration authority's (issue 17.11).
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'agent1', 'test-suite');
  });

  after(() => {
    const dump = JSON.stringify(variables);
    for (const s of secretsSeen) expect(dump, 'a secret reached a process variable').to.not.contain(s);
    expect(dump).to.not.contain('PRIVATE KEY');
  });

  async function anAsset(state: 'Active' | 'Inactive' = 'Active') {
    const name = `web-${crypto.randomBytes(3).toString('hex')}`;
    const a = await createAsset(pool, { name, commonName: `${name}.corp.example.com`, dnsNames: [`${name}.corp.example.com`], organizationalUnit: 'IT Operations' }, actor);
    if (state === 'Inactive') await transitionAsset(pool, a.id, 'Inactive', actor);
    return a;
  }

  describe('P10', () => {
    it('when a CSR is uploaded on an asset, then the asset pre-fills, the CSR is reviewed and issued; certificate Valid, request Completed, openssl accepts it', async () => {
      const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], subjectTemplate: 'CN={commonName},OU={organizationalUnit},O=Example Corp,C=SE' });
      const asset = await anAsset();
      const prep = await ok('enroll.prepare', { profileId: profile.id, assetId: asset.id, requester: 'agent1' });
      expect(prep).to.include({ protocol: 'P10', approvalRequired: false, commonName: asset.commonName, dnsNames: asset.dnsNames[0], domainPolicy: 'corp.example.com' });
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Certificate requested');

      const csr = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: asset.commonName!, dnsNames: [asset.dnsNames[0]!] })
        .toString('base64')
        .replace(/(.{64})/g, '$1\n');
      const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${csr}\n-----END CERTIFICATE REQUEST-----\n`;
      const review = await ok('enroll.p10.review-csr', { certificateId: prep.certificateId, csr: pem, dnsNames: `${asset.dnsNames[0]}, www.corp.example.com` });
      expect(review).to.include({ dnsNames: `${asset.dnsNames[0]}, www.corp.example.com`, keyDescription: 'RSA 2048 bits' });

      const issued = await ok('enroll.p10.issue', { certificateId: prep.certificateId, requestId: prep.requestId, csr: pem, dnsNames: review.dnsNames, operator: 'agent1' });
      const cert = await getCertificate(pool, prep.certificateId);
      expect(cert).to.include({ state: 'Valid', serial: issued.serialNumber, assetId: asset.id });
      expect(cert.dnsNames).to.deep.equal([asset.dnsNames[0], 'www.corp.example.com']);
      expect((await getRequest(pool, prep.requestId)).state).to.equal('Completed');
      const chain = await ca.caCertificates();
      expect((await verifyWithChain(cert.pem!, chain)).code).to.equal(0);
      const text = (await openssl(['x509', '-in', tmpFile('p10.pem', cert.pem!), '-noout', '-text'])).out;
      expect(text).to.contain('DNS:www.corp.example.com').and.contain('OU = IT Operations');
    });

    it('when a DNS name is outside the domain policy, then the form gets the reason; corrected, it passes', async () => {
      const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'] });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const der = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: 'shop.example.net', dnsNames: ['shop.example.net'] });
      const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      const refused = await run('enroll.p10.review-csr', { certificateId: prep.certificateId, csr: pem });
      expect(refused).to.deep.include({ kind: 'error', errorCode: 'CA_REFUSED' });
      expect((refused as Outputs).variables.caErrorCode).to.equal('DNS_NOT_ALLOWED');
      expect((refused as { errorMessage: string }).errorMessage).to.contain('shop.example.net');
      const corrected = await ok('enroll.p10.review-csr', { certificateId: prep.certificateId, csr: pem, commonName: 'shop.corp.example.com', dnsNames: 'shop.corp.example.com' });
      expect(corrected.dnsNames).to.equal('shop.corp.example.com');
    });

    it('when the profile or the asset is not Active, then STATE_CONFLICT and nothing is created', async () => {
      const profile = await aProfile(pool);
      const before = (await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n;
      expect(await run('enroll.prepare', { profileId: profile.id, assetId: (await anAsset('Inactive')).id, requester: 'agent1' })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      expect((await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n).to.equal(before);
    });
  });

  describe('P12', () => {
    it('when a key pair is generated, then the requester\'s one-time secret gives the password and the PKCS#12 once; openssl opens it; then it is gone', async () => {
      const profile = await aProfile(pool, { protocol: 'P12', extendedKeyUsage: ['clientAuth'] });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const out = await ok('enroll.p12.generate', { certificateId: prep.certificateId, requestId: prep.requestId, commonName: 'laptop-17.corp.example.com', operator: 'agent1' });
      expect(out.secretLinkPageUrl).to.equal(`https://pki.example.test/api/secret-links/${out.secretLinkId}`);
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Valid');

      const opened = await redeemSecretLink(pool, sealer, out.secretLinkId, agent1);
      const { password, pkcs12Id } = opened.payload as { password: string; pkcs12Id: string };
      secretsSeen.push(password);
      const p12 = await ca.downloadPkcs12(pkcs12Id);
      const info = await openssl(['pkcs12', '-info', '-noout', '-in', tmpFile('e.p12', p12.pkcs12), '-passin', `pass:${password}`]);
      expect(info.code, info.out).to.equal(0);
      try {
        await redeemSecretLink(pool, sealer, out.secretLinkId, agent1);
        expect.fail('the secret was shown twice');
      } catch (e) {
        expect(e).to.be.instanceOf(GoneError);
      }
      expect(await ok('enroll.complete', { requestId: prep.requestId, operator: 'agent1' })).to.deep.equal({ requestState: 'Completed' });
    });

    it('when a key pair is generated, then neither the outputs nor the stored job effect hold anything that opens the secret — only the link\'s id and page — and it opens only for the requester the store recorded, not whoever a variable names (issue 17.7)', async () => {
      const profile = await aProfile(pool, { protocol: 'P12', extendedKeyUsage: ['clientAuth'] });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const job = aJob('enroll.p12.generate');
      // 'operator' comes from a process variable; the secret is still the requester's.
      const out = await ok('enroll.p12.generate', { certificateId: prep.certificateId, requestId: prep.requestId, commonName: 'kiosk-4.corp.example.com', operator: 'mallory' }, job);
      expect(Object.keys(out).sort()).to.deep.equal(['secretLinkExpiresAt', 'secretLinkId', 'secretLinkPageUrl', 'serialNumber']);
      const effects = (await pool.query<{ result: unknown }>("SELECT result FROM job_effects WHERE effect_key LIKE $1 || ':%'", [job.key])).rows.map((r) => r.result);
      expect(effects).to.deep.equal([out]);
      for (const who of ['mallory', 'agent2']) {
        try {
          await redeemSecretLink(pool, sealer, out.secretLinkId, { username: who, from: '192.0.2.1' });
          expect.fail(`${who} opened the requester's secret`);
        } catch (e) {
          expect(e).to.be.instanceOf(NotFoundError);
        }
      }
      const opened = await redeemSecretLink(pool, sealer, out.secretLinkId, agent1);
      secretsSeen.push(String(opened.payload.password));
      const history = await auditHistory(pool, 'certificate', prep.certificateId);
      expect(history.at(-1)).to.include({ actor: 'agent1', fromState: 'Valid', toState: 'Valid' });
      expect(history.at(-1)!.reason).to.contain('PKCS#12 password and file handed out').and.contain('192.0.2.10');
    });
  });

  describe('P12: search asset (spec 002)', () => {
    it('when no asset was given, then the form lists the Active assets; choosing one relates the enrollment to it and pre-fills', async () => {
      const profile = await aProfile(pool, { protocol: 'P12' });
      const asset = await anAsset();
      const inactive = await anAsset('Inactive');
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const { assetOptions } = await ok('enroll.list-assets', {});
      expect(assetOptions.map((o: { value: string }) => o.value)).to.include(String(asset.id)).and.not.include(String(inactive.id));
      const out = await ok('enroll.attach-asset', { certificateId: prep.certificateId, assetId: String(asset.id), operator: 'agent1' });
      expect(out).to.deep.equal({ assetId: asset.id, commonName: asset.commonName, dnsNames: asset.dnsNames.join(', ') });
      expect((await getCertificate(pool, prep.certificateId)).assetId).to.equal(asset.id);
      expect((await getRequest(pool, prep.requestId)).assetId).to.equal(asset.id);
    });

    it('when the operator names a new asset, then it is created Active with its DNS names and related', async () => {
      const profile = await aProfile(pool, { protocol: 'P12' });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const name = `new-${crypto.randomBytes(3).toString('hex')}`;
      const out = await ok('enroll.attach-asset', { certificateId: prep.certificateId, newAssetName: name, newAssetDnsNames: `${name}.corp.example.com`, operator: 'agent1' });
      expect(out).to.include({ commonName: `${name}.corp.example.com`, dnsNames: `${name}.corp.example.com` });
      expect((await getCertificate(pool, prep.certificateId)).assetId).to.equal(out.assetId);
    });

    it('when both or neither are given, then VALIDATION back to the form and nothing is related', async () => {
      const profile = await aProfile(pool, { protocol: 'P12' });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      expect(await run('enroll.attach-asset', { certificateId: prep.certificateId, operator: 'agent1' })).to.deep.include({ errorCode: 'VALIDATION' });
      expect(await run('enroll.attach-asset', { certificateId: prep.certificateId, assetId: 1, newAssetName: 'x', operator: 'agent1' })).to.deep.include({ errorCode: 'VALIDATION' });
      expect((await getCertificate(pool, prep.certificateId)).assetId).to.equal(null);
    });
  });

  describe('ACME and SCEP registration', () => {
    it('when an asset is registered for ACME, then the certificate object is Registered and the EAB credentials come only through the link', async () => {
      const profile = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: ['corp.example.com'] });
      const asset = await anAsset();
      const prep = await ok('enroll.prepare', { profileId: profile.id, assetId: asset.id, requester: 'agent1' });
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Requested');
      const out = await ok('enroll.acme.register', { certificateId: prep.certificateId, requestId: prep.requestId, dnsNames: asset.dnsNames.join(','), operator: 'agent1' });
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Registered');
      expect((await getRequest(pool, prep.requestId)).state).to.equal('Completed');
      const { hmacKey, keyId } = (await redeemSecretLink(pool, sealer, out.secretLinkId, agent1)).payload as { hmacKey: string; keyId: string };
      secretsSeen.push(hmacKey);
      const binding = await ca.lookupAcmeBinding(keyId);
      expect(binding).to.not.equal(undefined);
      // Deregistering the object finds this registration (issue 12.3).
      expect(await registrationOf(pool, prep.certificateId)).to.deep.equal({ certificateId: prep.certificateId, protocol: 'ACME', registrationId: binding!.registrationId });
    });

    it('when an asset is registered for SCEP, then Registered, and the challenge comes only through the link', async () => {
      const profile = await aProfile(pool, { protocol: 'SCEP' });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      const out = await ok('enroll.scep.register', { certificateId: prep.certificateId, requestId: prep.requestId, commonName: 'printer-3.corp.example.com', operator: 'agent1' });
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Registered');
      const { challengePassword } = (await redeemSecretLink(pool, sealer, out.secretLinkId, agent1)).payload as { challengePassword: string };
      secretsSeen.push(challengePassword);
      expect(challengePassword.length).to.be.at.least(16);
    });

    it('when the DNS names break the domain policy, then CA_REFUSED and the certificate object stays Requested', async () => {
      const profile = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: ['corp.example.com'] });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      expect(await run('enroll.acme.register', { certificateId: prep.certificateId, requestId: prep.requestId, dnsNames: 'evil.example.net', operator: 'agent1' })).to.deep.include({ errorCode: 'CA_REFUSED' });
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Requested');
    });
  });

  describe('check before approval (issue 18.2), ACME without a domain policy (18.4), refusals on history (18.8)', () => {
    it('when certificate data is checked, then it answers what the CA would issue (CN added to the DNS names) or CA_REFUSED with the reason; ACME needs a DNS name', async () => {
      const p12 = await aProfile(pool, { protocol: 'P12', allowedDnsSuffixes: ['corp.example.com'] });
      const prep = await ok('enroll.prepare', { profileId: p12.id, requester: 'agent1' });
      expect(await ok('enroll.check-data', { certificateId: prep.certificateId, commonName: 'app.corp.example.com', dnsNames: 'www.corp.example.com' })).to.deep.equal({
        commonName: 'app.corp.example.com',
        dnsNames: 'app.corp.example.com, www.corp.example.com',
      });
      const outside = await run('enroll.check-data', { certificateId: prep.certificateId, commonName: 'app.corp.example.com', dnsNames: 'app.example.net' });
      expect(outside).to.deep.include({ kind: 'error', errorCode: 'CA_REFUSED' });
      expect((outside as { errorMessage: string }).errorMessage).to.contain('app.example.net');
      const acme = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: ['corp.example.com'] });
      const acmePrep = await ok('enroll.prepare', { profileId: acme.id, requester: 'agent1' });
      const none = await run('enroll.check-data', { certificateId: acmePrep.certificateId, commonName: 'acme.corp.example.com', dnsNames: '' });
      expect(none).to.deep.include({ kind: 'error', errorCode: 'CA_REFUSED' });
      expect((none as { errorMessage: string }).errorMessage).to.contain('at least one DNS name');
      // Nothing was registered or changed by a check.
      expect((await getCertificate(pool, acmePrep.certificateId)).state).to.equal('Requested');
    });

    it('when an ACME profile has no domain policy, then it cannot be created, and one stored without is refused at prepare (STATE_CONFLICT) with the reason on its history, nothing created', async () => {
      const create = aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: [] });
      await create.then(() => expect.fail('an ACME profile without a domain policy was created'), (err: Error) => expect(err.message).to.contain('an ACME profile needs a domain policy'));
      const acme = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: ['corp.example.com'] });
      await pool.query("UPDATE certificate_profiles SET allowed_dns_suffixes = '{}' WHERE id = $1", [acme.id]);
      const before = (await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n;
      const job = aJob('enroll.prepare');
      const refused = await run('enroll.prepare', { profileId: acme.id, requester: 'agent1' }, job);
      expect(refused).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
      expect((refused as { errorMessage: string }).errorMessage).to.contain('has no domain policy');
      expect((await pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n).to.equal(before);
      const last = (await auditHistory(pool, 'certificate profile', acme.id)).at(-1)!;
      expect(last).to.deep.include({ actor: 'agent1', processInstanceKey: job.processInstanceKey });
      expect(last.reason).to.match(/^Enroll profile refused: .*has no domain policy/);
    });

    it('when the profile is unknown, then NOT_FOUND (a refusal the model catches), written on the asset\'s history', async () => {
      const asset = await anAsset();
      const job = aJob('enroll.prepare');
      const refused = await run('enroll.prepare', { profileId: 999999999, assetId: asset.id, requester: 'agent1' }, job);
      expect(refused).to.deep.include({ kind: 'error', errorCode: 'NOT_FOUND' });
      const last = (await auditHistory(pool, 'asset', asset.id)).at(-1)!;
      expect(last).to.deep.include({ fromState: 'Active', toState: 'Active', processInstanceKey: job.processInstanceKey });
      expect(last.reason).to.equal('Enroll profile refused: certificate profile 999999999 does not exist');
    });

    it('when the profile is not Active, then the refusal is on the profile\'s and the asset\'s history', async () => {
      const profile = await aProfile(pool);
      await pool.query("UPDATE certificate_profiles SET state = 'Inactive' WHERE id = $1", [profile.id]);
      const asset = await anAsset();
      expect(await run('enroll.prepare', { profileId: profile.id, assetId: asset.id, requester: 'agent1' })).to.deep.include({ errorCode: 'STATE_CONFLICT' });
      for (const [type, id] of [['certificate profile', profile.id], ['asset', asset.id]] as const) {
        expect((await auditHistory(pool, type, id)).at(-1)!.reason, type).to.match(/^Enroll profile refused: certificate profile .* is 'Inactive'/);
      }
    });
  });

  describe('failure and cancel', () => {
    it('when the operator cancels, then the request is Failed with the reason and the unissued certificate object Rejected', async () => {
      const profile = await aProfile(pool, { protocol: 'P10' });
      const prep = await ok('enroll.prepare', { profileId: profile.id, requester: 'agent1' });
      await ok('enroll.fail', { requestId: prep.requestId, certificateId: prep.certificateId, reason: 'cancelled by agent1', operator: 'agent1' });
      expect(await getRequest(pool, prep.requestId)).to.include({ state: 'Failed', failureReason: 'cancelled by agent1' });
      expect((await getCertificate(pool, prep.certificateId)).state).to.equal('Rejected');
    });
  });
});
