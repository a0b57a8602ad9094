import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCertificate, encodeName } from '../../../src/ca/certificate-builder';
import { buildCrl } from '../../../src/ca/crl';
import { buildPkcs12 } from '../../../src/ca/pkcs12';
import { createSigner } from '../../../src/ca/signer';
import { certificateParts, keyIdentifier, randomSerial } from '../../../src/ca/x509';

describe('certificate builder, CRL and PKCS#12 with an EC CA (checked by openssl)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-builder-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer): string => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  const openssl = (args: string[]): string => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
    return r.stdout + r.stderr; // pkcs12 -info reports on stderr
  };

  it('when an EC P-384 issuer signs an RSA certificate and a CRL, then openssl verifies both with ECDSA-SHA384', async () => {
    const now = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));
    const later = new Date(Date.UTC(2055, 0, 1)); // past 2049: GeneralizedTime
    const caKey = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const caSpki = caKey.publicKey.export({ format: 'der', type: 'spki' });
    const subject = [{ shortName: 'CN' as const, value: 'EC Test CA' }];
    const issuer = { name: encodeName(subject), keyIdentifier: keyIdentifier(caSpki), signer: createSigner(caKey.privateKey) };
    const ca = await buildCertificate({ serial: randomSerial(), subject, spki: caSpki, notBefore: now, notAfter: later, ca: {}, selfSigned: true }, issuer);
    const leafKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const serial = Buffer.from('80' + '11'.repeat(15), 'hex'); // top bit set: needs a leading zero byte in DER
    const leaf = await buildCertificate(
      { serial, subject: [{ shortName: 'CN', value: 'Jürgen Müller' }], spki: leafKey.publicKey.export({ format: 'der', type: 'spki' }), notBefore: now, notAfter: later, keyUsage: { digitalSignature: true }, extendedKeyUsage: ['clientAuth'] },
      issuer,
    );
    expect(certificateParts(leaf.der).serialHex).to.equal(serial.toString('hex'));
    const text = openssl(['x509', '-noout', '-text', '-nameopt', 'utf8', '-in', file('leaf.pem', leaf.pem)]);
    expect(text).to.contain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).to.match(/CN ?= ?Jürgen Müller/);
    expect(text).to.contain('Not After : Jan  1 00:00:00 2055 GMT');
    expect(openssl(['verify', '-attime', String(now.getTime() / 1000 + 60), '-CAfile', file('ca.pem', ca.pem), file('leaf2.pem', leaf.pem)])).to.contain('OK');

    const crl = await buildCrl({ number: 3, thisUpdate: now, nextUpdate: later, entries: [{ serialHex: serial.toString('hex'), revokedAt: now, reason: 'affiliationChanged' }] }, issuer);
    const crlText = openssl(['crl', '-noout', '-text', '-in', file('crl.pem', crl.pem), '-CAfile', path.join(dir, 'ca.pem')]);
    expect(crlText).to.contain('Affiliation Changed');
    expect(crlText).to.contain(`Serial Number: ${serial.toString('hex').toUpperCase()}`);
  });

  it('when a PKCS#12 is built, then openssl 3 reads it without -legacy and rejects a wrong password', async () => {
    const key = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = key.publicKey.export({ format: 'der', type: 'spki' });
    const subject = [{ shortName: 'CN' as const, value: 'p12' }];
    const issuer = { name: encodeName(subject), keyIdentifier: keyIdentifier(spki), signer: createSigner(key.privateKey) };
    const cert = await buildCertificate({ serial: randomSerial(), subject, spki, notBefore: new Date(), notAfter: new Date(Date.now() + 864e5), keyUsage: { digitalSignature: true } }, issuer);
    const p12 = file('a.p12', await buildPkcs12({ privateKey: key.privateKey, certificate: cert.der, password: 'pw-ÄÖ-123' }, { friendlyName: 'p12' }));
    expect(openssl(['pkcs12', '-info', '-noout', '-in', p12, '-passin', 'pass:pw-ÄÖ-123'])).to.contain('MAC: sha256');
    expect(() => openssl(['pkcs12', '-info', '-noout', '-in', p12, '-passin', 'pass:nope'])).to.throw();
  });
});
