import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { GoneError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { MasterKey } from '../../../src/ca/master-key';
import { consumeSecretLink, createSecretLink, purgeExpiredSecretLinks } from '../../../src/store/secret-links';
import { testDatabase } from '../../support/database';

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

  it('when a link is opened, then its payload comes back once and a second use is GONE', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'pkcs12', subjectRef: 'certificate:1', createdBy: 'agent1', ttlMinutes: 5, payload: secret });
    expect(link.token).to.match(/^[A-Za-z0-9_-]{43}$/);
    const opened = await consumeSecretLink(pool, sealer, link.token);
    expect(opened).to.deep.equal({ kind: 'pkcs12', subjectRef: 'certificate:1', payload: secret });
    await rejects(() => consumeSecretLink(pool, sealer, link.token), GoneError, /already used/);
  });

  it('when two requests open the same link at once, then exactly one gets the secret', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'scep-challenge', subjectRef: 'asset:7', createdBy: 'agent1', ttlMinutes: 5, payload: { challenge: 'c-123' } });
    const results = await Promise.allSettled([consumeSecretLink(pool, sealer, link.token), consumeSecretLink(pool, sealer, link.token)]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(lost.reason).to.be.instanceOf(GoneError);
  });

  it('when a link has expired, then it is GONE and its payload is erased', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'acme-eab', subjectRef: 'asset:8', createdBy: 'agent1', ttlMinutes: 1, payload: { hmacKey: 'k' } });
    const hash = crypto.createHash('sha256').update(link.token).digest('hex');
    await pool.query(`UPDATE secret_links SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hash]);
    await rejects(() => consumeSecretLink(pool, sealer, link.token), GoneError, /expired/);
    const { rows } = await pool.query('SELECT payload FROM secret_links WHERE token_hash = $1', [hash]);
    expect(rows[0].payload).to.equal(null);
  });

  it('when the token is unknown or malformed, then NOT_FOUND or VALIDATION', async () => {
    await rejects(() => consumeSecretLink(pool, sealer, crypto.randomBytes(32).toString('base64url')), NotFoundError);
    await rejects(() => consumeSecretLink(pool, sealer, "x'; DROP TABLE secret_links; --"), ValidationError);
  });

  it('when stored, then neither the token nor the secret is in any column in clear', async () => {
    const link = await createSecretLink(pool, sealer, { kind: 'pkcs12', subjectRef: 'certificate:2', createdBy: 'agent1', ttlMinutes: 5, payload: secret });
    const { rows } = await pool.query('SELECT * FROM secret_links');
    const dump = JSON.stringify(rows) + rows.map((r) => (r.payload ? Buffer.from(r.payload).toString('latin1') : '')).join();
    expect(dump).to.not.contain(link.token);
    expect(dump).to.not.contain(secret.password);
    expect(await purgeExpiredSecretLinks(pool)).to.be.a('number');
  });
});
