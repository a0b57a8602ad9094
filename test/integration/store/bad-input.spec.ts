import { expect } from 'chai';
import type { Pool } from 'pg';
import { ValidationError } from '../../../src/domain/errors';
import { createAsset, searchAssets } from '../../../src/store/assets';
import { createProfile } from '../../../src/store/profiles';
import { createCertificate } from '../../../src/store/certificates';
import { createRequest } from '../../../src/store/requests';
import { createCard } from '../../../src/store/cards';
import { updateOptions } from '../../../src/store/options';
import { testDatabase } from '../../support/database';
import { aProfile, actor } from './fixtures';

async function rowCounts(pool: Pool) {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM assets) a, (SELECT count(*) FROM certificate_profiles) p, (SELECT count(*) FROM certificates) c,
            (SELECT count(*) FROM requests) r, (SELECT count(*) FROM cards) k, (SELECT count(*) FROM audit_history) h,
            (SELECT count(*) FROM use_case_options) o`,
  );
  return rows[0];
}

async function refused(work: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await work();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(ValidationError);
    expect((e as Error).message).to.match(pattern);
    return;
  }
  expect.fail('the bad input was accepted');
}

describe('store: bad input at the repository edge', () => {
  let pool: Pool;
  let profileId: number;
  before(async () => {
    pool = (await testDatabase()).pool;
    profileId = (await aProfile(pool)).id;
  });

  const cases: Array<[string, (pool: Pool) => Promise<unknown>, RegExp]> = [
    ['an asset without a name', (p) => createAsset(p, { name: '' } as never, actor), /name/],
    ['an asset with an over-long name', (p) => createAsset(p, { name: 'x'.repeat(201) }, actor), /name: Too big|name:.*200/i],
    ['an asset created in an unknown state', (p) => createAsset(p, { name: 'a-unknown-state', state: 'Deleted' }, actor), /cannot start in state 'Deleted'/],
    ['an asset created Inactive', (p) => createAsset(p, { name: 'a-inactive', state: 'Inactive' }, actor), /cannot start in state 'Inactive'/],
    ['an asset with a bad DNS name', (p) => createAsset(p, { name: 'a-dns', dnsNames: ['not a host!'] }, actor), /dnsNames.0: not a valid DNS name/],
    ['an asset with an unknown field', (p) => createAsset(p, { name: 'a-extra', colour: 'red' } as never, actor), /colour/],
    ['a profile with an unknown protocol', (p) => createProfile(p, { name: 'x', protocol: 'EST', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 1, subjectTemplate: 'CN=x' } as never, actor), /protocol/],
    ['an RSA profile below 2048 bits', (p) => createProfile(p, { name: 'weak', protocol: 'P10', keyAlgorithm: 'RSA', minKeySize: 1024, validityDays: 1, subjectTemplate: 'CN=x' }, actor), /between 2048 and 8192 bits/],
    ['a TLS server profile without a domain policy', (p) => createProfile(p, { name: 'open', protocol: 'SCEP', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 1, subjectTemplate: 'CN=x', extendedKeyUsage: ['clientAuth', 'serverAuth'] }, actor), /allowedDnsSuffixes: a profile that issues TLS server certificates .* needs a domain policy/],
    ['a profile without usages (so any) and without a domain policy', (p) => createProfile(p, { name: 'open-any', protocol: 'P10', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 1, subjectTemplate: 'CN=x', extendedKeyUsage: [] }, actor), /needs a domain policy/],
    ['a profile with a malformed subject template', (p) => createProfile(p, { name: 'bad-dn', protocol: 'P10', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 1, subjectTemplate: 'Organisation=Example' }, actor), /subjectTemplate: must read like/],
    ['a certificate in an unknown state', (p) => createCertificate(p, { state: 'Lost', profileId, subject: 'CN=x' }, actor), /cannot start in state 'Lost'/],
    ['a certificate holding a private key', (p) => createCertificate(p, { state: 'Valid', profileId, subject: 'CN=x', pem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n' }, actor), /pem/],
    ['a certificate without a subject', (p) => createCertificate(p, { state: 'Valid', profileId } as never, actor), /subject/],
    ['a request with an unknown type', (p) => createRequest(p, { type: 'renewal', useCase: 'AssetsProcEnrollProfile', requester: 'a' } as never, actor), /type/],
    ['a request carrying a password', (p) => createRequest(p, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'a', details: { pkcs12Password: 'x' } }, actor), /must not carry secrets/],
    ['a card with an over-long holder name', (p) => createCard(p, { cardTypeId: 'smart-card', serialNumber: 'SN-long', holderName: 'h'.repeat(201) }, actor), /holderName/],
    ['options with a bad approver address', (p) => updateOptions(p, 'CardsProcDeactivate', { approverEmails: ['nobody'] }, 'admin'), /approverEmails/],
    ['a transition without an actor', (p) => createAsset(p, { name: 'a-no-actor' }, { actor: '' }), /actor/],
  ];

  for (const [what, work, pattern] of cases) {
    it(`when ${what} is given, then it is refused with a clear error and nothing is written`, async () => {
      const before = await rowCounts(pool);
      await refused(() => work(pool), pattern);
      expect(await rowCounts(pool)).to.deep.equal(before);
    });
  }

  it('when a search asks for an unknown state, then it is refused naming the states', async () => {
    await refused(() => searchAssets(pool, { state: 'Gone' }), /'Gone' is not an asset state \(one of: Active, Inactive, Pending\)/);
  });

  it('when a search asks for too many rows, then it is refused', async () => {
    await refused(() => searchAssets(pool, { limit: 10_000 }), /limit/);
  });
});
