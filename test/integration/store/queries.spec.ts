import { expect } from 'chai';
import type { Pool } from 'pg';
import { createAsset, searchAssets, transitionAsset } from '../../../src/store/assets';
import { certificatesByAsset, certificatesByCard, createCertificate } from '../../../src/store/certificates';
import {
  addCardRelation,
  cardRelations,
  cardTypeCommands,
  searchCards,
  setCardTypeCommandEnabled,
  transitionCardRelation,
} from '../../../src/store/cards';
import { getOptions, updateOptions } from '../../../src/store/options';
import { testDatabase } from '../../support/database';
import { aCard, aProfile, actor } from './fixtures';

describe('store: queries the use cases need', () => {
  let pool: Pool;
  const tag = `q${Date.now().toString(36)}`;
  before(async () => {
    pool = (await testDatabase()).pool;
    for (let i = 0; i < 5; i++) await createAsset(pool, { name: `${tag}-web-${i}`, dnsNames: [`web${i}.${tag}.example.com`] }, actor);
    const db = await createAsset(pool, { name: `${tag}-db-0` }, actor);
    await transitionAsset(pool, db.id, 'Inactive', actor);
  });

  it('when assets are searched by text with paging, then pages split the matches newest first', async () => {
    const page1 = await searchAssets(pool, { text: `${tag}-web`, limit: 2, offset: 0 });
    const page3 = await searchAssets(pool, { text: `${tag}-web`, limit: 2, offset: 4 });
    expect(page1.total).to.equal(5);
    expect(page1.items.map((a) => a.name)).to.deep.equal([`${tag}-web-4`, `${tag}-web-3`]);
    expect(page3.items.map((a) => a.name)).to.deep.equal([`${tag}-web-0`]);
  });

  it('when assets are searched by state and by a DNS name, then only those match', async () => {
    const inactive = await searchAssets(pool, { text: tag, state: 'Inactive' });
    expect(inactive.items.map((a) => a.name)).to.deep.equal([`${tag}-db-0`]);
    const byDns = await searchAssets(pool, { text: `web3.${tag}` });
    expect(byDns.items.map((a) => a.name)).to.deep.equal([`${tag}-web-3`]);
  });

  it('when the text holds LIKE wildcards, then they match literally', async () => {
    expect((await searchAssets(pool, { text: `${tag}%` })).total).to.equal(0);
  });

  it('when certificates belong to an asset and a card, then they are found by each', async () => {
    const profile = await aProfile(pool);
    const asset = await createAsset(pool, { name: `${tag}-holder` }, actor);
    const card = await aCard(pool);
    const onAsset = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: 'CN=a', assetId: asset.id }, actor);
    const onCard = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: 'CN=c', cardId: card.id }, actor);
    expect((await certificatesByAsset(pool, asset.id)).map((c) => c.id)).to.deep.equal([onAsset.id]);
    expect((await certificatesByCard(pool, card.id)).map((c) => c.id)).to.deep.equal([onCard.id]);
  });

  it('when a card relation is deactivated, then it has its own state apart from the card', async () => {
    const card = await aCard(pool);
    const rel = await addCardRelation(pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);
    await transitionCardRelation(pool, rel.id, 'inactive', actor);
    const rels = await cardRelations(pool, card.id);
    expect(rels.map((r) => [r.relatedType, r.relatedId, r.state])).to.deep.equal([['user', 'alice', 'inactive']]);
  });

  it('when virtual smart cards are searched, then only that card type is listed', async () => {
    const v = await aCard(pool, 'virtual-smart-card');
    const page = await searchCards(pool, { cardTypeId: 'virtual-smart-card', limit: 100 });
    expect(page.items.every((c) => c.cardTypeId === 'virtual-smart-card')).to.equal(true);
    expect(page.items.map((c) => c.id)).to.include(v.id);
  });

  it('when nothing is configured, then "Reactivate virtual smart card" exists but is disabled; an admin enables it', async () => {
    const commands = await cardTypeCommands(pool, 'virtual-smart-card');
    const reactivate = commands.find((c) => c.command === 'VirtualSmartCardProcReactivate');
    expect(reactivate).to.include({ enabled: false, label: 'Reactivate virtual smart card' });
    const on = await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', true, 'demo');
    expect(on).to.include({ enabled: true, updatedBy: 'demo' });
    await setCardTypeCommandEnabled(pool, 'virtual-smart-card', 'VirtualSmartCardProcReactivate', false, 'demo');
  });

  it('when an admin switches on the approval step, then the next read sees it', async () => {
    expect((await getOptions(pool, 'CardsProcDeactivate')).approvalStep).to.equal(false);
    await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: true, approverEmails: ['pki-approvers@example.com'] }, 'demo');
    const now = await getOptions(pool, 'CardsProcDeactivate');
    expect(now).to.include({ approvalStep: true, enabled: true, updatedBy: 'demo' });
    expect(now.approverEmails).to.deep.equal(['pki-approvers@example.com']);
    await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: false }, 'demo');
    expect((await getOptions(pool, 'CardsProcDeactivate')).approverEmails).to.deep.equal(['pki-approvers@example.com']);
  });
});
