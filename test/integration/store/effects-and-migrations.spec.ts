import { expect } from 'chai';
import type { Pool } from 'pg';
import { applyOnce } from '../../../src/store/effects';
import { listMigrations, migrate } from '../../../src/store/migrate';
import { getCertificate, transitionCertificate } from '../../../src/store/certificates';
import { auditHistory } from '../../../src/store/audit';
import { testDatabase, withEmptyDatabase } from '../../support/database';
import { aValidCertificate, actor } from './fixtures';

describe('store: idempotent effects and migrations', () => {
  let pool: Pool;
  before(async () => {
    ({ pool } = await testDatabase());
  });

  it('when an effect is replayed with the same key, then it is not applied again and the stored result returns', async () => {
    const cert = await aValidCertificate(pool);
    const key = `job-${cert.id}-hold`;
    let runs = 0;
    const hold = () =>
      applyOnce(pool, key, 'certificate.hold', async (tx) => {
        runs++;
        const c = await transitionCertificate(tx, cert.id, 'Certificate hold', actor);
        return { state: c.state, id: c.id };
      });
    const first = await hold();
    const second = await hold();
    expect(first).to.deep.equal({ result: { state: 'Certificate hold', id: cert.id }, replayed: false });
    expect(second).to.deep.equal({ result: { state: 'Certificate hold', id: cert.id }, replayed: true });
    expect(runs).to.equal(1);
    const holds = (await auditHistory(pool, 'certificate', cert.id)).filter((a) => a.toState === 'Certificate hold');
    expect(holds).to.have.length(1);
  });

  it('when two deliveries of one job run at the same time, then the effect is applied once', async () => {
    const cert = await aValidCertificate(pool);
    let runs = 0;
    const deliver = () =>
      applyOnce(pool, `job-${cert.id}-concurrent`, 'certificate.revoke', async (tx) => {
        runs++;
        await new Promise((r) => setTimeout(r, 50));
        return (await transitionCertificate(tx, cert.id, 'Key compromised', actor)).state;
      });
    const [a, b] = await Promise.all([deliver(), deliver()]);
    expect(runs).to.equal(1);
    expect([a.replayed, b.replayed].sort()).to.deep.equal([false, true]);
    expect(a.result).to.equal('Key compromised');
    expect(b.result).to.equal('Key compromised');
  });

  it('when the effect fails, then nothing is recorded and a retry applies it', async () => {
    const cert = await aValidCertificate(pool);
    const key = `job-${cert.id}-flaky`;
    try {
      await applyOnce(pool, key, 'certificate.hold', async (tx) => {
        await transitionCertificate(tx, cert.id, 'Certificate hold', actor);
        throw new Error('CA unreachable');
      });
      expect.fail('no error');
    } catch (e) {
      expect((e as Error).message).to.equal('CA unreachable');
    }
    expect((await getCertificate(pool, cert.id)).state).to.equal('Valid');
    const retry = await applyOnce(pool, key, 'certificate.hold', async (tx) => (await transitionCertificate(tx, cert.id, 'Certificate hold', actor)).state);
    expect(retry).to.deep.equal({ result: 'Certificate hold', replayed: false });
  });

  it('when migrations run again on a migrated database, then nothing is applied and the schema is unchanged', async () => {
    const columns = async () =>
      (await pool.query(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`)).rows;
    const before = await columns();
    const applied = await migrate(pool);
    expect(applied).to.deep.equal([]);
    expect(await columns()).to.deep.equal(before);
    const { rows } = await pool.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).to.deep.equal(listMigrations().map((m) => m.version));
  });

  it('when migrations run on an empty database, then every migration is applied in order', async () => {
    await withEmptyDatabase(async (empty) => {
      const applied = await migrate(empty);
      expect(applied).to.deep.equal(listMigrations().map((m) => m.name));
      expect(await migrate(empty)).to.deep.equal([]);
    });
  });
});
