import { expect } from 'chai';
import { createBuiltinCa } from '../../../src/ca/builtin-ca';
import { CaError, CaErrorCode } from '../../../src/ca/errors';
import { MasterKey } from '../../../src/ca/master-key';
import { craftedRsaCsr, makeCsr } from '../../fixtures/csr/make-csr';
import { clientProfile, ecProfile, jobKey, openssl, PUBLIC_URL, refusal, testCa, tmpFile, verifyWithChain, webProfile } from './support';

async function refusedWith(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(CaError);
    return err as CaError;
  }
  expect.fail('expected a refusal');
}

describe('built-in CA: P10 issuance', () => {
  it('when an RSA CSR within the policy is issued, then openssl verifies it with the chain and the extensions match the profile', async () => {
    const { ca } = await testCa();
    const { csrPem } = makeCsr({ key: 'rsa2048', subject: '/CN=www.example.com/O=Someone Else', san: 'DNS:www.example.com,DNS:api.example.com' });
    const cert = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: csrPem, profile: webProfile });

    expect(cert.replayed).to.equal(false);
    expect(cert.serialNumber).to.match(/^[0-9a-f]{32}$/);
    expect(cert.subject).to.equal('C=DE, O=Example AG, CN=www.example.com');
    const chain = await ca.caCertificates();
    const verified = await verifyWithChain(cert.certificatePem, chain);
    expect(verified.out).to.contain(': OK');
    expect(verified.code).to.equal(0);

    const text = (await openssl(['x509', '-noout', '-text', '-in', tmpFile('c.pem', cert.certificatePem)])).out;
    expect(text).to.match(/Subject: C ?= ?DE, O ?= ?Example AG, CN ?= ?www\.example\.com/);
    expect(text).to.contain('DNS:www.example.com, DNS:api.example.com');
    expect(text).to.match(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).to.match(/Extended Key Usage:\s+TLS Web Server Authentication\n/);
    expect(text).to.match(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).to.contain(`URI:${PUBLIC_URL}/api/crl`);
    expect(text).to.contain('Public-Key: (2048 bit)');
    const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).to.be.closeTo(397, 0.01);
  });

  it('when an EC P-256 CSR is issued under an EC profile, then openssl verifies it and it has only digitalSignature', async () => {
    const { ca } = await testCa();
    const { csrPem } = makeCsr({ key: 'p256', subject: '/CN=ec.example.com' });
    const cert = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: csrPem, profile: ecProfile });
    expect((await verifyWithChain(cert.certificatePem, await ca.caCertificates())).code).to.equal(0);
    const text = (await openssl(['x509', '-noout', '-text', '-in', tmpFile('c.pem', cert.certificatePem)])).out;
    expect(text).to.match(/Key Usage: critical\s+Digital Signature\n/);
    expect(text).to.contain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(text).to.contain('DNS:ec.example.com');
  });

  it('when the operator edits the server request, then the certificate carries the edited names', async () => {
    const { ca } = await testCa();
    const { csrPem } = makeCsr({ subject: '/CN=old.example.com', san: 'DNS:old.example.com' });
    const request = { csr: csrPem, profile: webProfile, edits: { commonName: 'new.example.com', dnsNames: ['new.example.com', 'www.new.example.com'] } };
    const review = await ca.reviewCsr(request);
    expect(review).to.deep.include({ commonName: 'new.example.com', dnsNames: ['new.example.com', 'www.new.example.com'], keyAlgorithm: 'RSA', keySize: 2048 });
    const cert = await ca.issueFromCsr({ ...request, idempotencyKey: jobKey() });
    const text = (await openssl(['x509', '-noout', '-text', '-in', tmpFile('c.pem', cert.certificatePem)])).out;
    expect(text).to.contain('DNS:new.example.com, DNS:www.new.example.com');
    expect(text).not.to.contain('old.example.com');
  });

  it('when a CSR has a DNS name outside the policy, then it is refused and nothing is stored', async () => {
    const { ca, db } = await testCa();
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM ca_certificates')).rows[0].n;
    const { csrPem } = makeCsr({ subject: '/CN=www.example.com', san: 'DNS:www.example.com,DNS:intruder.example.org' });
    const err = await refusedWith(ca.issueFromCsr({ idempotencyKey: jobKey(), csr: csrPem, profile: webProfile }));
    expect(err.code).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
    expect(err.message).to.contain('intruder.example.org');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM ca_certificates')).rows[0].n).to.equal(before);
  });

  it('when the same job is delivered twice, then the second call returns the same certificate and issues nothing new', async () => {
    const { ca, db } = await testCa();
    const key = jobKey();
    const { csrPem } = makeCsr({ subject: '/CN=retry.example.com' });
    const [a, b] = await Promise.all([
      ca.issueFromCsr({ idempotencyKey: key, csr: csrPem, profile: webProfile }),
      ca.issueFromCsr({ idempotencyKey: key, csr: csrPem, profile: webProfile }),
    ]);
    const c = await ca.issueFromCsr({ idempotencyKey: key, csr: csrPem, profile: webProfile });
    expect(new Set([a.serialNumber, b.serialNumber, c.serialNumber]).size).to.equal(1);
    expect(c.replayed).to.equal(true);
    expect(c.certificatePem).to.equal(a.certificatePem);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM ca_certificates WHERE idempotency_key = $1', [key])).rows[0].n).to.equal(1);
  });

  it('when an idempotency key is reused for a different CSR, then IDEMPOTENCY_CONFLICT', async () => {
    const { ca } = await testCa();
    const key = jobKey();
    await ca.issueFromCsr({ idempotencyKey: key, csr: makeCsr().csrPem, profile: webProfile });
    const err = await refusedWith(ca.issueFromCsr({ idempotencyKey: key, csr: makeCsr().csrPem, profile: webProfile }));
    expect(err.code).to.equal(CaErrorCode.IDEMPOTENCY_CONFLICT);
  });

  it('when a key that issued is reused for a request the CA refuses, then the earlier issuance still answers: IDEMPOTENCY_CONFLICT, not the refusal', async () => {
    // Issuance looks nothing up before it signs; a refused request is looked up before its refusal counts.
    const { ca } = await testCa();
    const key = jobKey();
    await ca.issueFromCsr({ idempotencyKey: key, csr: makeCsr().csrPem, profile: webProfile });
    const err = await refusedWith(ca.issueFromCsr({ idempotencyKey: key, csr: makeCsr({ subject: '/CN=www.other.net' }).csrPem, profile: webProfile }));
    expect(err.code).to.equal(CaErrorCode.IDEMPOTENCY_CONFLICT);
    const fresh = await refusedWith(ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=www.other.net' }).csrPem, profile: webProfile }));
    expect(fresh.code).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
  });

  it('when the CA is loaded again with the same master key, then it is the same CA; with another key, a technical error says what to fix', async () => {
    const { ca, db, masterKey } = await testCa();
    const again = await createBuiltinCa({ pool: db.pool, masterKey, name: 'Test PKI', publicUrl: PUBLIC_URL });
    expect(await again.caCertificates()).to.deep.equal(await ca.caCertificates());
    try {
      await createBuiltinCa({ pool: db.pool, masterKey: new MasterKey(Buffer.alloc(32, 7)), name: 'Test PKI', publicUrl: PUBLIC_URL });
      expect.fail('loaded with a wrong key');
    } catch (err) {
      expect(err).not.to.be.instanceOf(CaError);
      expect((err as Error).message).to.match(/master key .*CA_MASTER_KEY/);
    }
  });
});

