import { expect } from 'chai';
import { testApi } from '../../support/api';
import { testCa, tmpFile, openssl, jobKey, ecProfile } from '../ca/support';

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
});
