/**
 * Demo users on Camunda 8.6 without Identity: Tasklist and Operate keep their users as
 * documents in their own OpenSearch indices (`tasklist-user-*`, `operate-user-*`) with a
 * `{bcrypt}` password; REST v2 `/v2/users` answers "not yet implemented" there (measured,
 * ../shared/CAMUNDA-NOTES.md). Writing such a document adds a user who can sign in to both.
 * 8.6 has no groups: who may approve is data in the store (approvers), not an engine group.
 */
import bcrypt from 'bcryptjs';
import type { DemoUser } from './identity';
import { readResponse, type RestResponse } from './rest';

/** Web app role of each demo user: demo owns everything, the others operate. */
export function webappRole(username: string): 'OWNER' | 'OPERATOR' {
  return username === 'demo' ? 'OWNER' : 'OPERATOR';
}

async function os<T>(opensearchUrl: string, method: string, path: string, body?: unknown): Promise<RestResponse<T>> {
  const res = await fetch(`${opensearchUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return readResponse<T>(res);
}

/** The user indices the web apps created (they exist once Tasklist and Operate have started). */
export async function userIndices(opensearchUrl: string): Promise<string[]> {
  const r = await os<Array<{ index: string }>>(opensearchUrl, 'GET', '/_cat/indices/tasklist-user-*,operate-user-*?format=json');
  if (r.status !== 200) throw new Error(`OpenSearch did not list the web apps' user indices: ${r.status} ${r.text.slice(0, 200)}`);
  // operate-user-task-* holds user tasks, not users: only `<app>-user-<version>_`.
  return (r.body ?? []).map((i) => i.index).filter((i) => /^(tasklist|operate)-user-\d/.test(i)).sort();
}

/**
 * Makes sure every demo user exists in both web apps with its password and role; returns the
 * users it wrote. A user whose stored password already matches is left alone.
 */
export async function ensureWebappUsers(opensearchUrl: string, users: readonly DemoUser[], log: (line: string) => void): Promise<string[]> {
  const indices = await userIndices(opensearchUrl);
  if (!indices.some((i) => i.startsWith('tasklist-')) || !indices.some((i) => i.startsWith('operate-'))) {
    throw new Error(`Tasklist and Operate have not created their user indices yet (found: ${indices.join(', ') || 'none'})`);
  }
  const written: string[] = [];
  for (const index of indices) {
    for (const u of users) {
      const existing = await os<{ found?: boolean; _source?: { password?: string; roles?: string[] } }>(
        opensearchUrl,
        'GET',
        `/${index}/_doc/${encodeURIComponent(u.username)}`,
      );
      const stored = existing.body?._source?.password?.replace(/^\{bcrypt\}/, '');
      if (stored && (await bcrypt.compare(u.password, stored)) && existing.body?._source?.roles?.includes(webappRole(u.username))) continue;
      const doc = {
        id: u.username,
        userId: u.username,
        displayName: u.name,
        password: `{bcrypt}${await bcrypt.hash(u.password, 10)}`,
        roles: [webappRole(u.username)],
      };
      const r = await os(opensearchUrl, 'PUT', `/${index}/_doc/${encodeURIComponent(u.username)}?refresh=true`, doc);
      if (r.status !== 200 && r.status !== 201) throw new Error(`Could not write user ${u.username} to ${index}: ${r.status} ${r.text.slice(0, 200)}`);
      written.push(`${u.username}@${index.split('-')[0]}`);
    }
  }
  if (written.length > 0) log(`[camunda] demo users written to the web apps: ${written.join(', ')}`);
  return written;
}
