import { expect } from 'chai';
import crypto from 'node:crypto';
import { CaErrorCode } from '../../../src/ca/errors';
import { clock, jobKey, testCa, webProfile, refusal } from './support';

describe('built-in CA: ACME and SCEP registration', () => {
  afterEach(() => {
    clock.offsetMs = 0;
  });

  it('when an asset is registered for ACME, then it gets an External Account Binding for its DNS names, returned once', async () => {
    const { ca } = await testCa();
    const key = jobKey();
    const reg = await ca.registerAcme({ idempotencyKey: key, assetRef: 'asset-42', profile: webProfile, dnsNames: ['WWW.example.com', 'www.example.com'] });
    expect(reg).to.include({ state: 'Registered', replayed: false });
    expect(reg.dnsNames).to.deep.equal(['www.example.com']);
    expect(Buffer.from(reg.hmacKey!, 'base64url')).to.have.length(32);
    // A key id the clients never read as an option (lego's --kid, certbot's --eab-kid).
    expect(reg.keyId).to.match(/^[0-9a-f]{32}$/);

    const binding = await ca.lookupAcmeBinding(reg.keyId);
    expect(binding?.hmacKey.toString('base64url')).to.equal(reg.hmacKey);
    expect(binding).to.include({ assetRef: 'asset-42', profileId: webProfile.id });

    const again = await ca.registerAcme({ idempotencyKey: key, assetRef: 'asset-42', profile: webProfile, dnsNames: ['WWW.example.com', 'www.example.com'] });
    expect(again).to.include({ registrationId: reg.registrationId, keyId: reg.keyId, replayed: true });
    expect(again.hmacKey).to.equal(undefined);
  });

  it('when an ACME binding is deregistered, then it no longer works and a second deregistration is refused', async () => {
    const { ca } = await testCa();
    const reg = await ca.registerAcme({ idempotencyKey: jobKey(), assetRef: 'asset-43', profile: webProfile, dnsNames: ['acme.example.com'] });
    const key = jobKey();
    expect(await ca.deregisterAcme({ idempotencyKey: key, registrationId: reg.registrationId })).to.include({ state: 'Deregistered', replayed: false });
    expect(await ca.deregisterAcme({ idempotencyKey: key, registrationId: reg.registrationId })).to.include({ state: 'Deregistered', replayed: true });
    expect(await ca.lookupAcmeBinding(reg.keyId)).to.equal(undefined);
    expect(await refusal(ca.deregisterAcme({ idempotencyKey: jobKey(), registrationId: reg.registrationId }))).to.equal(CaErrorCode.REGISTRATION_ALREADY_DEREGISTERED);
    expect(await refusal(ca.deregisterAcme({ idempotencyKey: jobKey(), registrationId: crypto.randomUUID() }))).to.equal(CaErrorCode.REGISTRATION_NOT_FOUND);
  });

  it('when ACME is asked for names outside the policy or no names, then it is refused', async () => {
    const { ca } = await testCa();
    expect(await refusal(ca.registerAcme({ idempotencyKey: jobKey(), assetRef: 'a', profile: webProfile, dnsNames: ['acme.example.org'] }))).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
    expect(await refusal(ca.registerAcme({ idempotencyKey: jobKey(), assetRef: 'a', profile: webProfile, dnsNames: [] }))).to.equal(CaErrorCode.SUBJECT_MISSING);
  });

  it('when an asset is registered for SCEP, then its one-time challenge works once, for its subject only', async () => {
    const { ca } = await testCa();
    const key = jobKey();
    const reg = await ca.registerScep({ idempotencyKey: key, assetRef: 'printer-7', profile: webProfile, commonName: 'printer7.example.com' });
    expect(reg).to.include({ state: 'Registered', commonName: 'printer7.example.com', replayed: false });
    expect(reg.dnsNames).to.deep.equal(['printer7.example.com']);
    const challenge = reg.challengePassword!;
    expect(challenge).to.have.length(32);

    const replay = await ca.registerScep({ idempotencyKey: key, assetRef: 'printer-7', profile: webProfile, commonName: 'printer7.example.com' });
    expect(replay).to.include({ registrationId: reg.registrationId, replayed: true });
    expect(replay.challengePassword).to.equal(undefined);

    expect(await ca.consumeScepChallenge(challenge, 'other.example.com')).to.equal(undefined);
    expect(await ca.consumeScepChallenge(challenge, 'printer7.example.com')).to.include({ registrationId: reg.registrationId, assetRef: 'printer-7' });
    expect(await ca.consumeScepChallenge(challenge, 'printer7.example.com')).to.equal(undefined);
  });

  it('when a SCEP registration is deregistered or expired, then its challenge no longer works', async () => {
    const { ca } = await testCa();
    const reg = await ca.registerScep({ idempotencyKey: jobKey(), assetRef: 'router-1', profile: webProfile, commonName: 'router1.example.com' });
    expect(await ca.deregisterScep({ idempotencyKey: jobKey(), registrationId: reg.registrationId })).to.include({ state: 'Deregistered' });
    expect(await ca.consumeScepChallenge(reg.challengePassword!, 'router1.example.com')).to.equal(undefined);

    const late = await ca.registerScep({ idempotencyKey: jobKey(), assetRef: 'router-2', profile: webProfile, commonName: 'router2.example.com' });
    clock.offsetMs = 8 * 24 * 3_600_000;
    expect(await ca.consumeScepChallenge(late.challengePassword!, 'router2.example.com')).to.equal(undefined);
  });

  it('when SCEP is asked for a subject outside the policy, then it is refused', async () => {
    const { ca } = await testCa();
    expect(await refusal(ca.registerScep({ idempotencyKey: jobKey(), assetRef: 'a', profile: webProfile, commonName: 'device.example.org' }))).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
  });
});