describe('built-in CA: what a certificate may name and certify (issue 17)', () => {
  const certificates = async (): Promise<number> => (await (await testCa()).db.pool.query('SELECT count(*)::int AS n FROM ca_certificates')).rows[0].n;

  /** `openssl verify -verify_hostname`: does OpenSSL accept the certificate for this host? */
  async function opensslAcceptsHost(certPem: string, host: string): Promise<boolean> {
    const chain = await (await testCa()).ca.caCertificates();
    const r = await openssl(['verify', '-CAfile', tmpFile('root.pem', chain.root), '-untrusted', tmpFile('issuing.pem', chain.issuing), '-verify_hostname', host, tmpFile('host.pem', certPem)]);
    return r.code === 0 && r.out.includes(': OK');
  }

  it('when a TLS server CSR has a common name that is not a host name (17.2), then nothing is issued that openssl would accept for that name', async () => {
    const { ca } = await testCa();
    const before = await certificates();
    for (const cn of ['evil_host.evil.com', 'www.evil.com:443', 'www.evil.com/x', 'www.evil.com\u200b', 'www.example.com\u200b', 'intranet']) {
      const { csrPem } = makeCsr({ subject: `/CN=${cn.replace('/', '\\/')}` });
      let outcome: string;
      try {
        const cert = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: csrPem, profile: webProfile });
        outcome = `issued (${cert.dnsNames.length} DNS names); openssl -verify_hostname ${JSON.stringify(cn)}: ${(await opensslAcceptsHost(cert.certificatePem, cn)) ? 'OK' : 'refused'}`;
      } catch (err) {
        if (!(err instanceof CaError)) throw err;
        outcome = err.code;
        expect(err.message, cn).to.match(/common name/);
      }
      expect(outcome, JSON.stringify(cn)).to.equal(CaErrorCode.SUBJECT_INVALID);
    }
    expect(await certificates()).to.equal(before);
  });

  it('when a TLS server CSR has only a common name, then the name is also the certificate\'s DNS name: openssl accepts it for that host and no other', async () => {
    const { ca } = await testCa();
    const cert = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=only-cn.example.com' }).csrPem, profile: webProfile });
    expect((await openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', tmpFile('c.pem', cert.certificatePem)])).out).to.contain('DNS:only-cn.example.com');
    expect(await opensslAcceptsHost(cert.certificatePem, 'only-cn.example.com')).to.equal(true);
    expect(await opensslAcceptsHost(cert.certificatePem, 'evil.example.org')).to.equal(false);
  });

  it('when a profile issues TLS server certificates without a domain policy (17.12), then nothing is issued or registered under it; an IP address is never a DNS name', async () => {
    const { ca } = await testCa();
    const before = await certificates();
    const open = { ...webProfile, id: 'no-policy', allowedDnsSuffixes: [] };
    const noEku = { ...open, id: 'no-policy-no-eku', extendedKeyUsage: undefined };
    for (const profile of [open, noEku, { ...open, extendedKeyUsage: ['clientAuth' as const, 'serverAuth' as const] }]) {
      expect(await refusal(ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=10.0.0.1' }).csrPem, profile })), profile.id).to.equal(CaErrorCode.PROFILE_INVALID);
      expect(await refusal(ca.generateKeyPair({ idempotencyKey: jobKey(), profile, commonName: 'anything.example.net' }))).to.equal(CaErrorCode.PROFILE_INVALID);
      expect(await refusal(ca.registerScep({ idempotencyKey: jobKey(), assetRef: 'r', profile, commonName: 'router.example.net' }))).to.equal(CaErrorCode.PROFILE_INVALID);
      expect(await refusal(ca.registerAcme({ idempotencyKey: jobKey(), assetRef: 'r', profile, dnsNames: ['router.example.net'] }))).to.equal(CaErrorCode.PROFILE_INVALID);
    }
    expect(await refusal(ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=ip.example.com', san: 'DNS:ip.example.com,DNS:10.0.0.1' }).csrPem, profile: webProfile }))).to.equal(CaErrorCode.DNS_NAME_INVALID);
    expect(await refusal(ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'ip.example.com', dnsNames: ['127.1'] }))).to.equal(CaErrorCode.DNS_NAME_INVALID);
    expect(await refusal(ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=10.0.0.1' }).csrPem, profile: webProfile }))).to.equal(CaErrorCode.SUBJECT_INVALID);
    expect(await certificates()).to.equal(before);
  });

  it('when a CSR\'s key is weak, oversized or has explicit curve parameters (17.13), then nothing is issued; an EC certificate names its curve', async () => {
    const { ca } = await testCa();
    const before = await certificates();
    const requests: Array<[string, string | Buffer, typeof webProfile]> = [
      ['RSA exponent 3', makeCsr({ key: 'rsa2048e3', subject: '/CN=e3.example.com' }).csrPem, webProfile],
      ['RSA exponent 1', craftedRsaCsr({ exponent: 1n, commonName: 'e1.example.com' }), webProfile],
      ['RSA-16384', craftedRsaCsr({ bits: 16384, commonName: 'big.example.com' }), webProfile],
      ['explicit P-256 parameters', makeCsr({ key: 'p256explicit', subject: '/CN=explicit.example.com' }).csrPem, ecProfile],
    ];
    for (const [what, csr, profile] of requests) {
      let outcome: string;
      try {
        const cert = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr, profile });
        outcome = `issued: ${(await openssl(['x509', '-noout', '-text', '-in', tmpFile('k.pem', cert.certificatePem)])).out.match(/Public-Key: .*|Exponent: .*|Field Type: .*/g)?.join('; ')}`;
      } catch (err) {
        if (!(err instanceof CaError)) throw err;
        outcome = err.code;
      }
      expect(outcome, what).to.equal(CaErrorCode.KEY_UNSUPPORTED);
    }
    expect(await certificates()).to.equal(before);

    const ec = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ key: 'p256', subject: '/CN=named.example.com' }).csrPem, profile: ecProfile });
    const text = (await openssl(['x509', '-noout', '-text', '-in', tmpFile('ec.pem', ec.certificatePem)])).out;
    expect(text).to.contain('ASN1 OID: prime256v1').and.not.contain('Field Type');
  });

  it('when a P10 request has a non-ASCII common name (17.15), then the certificate carries it as written, as the P12 path does', async () => {
    const { ca } = await testCa();
    const subjectOf = async (pem: string) => (await openssl(['x509', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space', '-in', tmpFile('u.pem', pem)])).out.trim();
    for (const stringMask of ['utf8only', 'default'] as const) {
      const p10 = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ key: 'p256', subject: '/CN=Jürgen Müller', stringMask }).csrPem, profile: clientProfile });
      expect(p10.subject).to.equal('C=DE, O=Example AG, CN=Jürgen Müller');
      expect(await subjectOf(p10.certificatePem), stringMask).to.equal('subject=C=DE, O=Example AG, CN=Jürgen Müller');
    }
    const p12 = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: clientProfile, commonName: 'Jürgen Müller' });
    expect(await subjectOf(p12.certificatePem)).to.equal('subject=C=DE, O=Example AG, CN=Jürgen Müller');
  });

  it('when a request asks for more than 100 DNS names (17.15), then nothing is issued', async () => {
    const { ca } = await testCa();
    const san = Array.from({ length: 101 }, (_, i) => `DNS:h${i}.example.com`).join(',');
    expect(await refusal(ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ key: 'p256', subject: '/CN=h0.example.com', san }).csrPem, profile: ecProfile }))).to.equal(CaErrorCode.SAN_TOO_MANY);
    const names = Array.from({ length: 101 }, (_, i) => `h${i}.example.com`);
    expect(await refusal(ca.generateKeyPair({ idempotencyKey: jobKey(), profile: ecProfile, commonName: 'h0.example.com', dnsNames: names }))).to.equal(CaErrorCode.SAN_TOO_MANY);
    expect(await refusal(ca.registerAcme({ idempotencyKey: jobKey(), assetRef: 'many', profile: ecProfile, dnsNames: names }))).to.equal(CaErrorCode.SAN_TOO_MANY);
  });
});
