import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { GoneError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { MasterKey } from '../../../src/ca/master-key';
import { createSecretLink, describeSecretLink, listSecretLinks, purgeExpiredSecretLinks, redeemSecretLink } from '../../../src/store/secret-links';
import { listMigrations, migrate } from '../../../src/store/migrate';
import { testDatabase, withEmptyDatabase } from '../../support/database';

async function rejects(work: () => Promise<unknown>, type: new (...a: never[]) => Error, pattern?: RegExp): Promise<void> {
  try {
    await work();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(type);
    if (pattern) expect((e as Error).message).to.match(pattern);
    return;
  }
  expect.fail('no error');
}

describe('store: one-time secret links', () => {
  let pool: Pool;
  const sealer = new MasterKey(crypto.randomBytes(32));
  const secret = { password: 'Xy7-correct-horse-battery', pkcs12Id: 'p12-1' };
  before(async () => {
    pool = (await testDatabase()).pool;
  });

  const by = (username = 'agent1') => ({ username, from: '192.0.2.7' });

  it('when its owner opens a link, then its payload comes back once, who and from where are recorded, and a second use is GONE', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'pkcs12', subjectRef: 'certificate:1', owner: 'agent1', ttlMinutes: 5, payload: secret });
    expect(link.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await describeSecretLink(pool, link.id, 'agent1')).to.include({ state: 'waiting', kind: 'pkcs12', redeemedBy: null });
    const opened = await redeemSecretLink(pool, sealer, link.id, by());
    expect(opened).to.deep.equal({ id: link.id, kind: 'pkcs12', subjectRef: 'certificate:1', payload: secret });
    expect(await describeSecretLink(pool, link.id, 'agent1')).to.include({ state: 'used', redeemedBy: 'agent1', redeemedFrom: '192.0.2.7' });
    await rejects(() => redeemSecretLink(pool, sealer, link.id, by()), GoneError, /already shown/);
  });

  it('when someone other than its owner asks for a link, then it does not exist for them and stays unused (issue 17.7)', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'pkcs12', subjectRef: 'certificate:1', owner: 'agent1', ttlMinutes: 5, payload: secret });
    await rejects(() => redeemSecretLink(pool, sealer, link.id, by('agent2')), NotFoundError);
    await rejects(() => describeSecretLink(pool, link.id, 'agent2'), NotFoundError);
    expect((await listSecretLinks(pool, 'agent2')).map((l) => l.id)).to.not.include(link.id);
    expect(await describeSecretLink(pool, link.id, 'agent1')).to.include({ state: 'waiting' });
  });

  it('when two requests open the same link at once, then exactly one gets the secret', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'scep-challenge', subjectRef: 'asset:7', owner: 'agent1', ttlMinutes: 5, payload: { challenge: 'c-123' } });
    const results = await Promise.allSettled([redeemSecretLink(pool, sealer, link.id, by()), redeemSecretLink(pool, sealer, link.id, by())]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(lost.reason).to.be.instanceOf(GoneError);
  });

  it('when a link has expired, then it is GONE and its payload is erased', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'acme-eab', subjectRef: 'asset:8', owner: 'agent1', ttlMinutes: 1, payload: { hmacKey: 'k' } });
    await pool.query(`UPDATE secret_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [link.id]);
    expect(await describeSecretLink(pool, link.id, 'agent1')).to.include({ state: 'expired' });
    await rejects(() => redeemSecretLink(pool, sealer, link.id, by()), GoneError, /expired/);
    const { rows } = await pool.query('SELECT payload FROM secret_links WHERE id = $1', [link.id]);
    expect(rows[0].payload).to.equal(null);
  });

  it('when the id is unknown or malformed, then NOT_FOUND or VALIDATION', async () => {
    await rejects(() => redeemSecretLink(pool, sealer, crypto.randomUUID(), by()), NotFoundError);
    await rejects(() => redeemSecretLink(pool, sealer, "x'; DROP TABLE secret_links; --", by()), ValidationError);
  });

  it('when stored, then the secret is in no column in clear', async () => {
    await createSecretLink(pool, sealer, { kind: 'pkcs12', subjectRef: 'certificate:2', owner: 'agent1', ttlMinutes: 5, payload: secret });
    const { rows } = await pool.query('SELECT * FROM secret_links');
    const dump = JSON.stringify(rows) + rows.map((r) => (r.payload ? Buffer.from(r.payload).toString('latin1') : '')).join();
    expect(dump).to.not.contain(secret.password);
    expect(await purgeExpiredSecretLinks(pool)).to.be.a('number');
  });
  it('when a database from before issue 17.7 is migrated, then no token is left in job effects, they name the link by id, and its owner still opens it', async () => {
    await withEmptyDatabase(async (db) => {
      const earlier = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-migrations-'));
      for (const m of listMigrations().filter((x) => x.version < '012')) fs.writeFileSync(path.join(earlier, `${m.name}.sql`), m.sql);
      await migrate(db, earlier);
      fs.rmSync(earlier, { recursive: true, force: true });
      // A link as the token era made it: the token's hash as key, the payload sealed under it, its URL in a job effect.
      const token = crypto.randomBytes(32).toString('base64url');
      const hash = crypto.createHash('sha256').update(token).digest('hex');
      await db.query(`INSERT INTO secret_links (token_hash, kind, subject_ref, payload, created_by, expires_at) VALUES ($1, 'pkcs12', 'certificate:9', $2, 'agent1', now() + interval '1 hour')`, [
        hash,
        sealer.seal(Buffer.from(JSON.stringify(secret)), `secret-link:pkcs12:${hash}`),
      ]);
      await db.query(`INSERT INTO job_effects (effect_key, kind, result) VALUES ('old-job:p12', 'enroll.p12.generate', $1)`, [
        JSON.stringify({ serialNumber: '0a', secretLinkUrl: `https://pki.example.test/api/secrets/${token}`, secretLinkExpiresAt: 'x' }),
      ]);

      await migrate(db);
      const { rows } = await db.query<{ result: Record<string, unknown> }>(`SELECT result FROM job_effects WHERE effect_key = 'old-job:p12'`);
      expect(JSON.stringify(rows[0]!.result)).to.not.contain(token);
      const id = String(rows[0]!.result.secretLinkId);
      expect(rows[0]!.result).to.not.have.property('secretLinkUrl');
      expect(await describeSecretLink(db, id, 'agent1')).to.include({ state: 'waiting', owner: 'agent1' });
      expect((await redeemSecretLink(db, sealer, id, by())).payload).to.deep.equal(secret);
    });
  });
});
