import { expect } from 'chai';
import { migrate } from '../../../src/store/migrate';
import { seedDemoData } from '../../../src/store/seed';
import { searchProfiles } from '../../../src/store/profiles';
import { searchAssets } from '../../../src/store/assets';
import { searchCards } from '../../../src/store/cards';
import crypto, { X509Certificate } from 'node:crypto';
import { certificatesByCard, searchCertificates } from '../../../src/store/certificates';
import { createBuiltinCa } from '../../../src/ca/builtin-ca';
import { MasterKey } from '../../../src/ca/master-key';
import { listOptions } from '../../../src/store/options';
import { toCaProfile } from '../../../src/ca/store-profile';
import { withEmptyDatabase } from '../../support/database';

describe('store: demo data', () => {
  it('when seeded on an empty database, then it has every protocol, assets, cards with certificates and options; a second seed changes nothing', async () => {
    await withEmptyDatabase(async (pool) => {
      await migrate(pool);
      const ca = await createBuiltinCa({
        pool,
        masterKey: new MasterKey(crypto.randomBytes(32)),
        name: 'Seed Test',
        publicUrl: 'https://pki.example.test',
        rootKey: { algorithm: 'EC', curve: 'P-384' }, // quick to generate
      });
      expect(await seedDemoData(pool, { ca })).to.equal(true);
      const profiles = (await searchProfiles(pool, { limit: 100 })).items;
      expect(profiles.map((p) => p.protocol)).to.have.members(['P10', 'P12', 'ACME', 'SCEP']);
      expect(profiles.every((p) => p.state === 'Active')).to.equal(true);
      expect(profiles.some((p) => p.allowedDnsSuffixes.length > 0)).to.equal(true);
      expect(profiles.some((p) => p.enrollmentApprovalRequired)).to.equal(true);
      for (const p of profiles) expect(() => toCaProfile(p), p.name).to.not.throw();
      const assets = (await searchAssets(pool, { limit: 100 })).items;
      expect(assets.length).to.be.at.least(3);
      expect(assets.map((a) => a.state)).to.include.members(['Active', 'Inactive', 'Pending']);
      const cards = (await searchCards(pool, { limit: 100 })).items;
      expect(cards.map((c) => c.cardTypeId)).to.include.members(['smart-card', 'virtual-smart-card']);
      const inactiveVirtual = cards.find((c) => c.cardTypeId === 'virtual-smart-card' && c.state === 'inactive')!;
      const held = await certificatesByCard(pool, inactiveVirtual.id);
      expect(held.map((c) => c.state)).to.deep.equal(['Certificate hold', 'Certificate hold']);
      for (const c of held) expect((await ca.status(c.serial!)).status).to.equal('hold');
      const all = (await searchCertificates(pool, { limit: 100 })).items;
      expect(all.length).to.be.at.least(9);
      for (const c of all) {
        expect(c.pem, c.subject).to.match(/^-----BEGIN CERTIFICATE-----/);
        expect(new X509Certificate(c.pem!).serialNumber.toLowerCase().replace(/^0+/, '')).to.equal(c.serial!.replace(/^0+/, ''));
      }
      expect((await listOptions(pool)).map((o) => o.useCase)).to.include('CardsProcDeactivate');

      const counts = async () => (await pool.query('SELECT (SELECT count(*) FROM assets) a, (SELECT count(*) FROM certificates) c, (SELECT count(*) FROM audit_history) h')).rows[0];
      const before = await counts();
      expect(await seedDemoData(pool)).to.equal(false);
      expect(await counts()).to.deep.equal(before);
    });
  });
});
