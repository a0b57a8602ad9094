import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { buildCsr } from '../../../src/ca/csr-builder';
import { parseCsr } from '../../../src/ca/csr';

function opensslText(der: Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-csrb-')), 'req.der');
  fs.writeFileSync(file, der);
  try {
    return execFileSync('openssl', ['req', '-inform', 'DER', '-in', file, '-noout', '-text', '-verify'], { stdio: 'pipe' }).toString();
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

describe('CSR builder (demo data, benchmark)', () => {
  for (const [label, keyPair] of [
    ['RSA-2048', crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['P-256', crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
  ] as const) {
    it(`when a ${label} CSR is built with DNS names, then openssl verifies it and our parser reads the same names`, () => {
      const der = buildCsr({ keyPair, commonName: 'web01.corp.example.com', dnsNames: ['web01.corp.example.com', 'portal.corp.example.com'] });
      const text = opensslText(der);
      expect(text).to.contain('CN = web01.corp.example.com').and.contain('DNS:portal.corp.example.com');
      const parsed = parseCsr(der);
      expect(parsed.dnsNames).to.deep.equal(['web01.corp.example.com', 'portal.corp.example.com']);
    });
  }

  it('when no DNS names are given, then the CSR carries no subjectAltName and still verifies', () => {
    const der = buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: 'Alice (Authentication)' });
    expect(opensslText(der)).to.contain('CN = Alice (Authentication)').and.not.contain('Subject Alternative Name');
  });
});
