/**
 * The API's object views on PostgreSQL, without HTTP: relations, history and the use cases
 * available now, as state, options and card-type commands change.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { COLLECTIONS, objectView } from '../../../src/api/objects';
import { REGISTRATION_AUTHORITY_GROUP, type Actor } from '../../../src/domain/authorization';
import { createAsset, transitionAsset } from '../../../src/store/assets';
import { addCardRelation, setCardTypeCommandEnabled, transitionCard } from '../../../src/store/cards';
import { updateOptions } from '../../../src/store/options';
import { testDatabase } from '../../support/database';
import { aCard, aValidCertificate, actor } from '../store/fixtures';

/** Availability here is about state and options; who may act is authorization.spec's. */
const registrationAuthority: Actor = { username: 'ra1', email: null, groups: [REGISTRATION_AUTHORITY_GROUP], isAdmin: false };

const offer = (view: { useCases: Array<{ symbolicName: string; available: boolean; reason?: string }> }, name: string) =>
  view.useCases.find((u) => u.symbolicName === name);

describe('API object views: relations, history and available use cases', () => {
  let pool: Pool;
  before(async () => {
    pool = (await testDatabase()).pool;
  });

  it('when an asset is Active, then Enroll profile is available; Inactive, then not, with the reason; the history shows the change', async () => {
    const asset = await createAsset(pool, { name: `view-${Date.now()}` }, actor);
    expect(offer(await objectView(pool, COLLECTIONS.assets!, asset.id, registrationAuthority), 'AssetsProcEnrollProfile')).to.include({ available: true });
    await transitionAsset(pool, asset.id, 'Inactive', { actor: 'agent1', reason: 'maintenance' });
    const view = await objectView(pool, COLLECTIONS.assets!, asset.id, registrationAuthority);
    expect(offer(view, 'AssetsProcEnrollProfile')).to.deep.include({ available: false, reason: "Enroll profile needs the asset in state 'Active'; it is 'Inactive'" });
    expect(view.history.map((h) => [h.fromState, h.toState, h.actor])).to.deep.equal([[null, 'Active', 'test-suite'], ['Active', 'Inactive', 'agent1']]);
  });

  it('when an asset is Pending, then Assign certificate profile is available and Enroll profile is not (issue 18.10)', async () => {
    const asset = await createAsset(pool, { name: `pending-view-${Date.now()}` }, actor);
    await transitionAsset(pool, asset.id, 'Pending', actor);
    const view = await objectView(pool, COLLECTIONS.assets!, asset.id, registrationAuthority);
    expect(offer(view, 'AssetsProcAssignProfile')).to.include({ available: true });
    expect(offer(view, 'AssetsProcEnrollProfile')).to.include({ available: false });
    expect(view).to.include({ profileId: null });
  });

  it('when an admin disables Deactivate card, then an active card no longer offers it', async () => {
    const card = await aCard(pool);
    expect(offer(await objectView(pool, COLLECTIONS.cards!, card.id, registrationAuthority), 'CardsProcDeactivate')).to.include({ available: true });
    await updateOptions(pool, 'CardsProcDeactivate', { enabled: false }, 'demo');
    try {
      expect(offer(await objectView(pool, COLLECTIONS.cards!, card.id, registrationAuthority), 'CardsProcDeactivate')).to.deep.include({ available: false, reason: 'Deactivate card is disabled by an admin' });
    } finally {
      await updateOptions(pool, 'CardsProcDeactivate', { enabled: true }, 'demo');
    }
  });

  it('when a virtual smart card is inactive, then Reactivate is offered only after an admin enables it; a smart card never offers it', async () => {
    const vsc = await aCard(pool, 'virtual-smart-card');
    const sc = await aCard(pool, 'smart-card');
    await transitionCard(pool, vsc.id, 'inactive', actor);
    await transitionCard(pool, sc.id, 'inactive', actor);
    expect(offer(await objectView(pool, COLLECTIONS['virtual-smart-cards']!, vsc.id, registrationAuthority), 'VirtualSmartCardProcReactivate')).to.include({ available: false });
    await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
    try {
      expect(offer(await objectView(pool, COLLECTIONS.cards!, vsc.id, registrationAuthority), 'VirtualSmartCardProcReactivate')).to.include({ available: true });
      expect(offer(await objectView(pool, COLLECTIONS.cards!, sc.id, registrationAuthority), 'VirtualSmartCardProcReactivate')).to.equal(undefined);
    } finally {
      await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
    }
  });

  it('when a card has certificates and relations, then its view lists them with their states', async () => {
    const card = await aCard(pool);
    const other = await aCard(pool);
    const cert = await aValidCertificate(pool, { cardId: card.id });
    await aValidCertificate(pool, { cardId: other.id });
    const holder = await addCardRelation(pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);
    const device = await addCardRelation(pool, card.id, { relatedType: 'device', relatedId: 'laptop-17', state: 'inactive' }, actor);
    await addCardRelation(pool, other.id, { relatedType: 'user', relatedId: 'bob' }, actor);
    const view = (await objectView(pool, COLLECTIONS.cards!, card.id, registrationAuthority)) as unknown as {
      certificates: Array<{ id: number }>;
      relations: Array<{ id: number; relatedType: string; relatedId: string; state: string }>;
    };
    expect(view.certificates.map((c) => c.id)).to.deep.equal([cert.id]);
    expect(view.relations.map((r) => ({ id: r.id, relatedType: r.relatedType, relatedId: r.relatedId, state: r.state }))).to.deep.equal([
      { id: holder.id, relatedType: 'user', relatedId: 'alice', state: 'active' },
      { id: device.id, relatedType: 'device', relatedId: 'laptop-17', state: 'inactive' },
    ]);
  });

  it('when virtual smart cards are searched, then every virtual smart card comes back and no other card', async () => {
    const smart = await aCard(pool, 'smart-card');
    const virtual = [await aCard(pool, 'virtual-smart-card'), await aCard(pool, 'virtual-smart-card')];
    const page = await COLLECTIONS['virtual-smart-cards']!.search(pool, { limit: 100 });
    const ids = page.items.map((c) => c.id);
    expect(ids).to.include.members(virtual.map((c) => c.id));
    expect(ids).to.not.include(smart.id);
    expect(page.items.map((c) => (c as unknown as { cardTypeId: string }).cardTypeId)).to.satisfy((types: string[]) => types.every((t) => t === 'virtual-smart-card'));
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM cards WHERE card_type_id = 'virtual-smart-card'");
    expect(page.total).to.equal(rows[0]!.n);
    // All cards: both kinds.
    expect((await COLLECTIONS.cards!.search(pool, { limit: 100 })).items.map((c) => c.id)).to.include.members([smart.id, ...virtual.map((c) => c.id)]);
  });
});
