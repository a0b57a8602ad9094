/**
 * Certificates nobody owns (issue 17.4): a database written before the CA joined the store's
 * transaction can hold certificates the CA committed while the store's work was lost — valid,
 * with a PKCS#12 whose password nobody has. The reconciliation revokes exactly those, on real
 * PostgreSQL with the built-in CA, and openssl sees them on the CRL.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createBuiltinCa, type BuiltinCa } from '../../../src/ca/builtin-ca';
import { MasterKey } from '../../../src/ca/master-key';
import { certificateRecord } from '../../../src/ca/store-profile';
import { findOrphanCertificates, revokeOrphanCertificates } from '../../../src/store/ca-orphans';
import { createCertificate } from '../../../src/store/certificates';
import { migrate } from '../../../src/store/migrate';
import { withEmptyDatabase } from '../../support/database';
import { makeCsr } from '../../fixtures/csr/make-csr';
import { aProfile } from '../store/fixtures';
import { clientProfile, jobKey, openssl, PUBLIC_URL, tmpFile, verifyWithChain, webProfile } from './support';

const ctx = { actor: 'test-suite' };
const later = (): { issuedBefore: Date } => ({ issuedBefore: new Date(Date.now() + 60_000) });

async function freshCa(pool: Pool): Promise<BuiltinCa> {
  await migrate(pool);
  return createBuiltinCa({ pool, masterKey: new MasterKey(crypto.randomBytes(32)), name: 'Orphans PKI', publicUrl: PUBLIC_URL, secretTtlMinutes: 60, rootKey: { algorithm: 'EC', curve: 'P-256' } });
}

describe('certificates no certificate object holds are revoked (issue 17.4)', () => {
  it('when the CA holds a P12 and a P10 certificate the store never recorded beside one it did, then only the two are revoked, their PKCS#12 is gone, openssl finds them on the CRL, and a second run changes nothing', async () => {
    await withEmptyDatabase(async (pool) => {
      const ca = await freshCa(pool);
      const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['example.com'] });

      // Known: issued and recorded in one transaction, as the workers do.
      const known = await createCertificate(
        pool,
        { state: 'Valid', profileId: profile.id, ...certificateRecord(await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=known.example.com', san: 'DNS:known.example.com' }).csrPem, profile: webProfile })) },
        ctx,
      );
      // Orphans: what the CA committed on its own before the store's transaction was lost.
      const lostP12 = await ca.generateKeyPair({ idempotencyKey: jobKey(), profile: clientProfile, commonName: 'lost-laptop' });
      const lostP10 = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=lost.example.com', san: 'DNS:lost.example.com' }).csrPem, profile: webProfile });
      expect(lostP12.password, 'the PKCS#12 password was handed out').to.be.a('string');

      // Not yet old enough: an issuance that may still be recorded is never taken for an orphan.
      expect(await findOrphanCertificates(pool, { issuedBefore: new Date(Date.now() - 60_000) })).to.deep.equal([]);
      const found = await findOrphanCertificates(pool, later());
      expect(found.map((o) => o.serial).sort()).to.deep.equal([lostP12.serialNumber, lostP10.serialNumber].sort());
      expect((await ca.status(lostP12.serialNumber)).status, 'looking changes nothing').to.equal('valid');

      const revoked = await revokeOrphanCertificates(pool, ca, later());
      expect(revoked.map((o) => o.serial).sort()).to.deep.equal([lostP12.serialNumber, lostP10.serialNumber].sort());
      for (const o of [lostP12, lostP10]) expect(await ca.status(o.serialNumber)).to.deep.include({ status: 'revoked', reason: 'cessationOfOperation' });
      expect((await ca.status(known.serial!)).status).to.equal('valid');
      const waiting = await pool.query('SELECT pkcs12_encrypted FROM ca_pending_pkcs12 WHERE serial = $1', [lostP12.serialNumber]);
      expect(waiting.rows[0].pkcs12_encrypted, 'the orphaned PKCS#12 can still be downloaded').to.equal(null);

      const chain = await ca.caCertificates();
      const crl = (await ca.currentCrl()).pem;
      const text = (await openssl(['crl', '-noout', '-text', '-in', tmpFile('orphans-crl.pem', crl)])).out;
      for (const o of [lostP12, lostP10]) expect(text).to.contain(`Serial Number: ${o.serialNumber.toUpperCase()}`);
      expect((await verifyWithChain(lostP10.certificatePem, chain, crl)).code, 'openssl still accepts an orphan').not.to.equal(0);
      expect((await verifyWithChain(known.pem!, chain, crl)).code).to.equal(0);

      expect(await revokeOrphanCertificates(pool, ca, later())).to.deep.equal([]);
      expect(await findOrphanCertificates(pool, later())).to.deep.equal([]);
    });
  });

  it('when a certificate on hold at the CA has no certificate object, then it is revoked too', async () => {
    await withEmptyDatabase(async (pool) => {
      const ca = await freshCa(pool);
      const held = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=held.example.com', san: 'DNS:held.example.com' }).csrPem, profile: webProfile });
      await ca.hold({ idempotencyKey: jobKey(), serialNumber: held.serialNumber });
      expect((await revokeOrphanCertificates(pool, ca, later())).map((o) => o.status)).to.deep.equal(['hold']);
      expect(await ca.status(held.serialNumber)).to.deep.include({ status: 'revoked', reason: 'cessationOfOperation' });
    });
  });
});
