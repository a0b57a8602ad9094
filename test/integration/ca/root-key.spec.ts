/**
 * The root CA's private key is needed once, to create the issuing CA (and the root's CRL): the
 * running CA never decrypts it (issue 17.14).
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { createBuiltinCa } from '../../../src/ca/builtin-ca';
import { MasterKey } from '../../../src/ca/master-key';
import { migrate } from '../../../src/store/migrate';
import { withEmptyDatabase } from '../../support/database';
import { makeCsr } from '../../fixtures/csr/make-csr';
import { jobKey, PUBLIC_URL, verifyWithChain, webProfile } from './support';

describe('built-in CA: the root key stays sealed at run time (issue 17.14)', () => {
  it('when the CA starts on existing authorities, then it signs without ever opening the root key: a root key that cannot be unsealed does not matter', async () => {
    await withEmptyDatabase(async (pool) => {
      await migrate(pool);
      const masterKey = new MasterKey(crypto.randomBytes(32));
      const options = { pool, masterKey, name: 'Sealed Root PKI', publicUrl: PUBLIC_URL, secretTtlMinutes: 60, rootKey: { algorithm: 'EC', curve: 'P-256' } as const };
      const first = await createBuiltinCa(options);
      const chain = await first.caCertificates();

      // Whatever the root's sealed key is now, a started CA must not need it.
      await pool.query("UPDATE ca_authorities SET private_key_encrypted = $1 WHERE role = 'root'", [crypto.randomBytes(256)]);
      const restarted = await createBuiltinCa(options);

      expect(await restarted.caCertificates()).to.deep.equal(chain);
      const issued = await restarted.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=www.example.com', san: 'DNS:www.example.com' }).csrPem, profile: webProfile });
      expect((await verifyWithChain(issued.certificatePem, chain)).code).to.equal(0);
    });
  });
});
