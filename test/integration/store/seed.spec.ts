import { expect } from 'chai';
import { migrate } from '../../../src/store/migrate';
import { seedDemoData } from '../../../src/store/seed';
import { searchProfiles } from '../../../src/store/profiles';
import { searchAssets } from '../../../src/store/assets';
import { searchCards } from '../../../src/store/cards';
import { certificatesByCard } from '../../../src/store/certificates';
import { listOptions } from '../../../src/store/options';
import { toCaProfile } from '../../../src/ca/store-profile';
import { withEmptyDatabase } from '../../support/database';

describe('store: demo data', () => {
  it('when seeded on an empty database, then it has every protocol, assets, cards with certificates and options; a second seed changes nothing', async () => {
    await withEmptyDatabase(async (pool) => {
      await migrate(pool);
      expect(await seedDemoData(pool)).to.equal(true);
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
      expect((await certificatesByCard(pool, inactiveVirtual.id)).map((c) => c.state)).to.deep.equal(['Certificate hold', 'Certificate hold']);
      expect((await listOptions(pool)).map((o) => o.useCase)).to.include('CardsProcDeactivate');

      const counts = async () => (await pool.query('SELECT (SELECT count(*) FROM assets) a, (SELECT count(*) FROM certificates) c, (SELECT count(*) FROM audit_history) h')).rows[0];
      const before = await counts();
      expect(await seedDemoData(pool)).to.equal(false);
      expect(await counts()).to.deep.equal(before);
    });
  });
});
