import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCsr, MAX_CSR_BYTES } from '../../../src/ca/csr';
import { approveCsr } from '../../../src/ca/request-policy';
import { CaError, CaErrorCode, type CaErrorCode as Code } from '../../../src/ca/errors';
import type { CaProfile } from '../../../src/ca/profile';
import { craftedRsaCsr, csrDer, makeCsr, withBadSignature } from '../../fixtures/csr/make-csr';

// No extended key usage: valid for any purpose, TLS server authentication included.
const rsaProfile: CaProfile = { id: 'web-rsa', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 365, allowedDnsSuffixes: ['example.com'] };
const ecProfile: CaProfile = { ...rsaProfile, id: 'web-ec', keyAlgorithm: 'EC', minKeySize: 256 };
const clientProfile: CaProfile = { ...rsaProfile, id: 'client', extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: [] };
const sans = (count: number): string => Array.from({ length: count }, (_, i) => `DNS:h${i}.example.com`).join(',');

/** Runs `fn` and returns the CaError it throws; fails when it throws anything else or nothing. */
function refusal(fn: () => unknown): CaError {
  try {
    fn();
  } catch (err) {
    expect(err, `expected a CaError, got ${String(err)}`).to.be.instanceOf(CaError);
    return err as CaError;
  }
  expect.fail('expected a refusal');
}

