/**
 * Who is calling: the caller's basic credentials are verified against the Camunda engine's
 * identity (REST v2 GET /v2/authentication/me with those credentials), so `agent1` and
 * `operator` are the same people in Tasklist and in this API. Verified callers are cached for
 * a short time under a hash of their credentials (never the password itself).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { restCall } from '../engine/rest';

export interface Caller {
  username: string;
  displayName: string;
  email: string | null;
  roles: string[];
  groups: string[];
  /** Admin routes are for members of the engine's `admin` role. */
  isAdmin: boolean;
}

export interface Identity {
  /** The caller, or null when the credentials are wrong. Throws when the engine cannot answer. */
  verify(username: string, password: string): Promise<Caller | null>;
}

const idList = z
  .array(z.union([z.string(), z.object({ roleId: z.string().optional(), groupId: z.string().optional(), id: z.string().optional() }).passthrough()]))
  .optional()
  .transform((l) => (l ?? []).map((x) => (typeof x === 'string' ? x : (x.roleId ?? x.groupId ?? x.id ?? ''))).filter((x) => x !== ''));

// Field names differ between 8.x minors (userId/username, displayName/name); read both.
const me = z
  .object({
    username: z.string().optional(),
    userId: z.string().optional(),
    displayName: z.string().optional(),
    name: z.string().optional(),
    email: z.string().optional().nullable(),
    roles: idList,
    groups: idList,
  })
  .passthrough();

export interface EngineIdentityOptions {
  restAddress: string;
  /** How long a verified caller is remembered. Default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

export function createEngineIdentity({ restAddress, cacheMs = 60_000, now = Date.now }: EngineIdentityOptions): Identity {
  const cache = new Map<string, { caller: Caller; until: number }>();
  return {
    async verify(username, password) {
      const key = crypto.createHash('sha256').update(`${username}\u0000${password}`).digest('hex');
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.caller;
      const r = await restCall(restAddress, { username, password }, 'GET', '/v2/authentication/me', undefined, 10_000);
      if (r.status === 401 || r.status === 403) return null;
      if (!r.ok) throw new Error(`the engine's identity answered ${r.status} for /v2/authentication/me`);
      const body = me.parse(r.body ?? {});
      const caller: Caller = {
        username: body.username ?? body.userId ?? username,
        displayName: body.displayName ?? body.name ?? username,
        email: body.email ?? null,
        roles: body.roles,
        groups: body.groups,
        isAdmin: body.roles.includes('admin'),
      };
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { caller, until: now() + cacheMs });
      return caller;
    },
  };
}
