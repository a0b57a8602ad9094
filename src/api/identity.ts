/**
 * Who is calling: the caller's basic credentials are verified by the Camunda engine (engine-api:
 * REST v2 `/v2/authentication/me` on 8.8+, the web apps' login on 8.6), so `agent1` and
 * `operator` are the same people in Tasklist and in this API. Their groups are the
 * application's groups from the store (Camunda 8.6 has none) plus the engine's where it has them.
 * A verified caller is remembered for a few seconds (SIGN_IN_CACHE_SECONDS, default 10), one
 * entry per user under a hash of the password (never the password itself): the engine is not
 * asked on every request of a busy page. A changed password or group membership takes effect
 * within that time; the old password stops the moment the user signs in with the new one, since
 * that replaces the user's entry (issue 17.20: a changed password kept working for 60 s).
 */
import crypto from 'node:crypto';
import type { EngineApi } from '../engine/engine-api';
import type { Queryable } from '../store/db';
import { ADMIN_GROUP, groupsOf, setUserEmail } from '../store/groups';

export interface Caller {
  username: string;
  displayName: string;
  email: string | null;
  roles: string[];
  groups: string[];
  /** Admin routes are for members of the application's admin group (or the engine's `admin` role on 8.8+). */
  isAdmin: boolean;
}

export interface Identity {
  /** The caller, or null when the credentials are wrong. Throws when the engine cannot answer. */
  verify(username: string, password: string): Promise<Caller | null>;
}

/** A verified user as a caller: the engine's groups plus the store's (which decide on every engine). */
export async function callerWithStoreGroups(db: Queryable, user: Omit<Caller, 'isAdmin'>): Promise<Caller> {
  // Where the user is emailed as an approver (issue 18.7): the engine's address, kept when it changed.
  if (user.email && /^[^@\s]+@[^@\s]+$/.test(user.email) && user.email.length <= 254) await setUserEmail(db, user.username, user.email, 'sign-in');
  const groups = [...new Set([...user.groups, ...(await groupsOf(db, user.username))])];
  return { ...user, groups, isAdmin: groups.includes(ADMIN_GROUP) || user.roles.includes('admin') };
}

export interface EngineIdentityOptions {
  engine: () => Promise<EngineApi>;
  db: Queryable;
  /** How long a verified caller is remembered; 0 asks the engine every time. Default 10 s (SIGN_IN_CACHE_SECONDS). */
  cacheMs?: number;
  now?: () => number;
}

export function createEngineIdentity({ engine, db, cacheMs = 10_000, now = Date.now }: EngineIdentityOptions): Identity {
  const cache = new Map<string, { passwordHash: string; caller: Caller; until: number }>();
  return {
    async verify(username, password) {
      const passwordHash = crypto.createHash('sha256').update(`${username}\u0000${password}`).digest('hex');
      const hit = cache.get(username);
      if (hit && hit.passwordHash === passwordHash && hit.until > now()) return hit.caller;
      const user = await (await engine()).verifyUser(username, password);
      if (!user) {
        // A wrong password does not end the entry: anyone could otherwise sign a user out of the cache.
        return null;
      }
      const caller = await callerWithStoreGroups(db, user);
      if (cacheMs > 0) {
        if (cache.size > 10_000) cache.clear();
        cache.set(username, { passwordHash, caller, until: now() + cacheMs });
      } else {
        cache.delete(username);
      }
      return caller;
    },
  };
}
