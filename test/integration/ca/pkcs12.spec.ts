import { expect } from 'chai';
import crypto from 'node:crypto';
import { CaError, CaErrorCode } from '../../../src/ca/errors';
import { clientProfile, clock, ecProfile, jobKey, openssl, testCa, tmpFile, verifyWithChain, webProfile, refusal } from './support';

describe('built-in CA: P12 key generation', () => {
  afterEach(() => {
    clock.offsetMs = 0;
  });

  it('when an RSA key pair is generated, then openssl opens the PKCS#12 with the password (no -legacy) and the key matches the certificate', async () => {
    const { ca } = await testCa();
    const result = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'laptop.example.com' });
    expect(result.password).to.match(/^[A-Za-z0-9]{24}$/);
    expect((await verifyWithChain(result.certificatePem, await ca.caCertificates())).code).to.equal(0);

    const download = await ca.downloadPkcs12(result.pkcs12Id);
    expect(download).to.include({ serialNumber: result.serialNumber, fileName: 'laptop.example.com.p12' });
    const file = tmpFile('k.p12', download.pkcs12);
    const info = await openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${result.password}`]);
    expect(info.code, info.out).to.equal(0);
    expect(info.out).to.contain('MAC: sha256');
    expect(info.out).to.contain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC');
    expect(info.out).to.contain('PRF hmacWithSHA256');

    const pem = (await openssl(['pkcs12', '-in', file, '-nodes', '-passin', `pass:${result.password}`])).out;
    const key = crypto.createPrivateKey(pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')));
    expect(key.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    const cert = new crypto.X509Certificate(result.certificatePem);
    expect(cert.checkPrivateKey(key)).to.equal(true);
    // The chain travels with the key, so the device can present it.
    expect(pem).to.match(/subject=O ?= ?Test PKI, CN ?= ?Test PKI Issuing CA/);
    expect(pem).to.match(/subject=O ?= ?Test PKI, CN ?= ?Test PKI Root CA/);

    const wrong = await openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', 'pass:wrong']);
    expect(wrong.code).not.to.equal(0);
  });

  it('when an EC key pair is generated, then it is a P-256 key in a PKCS#12 openssl opens', async () => {
    const { ca } = await testCa();
    const result = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: clientProfile, commonName: 'Erika Mustermann' });
    const file = tmpFile('e.p12', (await ca.downloadPkcs12(result.pkcs12Id)).pkcs12);
    const pem = (await openssl(['pkcs12', '-in', file, '-nodes', '-passin', `pass:${result.password}`])).out;
    const key = crypto.createPrivateKey(pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')));
    expect(key.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(result.dnsNames).to.deep.equal([]);
  });

  it('when the PKCS#12 is downloaded a second time, then it is refused: it was kept only until the first download', async () => {
    const { ca, db } = await testCa();
    const result = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: ecProfile, commonName: 'once.example.com' });
    await ca.downloadPkcs12(result.pkcs12Id);
    expect(await refusal(ca.downloadPkcs12(result.pkcs12Id))).to.equal(CaErrorCode.PKCS12_ALREADY_DOWNLOADED);
    const row = (await db.pool.query('SELECT pkcs12_encrypted, downloaded_at FROM ca_pending_pkcs12 WHERE id = $1', [result.pkcs12Id])).rows[0];
    expect(row.pkcs12_encrypted).to.equal(null);
    expect(row.downloaded_at).to.be.instanceOf(Date);
  });

  it('when the PKCS#12 is not downloaded in time, then it is deleted and the download says it expired', async () => {
    const { ca, db } = await testCa();
    const result = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: ecProfile, commonName: 'late.example.com' });
    clock.offsetMs = 61 * 60_000;
    expect(await refusal(ca.downloadPkcs12(result.pkcs12Id))).to.equal(CaErrorCode.PKCS12_EXPIRED);
    expect((await db.pool.query('SELECT pkcs12_encrypted FROM ca_pending_pkcs12 WHERE id = $1', [result.pkcs12Id])).rows[0].pkcs12_encrypted).to.equal(null);
    expect(await refusal(ca.downloadPkcs12(crypto.randomUUID()))).to.equal(CaErrorCode.PKCS12_NOT_FOUND);
    expect(await refusal(ca.downloadPkcs12('../../etc/passwd'))).to.equal(CaErrorCode.PKCS12_NOT_FOUND);
  });

  it('when the housekeeping runs, then PKCS#12 files past their expiry lose their content', async () => {
    const { ca, db } = await testCa();
    const result = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: ecProfile, commonName: 'purge.example.com' });
    clock.offsetMs = 2 * 3_600_000;
    expect(await ca.purgeExpiredPkcs12()).to.be.greaterThan(0);
    expect((await db.pool.query('SELECT pkcs12_encrypted FROM ca_pending_pkcs12 WHERE id = $1', [result.pkcs12Id])).rows[0].pkcs12_encrypted).to.equal(null);
  });

  it('when the generation job is delivered again, then the same certificate and download come back without the password', async () => {
    const { ca } = await testCa();
    const key = jobKey();
    const first = await ca.generateKeyPair({ idempotencyKey: key, profile: ecProfile, commonName: 'replay.example.com', dnsNames: ['replay.example.com'] });
    const again = await ca.generateKeyPair({ idempotencyKey: key, profile: ecProfile, commonName: 'replay.example.com', dnsNames: ['replay.example.com'] });
    expect(again.replayed).to.equal(true);
    expect(again.password).to.equal(undefined);
    expect(again.serialNumber).to.equal(first.serialNumber);
    expect(again.pkcs12Id).to.equal(first.pkcs12Id);
  });

  it('when the requested DNS names are outside the policy, then no key is generated and the refusal names the DNS name', async () => {
    const { ca } = await testCa();
    try {
      await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'x.example.com', dnsNames: ['x.example.net'] });
      expect.fail('no refusal');
    } catch (err) {
      expect((err as CaError).code).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
      expect((err as CaError).message).to.contain('x.example.net');
    }
  });
});
