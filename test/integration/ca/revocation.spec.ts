import { expect } from 'chai';
import { CaErrorCode } from '../../../src/ca/errors';
import { makeCsr } from '../../fixtures/csr/make-csr';
import { jobKey, openssl, testCa, tmpFile, verifyWithChain, webProfile, refusal } from './support';

async function issue(cn: string) {
  const { ca } = await testCa();
  return ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ key: 'p256', subject: `/CN=${cn}` }).csrPem, profile: { ...webProfile, keyAlgorithm: 'EC', minKeySize: 256 } });
}

async function crlText(): Promise<{ text: string; pem: string; number: number }> {
  const { ca } = await testCa();
  const crl = await ca.currentCrl();
  const out = await openssl(['crl', '-noout', '-text', '-in', tmpFile('crl.pem', crl.pem)]);
  expect(out.code).to.equal(0);
  return { text: out.out, pem: crl.pem, number: crl.number };
}

/** The CRL entry of a serial, as openssl prints it (until the next entry). */
function entryOf(text: string, serialHex: string): string | undefined {
  const at = text.indexOf(`Serial Number: ${serialHex.toUpperCase()}`);
  if (at < 0) return undefined;
  const next = text.indexOf('Serial Number:', at + 10);
  return text.slice(at, next < 0 ? text.indexOf('Signature Algorithm', at) : next);
}

describe('built-in CA: revoke, hold, release and the CRL', () => {
  it('when a certificate is revoked for key compromise and another put on hold, then openssl crl lists both with their reasons', async () => {
    const { ca } = await testCa();
    const revoked = await issue('revoked.example.com');
    const held = await issue('held.example.com');
    const result = await ca.revoke({ idempotencyKey: jobKey(), serialNumber: revoked.serialNumber, reason: 'keyCompromise' });
    expect(result).to.include({ status: 'revoked', reason: 'keyCompromise', replayed: false });
    expect((await ca.hold({ idempotencyKey: jobKey(), serialNumber: held.serialNumber })).status).to.equal('hold');

    const { text, pem } = await crlText();
    expect(text).to.contain('Version 2 (0x1)');
    expect(text).to.match(/Issuer: O ?= ?Test PKI, CN ?= ?Test PKI Issuing CA/);
    expect(text).to.match(/X509v3 CRL Number:\s+\d+/);
    expect(text).to.contain('X509v3 Authority Key Identifier');
    expect(entryOf(text, revoked.serialNumber)).to.contain('Key Compromise');
    expect(entryOf(text, held.serialNumber)).to.contain('Certificate Hold');

    // The CRL is signed by the issuing CA: openssl checks it while verifying.
    const chain = await ca.caCertificates();
    const check = await verifyWithChain(revoked.certificatePem, chain, pem);
    expect(check.code).not.to.equal(0);
    expect(check.out).to.contain('certificate revoked');
    const good = await issue('good.example.com');
    expect((await verifyWithChain(good.certificatePem, chain, (await ca.currentCrl()).pem)).code).to.equal(0);
  });

  it('when a held certificate is released, then it is gone from the next CRL and valid again', async () => {
    const { ca } = await testCa();
    const cert = await issue('released.example.com');
    await ca.hold({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber });
    const before = await crlText();
    expect(entryOf(before.text, cert.serialNumber)).to.contain('Certificate Hold');
    const released = await ca.release({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber });
    expect(released).to.include({ status: 'valid' });
    expect(released.reason).to.equal(undefined);
    const after = await crlText();
    expect(after.number).to.be.greaterThan(before.number);
    expect(entryOf(after.text, cert.serialNumber)).to.equal(undefined);
    expect((await verifyWithChain(cert.certificatePem, await ca.caCertificates(), after.pem)).code).to.equal(0);
  });

  it('when nothing changed, then the same CRL is served again', async () => {
    const { ca } = await testCa();
    const a = await ca.currentCrl();
    const b = await ca.currentCrl();
    expect(b.number).to.equal(a.number);
    expect(b.der.equals(a.der)).to.equal(true);
  });

  it('when a held certificate is revoked, then the CRL shows the revocation reason instead of hold', async () => {
    const { ca } = await testCa();
    const cert = await issue('held-then-revoked.example.com');
    await ca.hold({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber });
    await ca.revoke({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber, reason: 'superseded' });
    expect(entryOf((await crlText()).text, cert.serialNumber)).to.contain('Superseded');
  });

  it('when a transition is not allowed, then it is refused with its code and the status stays as it was', async () => {
    const { ca } = await testCa();
    const cert = await issue('transitions.example.com');
    expect(await refusal(ca.release({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber }))).to.equal(CaErrorCode.CERTIFICATE_NOT_ON_HOLD);
    await ca.hold({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber });
    expect(await refusal(ca.hold({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber }))).to.equal(CaErrorCode.CERTIFICATE_ALREADY_ON_HOLD);
    await ca.revoke({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber, reason: 'cessationOfOperation' });
    expect(await refusal(ca.revoke({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber, reason: 'keyCompromise' }))).to.equal(CaErrorCode.CERTIFICATE_ALREADY_REVOKED);
    expect(await refusal(ca.release({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber }))).to.equal(CaErrorCode.CERTIFICATE_ALREADY_REVOKED);
    expect(await ca.status(cert.serialNumber)).to.include({ status: 'revoked', reason: 'cessationOfOperation' });
    expect(await refusal(ca.revoke({ idempotencyKey: jobKey(), serialNumber: 'ab'.repeat(16), reason: 'keyCompromise' }))).to.equal(CaErrorCode.CERTIFICATE_NOT_FOUND);
    expect(await refusal(ca.revoke({ idempotencyKey: jobKey(), serialNumber: 'not-hex', reason: 'keyCompromise' }))).to.equal(CaErrorCode.CERTIFICATE_NOT_FOUND);
    expect(await refusal(ca.revoke({ idempotencyKey: jobKey(), serialNumber: cert.serialNumber, reason: 'because' as never }))).to.equal(CaErrorCode.REVOCATION_REASON_INVALID);
  });

  it('when a revocation job is delivered again, then the stored result is returned instead of a refusal', async () => {
    const { ca } = await testCa();
    const cert = await issue('revoke-retry.example.com');
    const key = jobKey();
    const serial = cert.serialNumber.toUpperCase().replace(/(..)(?!$)/g, '$1:'); // as openssl prints it
    const first = await ca.revoke({ idempotencyKey: key, serialNumber: serial, reason: 'privilegeWithdrawn' });
    const again = await ca.revoke({ idempotencyKey: key, serialNumber: serial, reason: 'privilegeWithdrawn' });
    expect(again).to.deep.equal({ ...first, replayed: true });
    expect(await refusal(ca.hold({ idempotencyKey: key, serialNumber: serial }))).to.equal(CaErrorCode.IDEMPOTENCY_CONFLICT);
  });
});
