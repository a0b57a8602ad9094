/**
 * Issue 17.20: a changed password stops working quickly — at once when the user signs in with
 * the new one, otherwise within the sign-in cache's time (10 s by default, not 60) — and groups
 * come from the store. The engine's identity is a directory the test changes (the engine's own
 * check is covered by the engine suites); the groups are the run's database.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createEngineIdentity } from '../../../src/api/identity';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { loadConfig } from '../../../src/config';
import type { EngineApi, VerifiedUser } from '../../../src/engine/engine-api';
import { addGroupMember, removeGroupMember } from '../../../src/store/groups';
import { testDatabase } from '../../support/database';

describe('API sign-in: the cache of verified callers (issue 17.20)', () => {
  let pool: Pool;
  before(async () => {
    pool = (await testDatabase()).pool;
  });

  /** An engine whose users and passwords the test sets; counts how often it is asked. */
  function directory(passwords: Record<string, string>) {
    const engine = {
      asked: 0,
      async verifyUser(username: string, password: string): Promise<VerifiedUser | null> {
        engine.asked++;
        return passwords[username] === password ? { username, displayName: username, email: `${username}@example.com`, roles: [], groups: [] } : null;
      },
    };
    return { passwords, engine, api: async () => engine as unknown as EngineApi };
  }

  it('when a user signs in, then the engine\'s email address is kept for approver emails, changed when the engine\'s changes, with a history row (issue 18.7)', async () => {
    const d = directory({ erin: 'pw' });
    await createEngineIdentity({ engine: d.api, db: pool, cacheMs: 0 }).verify('erin', 'pw');
    const addressOf = async () => (await pool.query<{ email: string }>('SELECT email FROM user_emails WHERE username = $1', ['erin'])).rows[0]?.email;
    expect(await addressOf()).to.equal('erin@example.com');
    const moved = {
      async verifyUser(username: string): Promise<VerifiedUser> {
        return { username, displayName: username, email: 'erin@new.example.com', roles: [], groups: [] };
      },
    };
    await createEngineIdentity({ engine: async () => moved as unknown as EngineApi, db: pool, cacheMs: 0 }).verify('erin', 'pw');
    expect(await addressOf()).to.equal('erin@new.example.com');
    const { rows } = await pool.query<{ email: string; actor: string }>('SELECT email, actor FROM user_email_history WHERE username = $1 ORDER BY id', ['erin']);
    expect(rows).to.deep.equal([{ email: 'erin@example.com', actor: 'sign-in' }, { email: 'erin@new.example.com', actor: 'sign-in' }]);
  });

  it('when nothing is configured, then a verified caller is remembered for 10 s, no longer', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/wpki-config-test' }).api.signInCacheMs).to.equal(10_000);
  });

  it('when the password changes, then the old one works at most for the cache time; at once not at all after the user signs in with the new one', async () => {
    let clock = 1_000_000;
    const d = directory({ carla: 'old-pw' });
    const identity = createEngineIdentity({ engine: d.api, db: pool, now: () => clock });
    expect(await identity.verify('carla', 'old-pw')).to.include({ username: 'carla' });
    d.passwords.carla = 'new-pw';
    clock += 9_000;
    expect(await identity.verify('carla', 'old-pw'), 'within the cache time').to.include({ username: 'carla' });
    clock += 1_001;
    expect(await identity.verify('carla', 'old-pw'), 'after 10 s').to.equal(null);

    const e = directory({ dora: 'old-pw' });
    const other = createEngineIdentity({ engine: e.api, db: pool, now: () => clock });
    await other.verify('dora', 'old-pw');
    e.passwords.dora = 'new-pw';
    expect(await other.verify('dora', 'new-pw')).to.include({ username: 'dora' });
    expect(await other.verify('dora', 'old-pw'), 'right after the new one was used').to.equal(null);
  });

  it('when the cache time is 0, then the engine is asked on every request; otherwise once per user within it', async () => {
    const d = directory({ erik: 'pw' });
    const uncached = createEngineIdentity({ engine: d.api, db: pool, cacheMs: 0 });
    for (let i = 0; i < 3; i++) await uncached.verify('erik', 'pw');
    expect(d.engine.asked).to.equal(3);
    const cached = createEngineIdentity({ engine: d.api, db: pool });
    for (let i = 0; i < 3; i++) await cached.verify('erik', 'pw');
    expect(d.engine.asked).to.equal(4);
    expect(await cached.verify('erik', 'wrong')).to.equal(null);
    expect(await cached.verify('erik', 'pw'), 'a wrong password does not end the entry').to.include({ username: 'erik' });
    expect(d.engine.asked).to.equal(5);
  });

  it('when an admin changes a user\'s groups in the store, then the caller has them within the cache time', async () => {
    let clock = 5_000_000;
    const d = directory({ fred: 'pw' });
    const identity = createEngineIdentity({ engine: d.api, db: pool, now: () => clock });
    expect((await identity.verify('fred', 'pw'))!.groups).to.deep.equal([]);
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'fred', 'demo');
    try {
      clock += 10_001;
      expect((await identity.verify('fred', 'pw'))!.groups).to.deep.equal([REGISTRATION_AUTHORITY_GROUP]);
    } finally {
      await removeGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'fred', 'demo');
    }
  });
});
