/**
 * Store ↔ CA reconciliation (issue 18.12), the direction ca-orphans does not cover: a certificate
 * object the store has in use or revoked while the CA says otherwise. On real PostgreSQL with the
 * built-in CA, each on a database of its own (the reconciliation reads every certificate): each
 * kind of difference is settled as ca-reconcile.ts's table says, with a history row naming who ran
 * it and what was found; a dry run changes nothing; a second run changes nothing.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createBuiltinCa, type BuiltinCa } from '../../../src/ca/builtin-ca';
import { MasterKey } from '../../../src/ca/master-key';
import { certificateRecord } from '../../../src/ca/store-profile';
import { auditHistory } from '../../../src/store/audit';
import { countOutcomes, reconcileWithCa, reconciliationTable, type Difference, type ReconcileProgress } from '../../../src/store/ca-reconcile';
import { addCardRelation, transitionCard, transitionCardRelation } from '../../../src/store/cards';
import { createCertificate, getCertificate, transitionCertificate, type Certificate } from '../../../src/store/certificates';
import { migrate } from '../../../src/store/migrate';
import { withEmptyDatabase } from '../../support/database';
import { makeCsr } from '../../fixtures/csr/make-csr';
import { aCard, aProfile } from '../store/fixtures';
import { jobKey, PUBLIC_URL, webProfile } from './support';

const seeder = { actor: 'test-suite' };
const ACTOR = 'ca-reconcile (test)';
let n = 0;

async function freshCa(pool: Pool): Promise<BuiltinCa> {
  await migrate(pool);
  return createBuiltinCa({ pool, masterKey: new MasterKey(crypto.randomBytes(32)), name: 'Reconcile PKI', publicUrl: PUBLIC_URL, secretTtlMinutes: 60, rootKey: { algorithm: 'EC', curve: 'P-256' } });
}

/** A certificate issued by the CA and recorded 'Valid' in the store, as the workers do. */
async function issued(pool: Pool, ca: BuiltinCa, profileId: number, over: { cardId?: number } = {}): Promise<Certificate> {
  const name = `r${++n}-${Date.now().toString(36)}.example.com`;
  const cert = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: `/CN=${name}`, san: `DNS:${name}` }).csrPem, profile: webProfile });
  return createCertificate(pool, { state: 'Valid', profileId, ...over, ...certificateRecord(cert) }, seeder);
}

/** Everything the reconciliation could change: store states, CA statuses, history rows. */
async function snapshot(pool: Pool): Promise<unknown> {
  return {
    store: (await pool.query('SELECT id, state, updated_at FROM certificates ORDER BY id')).rows,
    ca: (await pool.query('SELECT serial, status, revocation_reason, revoked_at FROM ca_certificates ORDER BY serial')).rows,
    history: Number((await pool.query('SELECT count(*) AS n FROM audit_history')).rows[0].n),
    revision: (await pool.query("SELECT revocation_revision FROM ca_authorities WHERE role = 'issuing'")).rows[0].revocation_revision,
  };
}

const byId = (ds: Difference[], id: number): Difference | undefined => ds.find((d) => d.certificateId === id);