describe('CSR parsing (P10)', () => {
  it('when a PEM RSA CSR with DNS names is given, then subject, names and key are read and the signature verified', () => {
    const { csrPem } = makeCsr({ key: 'rsa2048', subject: '/CN=www.example.com/O=Example', san: 'DNS:www.example.com,DNS:api.example.com' });
    const csr = parseCsr(csrPem);
    expect(csr.commonName).to.equal('www.example.com');
    expect(csr.dnsNames).to.deep.equal(['www.example.com', 'api.example.com']);
    expect(csr.key).to.include({ type: 'rsa', bits: 2048 });
  });

  it('when the CSR is DER bytes with an EC P-384 key, then it is read', () => {
    const { csrPem } = makeCsr({ key: 'p384', subject: '/CN=db.example.com' });
    const csr = parseCsr(csrDer(csrPem));
    expect(csr.key).to.include({ type: 'ec', curve: 'secp384r1', bits: 384 });
  });

  it('when the CSR is base64 without PEM armour, then it is read', () => {
    const { csrPem } = makeCsr({ key: 'p256' });
    expect(parseCsr(csrDer(csrPem).toString('base64')).commonName).to.equal('host.example.com');
  });

  describe('names are decoded once, by their string type (issue 17.15)', () => {
    it('when the subject is UTF8String, then a non-ASCII common name reads as written', () => {
      const csr = parseCsr(makeCsr({ key: 'p256', subject: '/CN=Jürgen Müller/O=Zürich' }).csrPem);
      expect(csr.commonName).to.equal('Jürgen Müller');
      expect(approveCsr(csr, { ...clientProfile, keyAlgorithm: 'EC', minKeySize: 256 }).commonName).to.equal('Jürgen Müller');
    });

    it('when an old tool writes T61String and BMPString, then they read as written too', () => {
      const csr = parseCsr(makeCsr({ key: 'p256', subject: '/CN=Jürgen Müller/O=Жук', stringMask: 'default' }).csrPem);
      expect(csr.subject.map((a) => a.value)).to.deep.equal(['Jürgen Müller', 'Жук']);
    });

    it('when a UniversalString holds a character beyond the BMP, then it reads as written (asn1js alone keeps only the first character)', () => {
      const bytes = Buffer.from([0, 0, 0, 0x41, 0, 0x01, 0xf6, 0x00]); // "A😀" in UTF-32BE
      expect(parseCsr(craftedRsaCsr({ commonNameAs: { tag: 28, bytes } })).commonName).to.equal('A\u{1f600}');
    });

    it('when a DNS name has a byte that is not ASCII, then it is refused rather than read as another name', () => {
      // 0xe1 is 'a' (0x61) with the high bit set: decoded as ASCII it became www.example.com.
      expect(refusal(() => parseCsr(makeCsr({ san: Buffer.from('DNS:www.ex\xe1mple.com', 'latin1') }).csrPem)).details).to.deep.include({ dnsName: 'www.ex\\xe1mple.com' });
    });

    it('when a request has exactly 100 alternative names, then they are read', () => {
      expect(parseCsr(makeCsr({ key: 'p256', san: sans(100) }).csrPem).dnsNames).to.have.length(100);
    });
  });

  describe('the bad-CSR corpus: each refusal has its own code and a message, never an untyped exception', () => {
    const corpus: Array<[string, () => unknown, Code, RegExp]> = [
      ['a bad signature', () => parseCsr(withBadSignature(makeCsr().csrPem)), CaErrorCode.CSR_SIGNATURE, /signature .* does not match/],
      ['a bad EC signature', () => parseCsr(withBadSignature(makeCsr({ key: 'p256' }).csrPem)), CaErrorCode.CSR_SIGNATURE, /altered or corrupted/],
      ['a 1024-bit RSA key', () => approveCsr(parseCsr(makeCsr({ key: 'rsa1024' }).csrPem), rsaProfile), CaErrorCode.KEY_TOO_WEAK, /1024-bit RSA key.*at least 2048/],
      ['an Ed25519 key', () => approveCsr(parseCsr(makeCsr({ key: 'ed25519' }).csrPem), rsaProfile), CaErrorCode.CSR_SIGNATURE_ALGORITHM, /unsupported algorithm/],
      ['a DSA key', () => approveCsr(parseCsr(makeCsr({ key: 'dsa2048' }).csrPem), rsaProfile), CaErrorCode.CSR_SIGNATURE_ALGORITHM, /unsupported algorithm/],
      ['a P-521 key under an EC profile', () => approveCsr(parseCsr(makeCsr({ key: 'p521' }).csrPem), ecProfile), CaErrorCode.KEY_UNSUPPORTED, /P-256 or P-384/],
      ['an EC key under an RSA profile', () => approveCsr(parseCsr(makeCsr({ key: 'p256' }).csrPem), rsaProfile), CaErrorCode.KEY_ALGORITHM_NOT_ALLOWED, /requires an RSA key/],
      ['a SHA-1 signature', () => parseCsr(makeCsr({ digest: 'sha1' }).csrPem), CaErrorCode.CSR_SIGNATURE_ALGORITHM, /SHA-1/],
      ['a DNS name outside the policy', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=www.example.com', san: 'DNS:www.example.com,DNS:evil.example.org' }).csrPem), rsaProfile), CaErrorCode.DNS_NOT_ALLOWED, /evil\.example\.org.*outside the domain policy/],
      ['a common name outside the policy', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=www.other.net' }).csrPem), rsaProfile), CaErrorCode.DNS_NOT_ALLOWED, /www\.other\.net/],
      ['an IP address alternative name', () => approveCsr(parseCsr(makeCsr({ san: 'DNS:a.example.com,IP:10.0.0.1' }).csrPem), rsaProfile), CaErrorCode.SAN_TYPE_NOT_ALLOWED, /iPAddress/],
      ['garbage text', () => parseCsr('this is not a certificate request!'), CaErrorCode.CSR_INVALID, /neither PEM nor DER/],
      ['base64-looking text', () => parseCsr('thisisnotacertificaterequest'), CaErrorCode.CSR_INVALID, /not a valid certificate signing request/],
      ['garbage bytes', () => parseCsr(crypto.randomBytes(300)), CaErrorCode.CSR_INVALID, /not a valid certificate signing request/],
      ['DER-looking garbage', () => parseCsr(Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), crypto.randomBytes(256)])), CaErrorCode.CSR_INVALID, /cannot be read|malformed|missing/],
      ['a truncated CSR', () => parseCsr(csrDer(makeCsr().csrPem).subarray(0, 200)), CaErrorCode.CSR_INVALID, /structure cannot be read/],
      ['a certificate instead of a CSR', () => parseCsr('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'), CaErrorCode.CSR_INVALID, /"CERTIFICATE", not a "CERTIFICATE REQUEST"/],
      ['an empty string', () => parseCsr(''), CaErrorCode.CSR_EMPTY, /empty/],
      ['blank text', () => parseCsr('  \n '), CaErrorCode.CSR_EMPTY, /empty/],
      ['empty bytes', () => parseCsr(Buffer.alloc(0)), CaErrorCode.CSR_EMPTY, /empty/],
      ['bytes after the request', () => parseCsr(Buffer.concat([csrDer(makeCsr({ key: 'p256' }).csrPem), Buffer.from([0x05, 0x00])])), CaErrorCode.CSR_INVALID, /bytes after the request/],
      // Issue 17.15: a name is decoded once, from its bytes; asn1js would read these as Latin-1 text.
      ['a common name that is not UTF-8 in a UTF8String', () => parseCsr(craftedRsaCsr({ commonNameAs: { tag: 12, bytes: Buffer.from('4ac328', 'hex') } })), CaErrorCode.CSR_INVALID, /CN is not valid UTF-8/],
      ['a common name with a byte that is not ASCII in a PrintableString', () => parseCsr(craftedRsaCsr({ commonNameAs: { tag: 19, bytes: Buffer.from('J\xfcrgen', 'latin1') } })), CaErrorCode.CSR_INVALID, /not ASCII/],
      ['a common name with a surrogate in a UniversalString', () => parseCsr(craftedRsaCsr({ commonNameAs: { tag: 28, bytes: Buffer.from('0000d800', 'hex') } })), CaErrorCode.CSR_INVALID, /not valid UniversalString/],
      ['a very large upload', () => parseCsr(Buffer.alloc(MAX_CSR_BYTES + 1, 0x30)), CaErrorCode.CSR_TOO_LARGE, /at most 65536 bytes/],
      ['a very large PEM', () => parseCsr(`-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(10 * 1024 * 1024)}\n-----END CERTIFICATE REQUEST-----`), CaErrorCode.CSR_TOO_LARGE, /bytes/],
      // Issue 17.13: key quality.
      ['an RSA key with public exponent 3', () => parseCsr(makeCsr({ key: 'rsa2048e3' }).csrPem), CaErrorCode.KEY_UNSUPPORTED, /public exponent 3.*65537/],
      ['an RSA key with public exponent 1', () => parseCsr(craftedRsaCsr({ exponent: 1n })), CaErrorCode.KEY_UNSUPPORTED, /public exponent 1.*65537/],
      ['a 16384-bit RSA key', () => parseCsr(craftedRsaCsr({ bits: 16384 })), CaErrorCode.KEY_UNSUPPORTED, /16384 bits.*at most 8192/],
      ['an EC key with explicit curve parameters', () => parseCsr(makeCsr({ key: 'p256explicit' }).csrPem), CaErrorCode.KEY_UNSUPPORTED, /explicit curve parameters.*named curve/],
      // Issue 17.15: alternative names are ASCII and few.
      ['a DNS name with a byte that is not ASCII', () => parseCsr(makeCsr({ san: Buffer.from('DNS:www.ex\xe1mple.com', 'latin1') }).csrPem), CaErrorCode.DNS_NAME_INVALID, /not ASCII/],
      ['a DNS name with a control byte', () => parseCsr(makeCsr({ san: Buffer.from('DNS:www.example.com\x01', 'latin1') }).csrPem), CaErrorCode.DNS_NAME_INVALID, /not ASCII|control/],
      ['101 alternative names', () => parseCsr(makeCsr({ san: sans(101) }).csrPem), CaErrorCode.SAN_TOO_MANY, /101 alternative names.*at most 100/],
      ['1,500 alternative names', () => parseCsr(makeCsr({ san: sans(1500) }).csrPem), CaErrorCode.SAN_TOO_MANY, /at most 100/],
      // Issue 17.2: under a TLS server profile the common name is a DNS name, or nothing is issued.
      ['a common name with an underscore', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=evil_host.evil.com' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /"evil_host\.evil\.com".*DNS name/],
      ['a common name with a port', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=www.evil.com:443' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /TLS server/],
      ['a common name with a path', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=www.evil.com\\/x' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /TLS server/],
      ['a common name with a zero-width space', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=www.evil.com\u200b' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /invisible|control/],
      ['a common name inside the policy with a zero-width space', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=www.example.com\u200b' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /invisible|control/],
      ['a single-label common name', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=intranet' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /"intranet".*DNS name/],
      ['a person as common name', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=Erika Mustermann' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /TLS server/],
      // Issue 17.12: IP literals are never DNS names.
      ['an IP address as common name', () => approveCsr(parseCsr(makeCsr({ subject: '/CN=10.0.0.1' }).csrPem), rsaProfile), CaErrorCode.SUBJECT_INVALID, /IP address/],
      ['an IP address as DNS name', () => approveCsr(parseCsr(makeCsr({ san: 'DNS:10.0.0.1' }).csrPem), rsaProfile), CaErrorCode.DNS_NAME_INVALID, /IP address/],
    ];
    for (const [what, run, code, message] of corpus) {
      it(`when the CSR has ${what}, then it is refused with ${code}`, () => {
        const err = refusal(run);
        expect(err.code).to.equal(code);
        expect(err.message).to.match(message);
      });
    }

    it('when openssl checks the crafted RSA requests of the corpus, then their signatures verify: they are refused for their keys alone', () => {
      for (const der of [craftedRsaCsr({ exponent: 1n }), craftedRsaCsr({ bits: 16384 })]) {
        const r = spawnSync('openssl', ['req', '-inform', 'DER', '-noout', '-verify'], { input: der, encoding: 'utf8' });
        expect(r.stdout + r.stderr).to.contain('verify OK');
      }
    });

    it('when random mutations of a valid CSR are parsed, then every failure is a CaError', () => {
      const der = csrDer(makeCsr({ key: 'p256', san: 'DNS:a.example.com' }).csrPem);
      for (let i = 0; i < 500; i++) {
        const copy = Buffer.from(der);
        const at = crypto.randomInt(copy.length);
        copy[at] = crypto.randomInt(256);
        try {
          parseCsr(copy);
        } catch (err) {
          expect(err, `mutation at byte ${at}`).to.be.instanceOf(CaError);
        }
      }
    });
  });

  it('when the CA is started from another directory (no tsconfig.json in sight), then its ASN.1 schemas still load and read a request', () => {
    // Decorator syntax compiled without the project's tsconfig broke at import; the schemas are declared without it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-cwd-'));
    try {
      const script = path.join(dir, 'read.ts');
      const src = (file: string): string => JSON.stringify(path.resolve(__dirname, '../../../src/ca', file));
      fs.writeFileSync(script, `import { parseCsr } from ${src('csr.ts')};\nimport { buildPkcs12 } from ${src('pkcs12.ts')};\nconsole.log(parseCsr(process.argv[2]!).commonName, typeof buildPkcs12);\n`);
      const loader = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/loader.mjs')).href;
      const r = spawnSync(process.execPath, ['--import', loader, script, makeCsr({ key: 'p256' }).csrPem], { cwd: dir, encoding: 'utf8' });
      expect(r.stdout + r.stderr).to.contain('host.example.com function');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
