/**
 * Who is calling: the caller's basic credentials are verified by the Camunda engine (engine-api:
 * REST v2 `/v2/authentication/me` on 8.8+, the web apps' login on 8.6), so `agent1` and
 * `operator` are the same people in Tasklist and in this API. Their groups are the
 * application's groups from the store (Camunda 8.6 has none) plus the engine's where it has them.
 * Verified callers are cached for a short time under a hash of their credentials (never the
 * password itself).
 */
import crypto from 'node:crypto';
import type { EngineApi } from '../engine/engine-api';
import type { Queryable } from '../store/db';
import { ADMIN_GROUP, groupsOf } from '../store/groups';

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

export interface EngineIdentityOptions {
  engine: () => Promise<EngineApi>;
  db: Queryable;
  /** How long a verified caller is remembered. Default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

export function createEngineIdentity({ engine, db, cacheMs = 60_000, now = Date.now }: EngineIdentityOptions): Identity {
  const cache = new Map<string, { caller: Caller; until: number }>();
  return {
    async verify(username, password) {
      const key = crypto.createHash('sha256').update(`${username}\u0000${password}`).digest('hex');
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.caller;
      const user = await (await engine()).verifyUser(username, password);
      if (!user) return null;
      const groups = [...new Set([...user.groups, ...(await groupsOf(db, user.username))])];
      const caller: Caller = { ...user, groups, isAdmin: groups.includes(ADMIN_GROUP) || user.roles.includes('admin') };
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { caller, until: now() + cacheMs });
      return caller;
    },
  };
}