describe('store and CA reconciled: the store follows the CA, a revocation is final on both (issue 18.12)', () => {
  it('when certificates differ in every way, then a dry run reports each and changes nothing, a run settles each through the state machine with history, and a second run changes nothing', async () => {
    await withEmptyDatabase(async (pool) => {
      const ca = await freshCa(pool);
      const profile = await aProfile(pool);
      const key = () => ({ idempotencyKey: jobKey() });

      // Agrees: Valid and valid.
      const agreeing = await issued(pool, ca, profile.id);
      // Store Valid, the CA revoked it (e.g. with its own tools): the store follows, revocation is final.
      const revokedAtCa = await issued(pool, ca, profile.id);
      await ca.revoke({ ...key(), serialNumber: revokedAtCa.serial!, reason: 'keyCompromise' });
      // Store on hold, the CA revoked it without a reason: spec 000 has no 'unspecified' state.
      const heldRevokedAtCa = await issued(pool, ca, profile.id);
      await ca.hold({ ...key(), serialNumber: heldRevokedAtCa.serial! });
      await transitionCertificate(pool, heldRevokedAtCa.id, 'Certificate hold', seeder);
      await ca.revoke({ ...key(), serialNumber: heldRevokedAtCa.serial!, reason: 'unspecified' });
      // Store Valid, on hold at the CA: the store is locked too.
      const heldAtCa = await issued(pool, ca, profile.id);
      await ca.hold({ ...key(), serialNumber: heldAtCa.serial! });
      // Store on hold, released at the CA: the store is unlocked.
      const releasedAtCa = await issued(pool, ca, profile.id);
      await ca.hold({ ...key(), serialNumber: releasedAtCa.serial! });
      await transitionCertificate(pool, releasedAtCa.id, 'Certificate hold', seeder);
      await ca.release({ ...key(), serialNumber: releasedAtCa.serial! });
      // Store 'Key compromised', still valid at the CA: the store cannot go back, the CA revokes.
      const compromised = await issued(pool, ca, profile.id);
      await transitionCertificate(pool, compromised.id, 'Key compromised', seeder);
      // Store Valid, the CA has no such certificate: a record only, and one whose CA record is lost.
      const recordOnly = await createCertificate(pool, { state: 'Valid', profileId: profile.id, subject: 'CN=imported.example.com', serial: 'abc123' }, seeder);
      const lostAtCa = await issued(pool, ca, profile.id);
      await pool.query('DELETE FROM ca_certificates WHERE serial = $1', [lostAtCa.serial]);
      // Revoked on both sides with different reasons: both final, nothing to do but say so.
      const twoReasons = await issued(pool, ca, profile.id);
      await ca.revoke({ ...key(), serialNumber: twoReasons.serial!, reason: 'superseded' });
      await transitionCertificate(pool, twoReasons.id, 'Privilege withdrawn', seeder);

      // Dry run: every difference reported, nothing changed anywhere.
      const before = await snapshot(pool);
      const progress: ReconcileProgress[] = [];
      const dry = await reconcileWithCa(pool, ca, { dryRun: true, actor: ACTOR, pageSize: 3, onProgress: (p) => progress.push(p) });
      expect(await snapshot(pool), 'a dry run changed something').to.deep.equal(before);
      expect(dry.checked).to.equal(9);
      expect(progress.at(-1)).to.deep.equal({ checked: 9, total: 9, differences: 8 });
      expect(progress.map((p) => p.checked), 'a progress report per page of 3').to.deep.equal([3, 6, 9]);
      expect(byId(dry.differences, agreeing.id), 'agreeing certificate reported').to.equal(undefined);
      expect(countOutcomes(dry)).to.deep.include({ 'would change': 5, left: 3, changed: 0 });
      const table = reconciliationTable(dry, true);
      for (const c of [revokedAtCa, heldRevokedAtCa, heldAtCa, releasedAtCa, compromised, recordOnly, lostAtCa, twoReasons]) expect(table).to.contain(c.serial!);
      expect(table).not.to.contain(agreeing.serial!);
      expect(table).to.match(/certificate\s+serial\s+subject\s+store\s+CA\s+action\s+outcome/);

      // The run.
      const run = await reconcileWithCa(pool, ca, { dryRun: false, actor: ACTOR });
      expect(countOutcomes(run)).to.deep.include({ changed: 5, left: 3, 'would change': 0 });

      expect((await getCertificate(pool, revokedAtCa.id)).state).to.equal('Key compromised');
      expect((await getCertificate(pool, heldRevokedAtCa.id)).state).to.equal('Cessation of operation');
      expect((await getCertificate(pool, heldAtCa.id)).state).to.equal('Certificate hold');
      expect((await getCertificate(pool, releasedAtCa.id)).state).to.equal('Valid');
      expect((await getCertificate(pool, compromised.id)).state).to.equal('Key compromised');
      expect(await ca.status(compromised.serial!)).to.deep.include({ status: 'revoked', reason: 'keyCompromise' });
      expect(byId(run.differences, compromised.id)).to.deep.include({ outcome: 'changed', after: 'revoked (keyCompromise)' });
      expect((await getCertificate(pool, agreeing.id)).state).to.equal('Valid');
      expect((await ca.status(agreeing.serial!)).status).to.equal('valid');

      // Left for an operator, unchanged, with why.
      expect((await getCertificate(pool, recordOnly.id)).state).to.equal('Valid');
      expect(byId(run.differences, recordOnly.id)?.settlement.why).to.contain('a record only');
      expect(byId(run.differences, lostAtCa.id)?.settlement.why).to.contain("signed by this CA's issuing CA");
      expect((await getCertificate(pool, twoReasons.id)).state).to.equal('Privilege withdrawn');
      expect(await ca.status(twoReasons.serial!)).to.deep.include({ reason: 'superseded' });

      // History: what was found and done, and who.
      const last = async (id: number) => (await auditHistory(pool, 'certificate', id)).at(-1)!;
      expect(await last(revokedAtCa.id)).to.deep.include({ fromState: 'Valid', toState: 'Key compromised', actor: ACTOR });
      expect((await last(revokedAtCa.id)).reason).to.contain('the CA said revoked (keyCompromise)');
      expect(await last(heldAtCa.id)).to.deep.include({ fromState: 'Valid', toState: 'Certificate hold', actor: ACTOR });
      expect(await last(releasedAtCa.id)).to.deep.include({ fromState: 'Certificate hold', toState: 'Valid', actor: ACTOR });
      expect(await last(compromised.id)).to.deep.include({ fromState: 'Key compromised', toState: 'Key compromised', actor: ACTOR });
      expect((await last(compromised.id)).reason).to.contain('revoked at the CA (keyCompromise)');
      expect((await last(recordOnly.id)).actor, 'a certificate left alone got a history row').to.equal('test-suite');

      // A second run: the same three left, nothing changed.
      const settled = await snapshot(pool);
      const again = await reconcileWithCa(pool, ca, { dryRun: false, actor: ACTOR });
      expect(await snapshot(pool), 'a second run changed something').to.deep.equal(settled);
      expect(again.differences.map((d) => [d.certificateId, d.outcome])).to.have.deep.members([
        [recordOnly.id, 'left'],
        [lostAtCa.id, 'left'],
        [twoReasons.id, 'left'],
      ]);
    });
  });

  it('when a card certificate is on hold in the store and valid at the CA, then after a virtual smart card reactivation that stays (spec 003), and on an inactive card the CA puts it back on hold (spec 004)', async () => {
    await withEmptyDatabase(async (pool) => {
      const ca = await freshCa(pool);
      const profile = await aProfile(pool);

      // Reactivated virtual smart card: card active, relation to the certificate inactive, store hold, CA valid.
      const vsc = await aCard(pool, 'virtual-smart-card');
      const onVsc = await issued(pool, ca, profile.id, { cardId: vsc.id });
      const vscRel = await addCardRelation(pool, vsc.id, { relatedType: 'certificate', relatedId: String(onVsc.id) }, seeder);
      await transitionCertificate(pool, onVsc.id, 'Certificate hold', seeder);
      await transitionCardRelation(pool, vscRel.id, 'inactive', seeder);

      // Deactivated card whose certificate the CA released (outside the processes).
      const card = await aCard(pool);
      const onInactive = await issued(pool, ca, profile.id, { cardId: card.id });
      const rel = await addCardRelation(pool, card.id, { relatedType: 'certificate', relatedId: String(onInactive.id) }, seeder);
      await transitionCertificate(pool, onInactive.id, 'Certificate hold', seeder);
      await transitionCardRelation(pool, rel.id, 'inactive', seeder);
      await transitionCard(pool, card.id, 'inactive', seeder);

      // A certificate locked on an active card (its relation active) and released at the CA: unlocked.
      const active = await aCard(pool);
      const lockedOnActive = await issued(pool, ca, profile.id, { cardId: active.id });
      await addCardRelation(pool, active.id, { relatedType: 'certificate', relatedId: String(lockedOnActive.id) }, seeder);
      await transitionCertificate(pool, lockedOnActive.id, 'Certificate hold', seeder);

      const dryBefore = await snapshot(pool);
      const dry = await reconcileWithCa(pool, ca, { dryRun: true, actor: ACTOR });
      expect(await snapshot(pool)).to.deep.equal(dryBefore);
      expect(dry.differences.map((d) => [d.certificateId, d.settlement.kind])).to.have.deep.members([
        [onInactive.id, 'ca-hold'],
        [lockedOnActive.id, 'store'],
      ]);

      const run = await reconcileWithCa(pool, ca, { dryRun: false, actor: ACTOR });
      expect(countOutcomes(run)).to.deep.include({ changed: 2 });
      expect((await getCertificate(pool, onVsc.id)).state).to.equal('Certificate hold');
      expect((await ca.status(onVsc.serial!)).status, 'spec 003: valid at the CA after reactivation').to.equal('valid');
      expect((await getCertificate(pool, onInactive.id)).state).to.equal('Certificate hold');
      expect((await ca.status(onInactive.serial!)).status).to.equal('hold');
      const history = (await auditHistory(pool, 'certificate', onInactive.id)).at(-1)!;
      expect(history).to.deep.include({ fromState: 'Certificate hold', toState: 'Certificate hold', actor: ACTOR });
      expect(history.reason).to.contain('put on hold at the CA');
      expect((await getCertificate(pool, lockedOnActive.id)).state).to.equal('Valid');

      const settled = await snapshot(pool);
      expect((await reconcileWithCa(pool, ca, { dryRun: false, actor: ACTOR })).differences).to.deep.equal([]);
      expect(await snapshot(pool)).to.deep.equal(settled);
    });
  });

  it('when a use case settles a difference between the finding and the settling, then the reconciliation reads both sides again under lock and changes nothing ("settled meanwhile")', async () => {
    await withEmptyDatabase(async (pool) => {
      const ca = await freshCa(pool);
      const profile = await aProfile(pool);
      const held = await issued(pool, ca, profile.id);
      await transitionCertificate(pool, held.id, 'Certificate hold', seeder);
      await ca.hold({ idempotencyKey: jobKey(), serialNumber: held.serial! });
      await ca.release({ idempotencyKey: jobKey(), serialNumber: held.serial! });
      // Right after the reconciliation has read the CA (outside a transaction), an operator's
      // Unlock certificate records the release: by the time it settles, there is nothing to do.
      let unlocked = false;
      const racing = Object.create(ca) as BuiltinCa;
      racing.status = async (serial) => {
        const now = await ca.status(serial);
        if (!unlocked) {
          unlocked = true;
          await transitionCertificate(pool, held.id, 'Valid', { actor: 'operator', reason: 'released from hold (unlocked)' });
        }
        return now;
      };
      const before = (await auditHistory(pool, 'certificate', held.id)).length;
      const run = await reconcileWithCa(pool, racing, { dryRun: false, actor: ACTOR });
      expect(run.differences.map((d) => d.outcome)).to.deep.equal(['settled meanwhile']);
      expect((await getCertificate(pool, held.id)).state).to.equal('Valid');
      const history = await auditHistory(pool, 'certificate', held.id);
      expect(history.length, 'only the unlock wrote history').to.equal(before + 1);
      expect(history.at(-1)!.actor).to.equal('operator');
    });
  });

  it('when the CA holds a certificate no object holds, then the reconciliation lists it in a dry run and revokes it in a run, as ca:orphans does', async () => {
    await withEmptyDatabase(async (pool) => {
      const ca = await freshCa(pool);
      const orphan = await ca.issueFromCsr({ idempotencyKey: jobKey(), csr: makeCsr({ subject: '/CN=orphan.example.com', san: 'DNS:orphan.example.com' }).csrPem, profile: webProfile });
      const orphans = { issuedBefore: new Date(Date.now() + 60_000) };
      const dry = await reconcileWithCa(pool, ca, { dryRun: true, actor: ACTOR, orphans });
      expect(dry.orphans.map((o) => o.serial)).to.deep.equal([orphan.serialNumber]);
      expect((await ca.status(orphan.serialNumber)).status).to.equal('valid');
      expect(reconciliationTable(dry, true)).to.contain(orphan.serialNumber);
      const run = await reconcileWithCa(pool, ca, { dryRun: false, actor: ACTOR, orphans });
      expect(run.orphans.map((o) => o.serial)).to.deep.equal([orphan.serialNumber]);
      expect(await ca.status(orphan.serialNumber)).to.deep.include({ status: 'revoked', reason: 'cessationOfOperation' });
      expect((await reconcileWithCa(pool, ca, { dryRun: false, actor: ACTOR, orphans })).orphans).to.deep.equal([]);
    });
  });
});
