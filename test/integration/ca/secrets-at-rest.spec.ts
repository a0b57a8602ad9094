import { expect } from 'chai';
import crypto from 'node:crypto';
import { makeCsr } from '../../fixtures/csr/make-csr';
import { jobKey, MASTER_KEY_BYTES, openssl, testCa, tmpFile, webProfile } from './support';

/** Every way a secret could be written into a column: as text, hex, base64, base64url, or raw bytes. */
function forms(secret: Buffer): string[] {
  return [secret.toString('utf8'), secret.toString('hex'), secret.toString('base64'), secret.toString('base64url')].filter((s) => s.length >= 16);
}

describe('built-in CA: no secret in clear at rest', () => {
  it('when every column of every CA table is scanned, then no private key, password, HMAC key, challenge or master key is found', async () => {
    const { ca, db, masterKey } = await testCa();
    const lines: string[] = [];
    const origLog = console.log;
    const origError = console.error;
    const origWarn = console.warn;
    console.log = console.error = console.warn = (...args: unknown[]) => lines.push(args.map(String).join(' '));
    const secrets: Buffer[] = [MASTER_KEY_BYTES];
    try {
      // Make one of everything that has a secret.
      await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=scan.example.com' }).csrPem, profile: webProfile });
      const p12 = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'scan-p12.example.com' });
      const pending = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: webProfile, commonName: 'scan-pending.example.com' });
      const acme = await ca.registerAcme({ idempotencyKey: jobKey(), assetRef: 'scan', profile: webProfile, dnsNames: ['scan.example.com'] });
      const scep = await ca.registerScep({ idempotencyKey: jobKey(), assetRef: 'scan', profile: webProfile, commonName: 'scan-scep.example.com' });
      await ca.currentCrl();
      secrets.push(Buffer.from(p12.password!), Buffer.from(pending.password!), Buffer.from(acme.hmacKey!, 'base64url'), Buffer.from(scep.challengePassword!));

      // The generated private key, from the downloaded PKCS#12.
      const file = tmpFile('scan.p12', (await ca.downloadPkcs12(p12.pkcs12Id)).pkcs12);
      const pem = (await openssl(['pkcs12', '-in', file, '-nodes', '-nocerts', '-passin', `pass:${p12.password}`])).out;
      const keyDer = crypto.createPrivateKey(pem.slice(pem.indexOf('-----BEGIN'))).export({ format: 'der', type: 'pkcs8' });
      secrets.push(keyDer.subarray(keyDer.length - 64)); // a run of private key bytes
      // The CA's own private keys, decrypted here only to know what to look for.
      for (const row of (await db.pool.query('SELECT role, private_key_encrypted FROM ca_authorities')).rows) {
        const der = masterKey.open(row.private_key_encrypted, `ca_authorities:${row.role}:private_key`);
        secrets.push(der.subarray(der.length - 64));
      }
    } finally {
      console.log = origLog;
      console.error = origError;
      console.warn = origWarn;
    }
    const needles = secrets.flatMap(forms);
    expect(needles.length).to.be.greaterThan(20);

    const tables = (await db.pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'ca\\_%'")).rows.map((r) => r.table_name);
    expect(tables).to.include.members(['ca_authorities', 'ca_certificates', 'ca_pending_pkcs12', 'ca_acme_bindings', 'ca_scep_challenges', 'ca_operations', 'ca_crls']);
    let cells = 0;
    for (const table of tables) {
      for (const row of (await db.pool.query(`SELECT * FROM ${table}`)).rows) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null) continue;
          cells++;
          const text = Buffer.isBuffer(value) ? `${value.toString('hex')} ${value.toString('base64')} ${value.toString('latin1')}` : JSON.stringify(value);
          for (const secret of secrets) {
            if (Buffer.isBuffer(value)) expect(value.includes(secret), `${table}.${column} holds a secret`).to.equal(false);
          }
          for (const needle of needles) expect(text.includes(needle), `${table}.${column} holds a secret`).to.equal(false);
        }
      }
    }
    expect(cells).to.be.greaterThan(50);
    for (const line of lines) for (const needle of needles) expect(line).not.to.contain(needle);
    // The master key redacts itself wherever it could be printed.
    expect(JSON.stringify({ masterKey })).not.to.contain(MASTER_KEY_BYTES.toString('hex'));
    expect(require('node:util').inspect(masterKey)).to.equal('MasterKey([redacted])');
  });
});
