import { expect } from 'chai';
import { testApi } from '../../support/api';
import { testCa, tmpFile, openssl, jobKey, ecProfile, PUBLIC_URL } from '../ca/support';

describe('API: CRL and CA chain over HTTP', () => {
  let base: string;
  before(async () => {
    ({ base } = await testApi());
  });

  it('when the CRL distribution point is fetched, then openssl reads a DER CRL signed by the issuing CA', async () => {
    const { ca } = await testCa();
    const res = await fetch(`${base}/api/crl`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pkix-crl');
    const der = Buffer.from(await res.arrayBuffer());
    const chain = await (await fetch(`${base}/api/ca/chain`)).text();
    const { issuing } = await ca.caCertificates();
    expect(chain).to.contain(issuing.trim());
    const out = await openssl(['crl', '-inform', 'DER', '-in', tmpFile('crl.der', der), '-noout', '-text', '-CAfile', tmpFile('chain.pem', chain)]);
    expect(out.code, out.out).to.equal(0);
    expect(out.out).to.match(/verify OK/);
    expect(out.out).to.contain('Issuer:').and.contain('Issuing CA');
  });

  it('when a certificate is held, then the CRL served over HTTP lists it with certificateHold', async () => {
    const { ca } = await testCa();
    const keyPair = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: ecProfile, commonName: 'held.corp.example.com', dnsNames: ['held.corp.example.com'] });
    await ca.hold({ idempotencyKey: jobKey(), serialNumber: keyPair.serialNumber });
    const pem = await (await fetch(`${base}/api/crl?format=pem`)).text();
    const out = await openssl(['crl', '-in', tmpFile('crl.pem', pem), '-noout', '-text']);
    expect(out.out.toUpperCase()).to.contain(keyPair.serialNumber.toUpperCase());
    expect(out.out).to.contain('Certificate Hold');
  });

  it('when the issuing CA certificate is read, then it names the root\'s CRL, which is served, signed by the root, and lets openssl check the whole chain (issue 17.20)', async () => {
    const { ca } = await testCa();
    const { issuing, root } = await ca.caCertificates();
    const text = await openssl(['x509', '-in', tmpFile('issuing.pem', issuing), '-noout', '-ext', 'crlDistributionPoints']);
    expect(text.out).to.contain(`URI:${PUBLIC_URL}/api/crl/root`);

    const res = await fetch(`${base}/api/crl/root`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pkix-crl');
    const rootCrl = Buffer.from(await res.arrayBuffer());
    const read = await openssl(['crl', '-inform', 'DER', '-in', tmpFile('root-crl.der', rootCrl), '-noout', '-text', '-CAfile', tmpFile('root.pem', root)]);
    expect(read.out).to.match(/verify OK/);
    expect(read.out).to.contain('Root CA').and.contain('No Revoked Certificates');
    const notAfter = new Date((await openssl(['x509', '-in', tmpFile('issuing.pem', issuing), '-noout', '-enddate'])).out.replace(/^notAfter=/, '').trim());
    const nextUpdate = new Date(/Next Update: (.+)/.exec(read.out)![1]!.trim());
    expect(nextUpdate.getTime(), 'lasts as long as the issuing CA').to.equal(notAfter.getTime());

    const leaf = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: ecProfile, commonName: 'chain.corp.example.com', dnsNames: ['chain.corp.example.com'] });
    const issuingCrlPem = await (await fetch(`${base}/api/crl?format=pem`)).text();
    const rootCrlPem = await (await fetch(`${base}/api/crl/root?format=pem`)).text();
    const verify = await openssl([
      'verify', '-crl_check_all', '-CAfile', tmpFile('root.pem', root), '-untrusted', tmpFile('issuing.pem', issuing),
      '-CRLfile', tmpFile('issuing-crl.pem', issuingCrlPem), '-CRLfile', tmpFile('root-crl.pem', rootCrlPem), tmpFile('leaf.pem', leaf.certificatePem),
    ]);
    expect(verify.code, verify.out).to.equal(0);
    expect(verify.out).to.contain('OK');
  });
});
