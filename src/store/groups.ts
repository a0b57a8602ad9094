/**
 * The application's groups: who may decide a request routed to an approver group, and who
 * administers (ADMIN_GROUP). The store is the source of truth on every engine — Camunda 8.6 has
 * no groups — so "only certificate agents decide" holds wherever the processes run. Every
 * change is recorded with its actor.
 */
import type { Queryable } from './db';

/** Members may use the admin routes and commands. */
export const ADMIN_GROUP = 'workplace-pki-admin';

export async function isGroupMember(q: Queryable, groupId: string, username: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM group_members WHERE group_id = $1 AND username = $2', [groupId, username]);
  return (rowCount ?? 0) > 0;
}

/** The groups `username` belongs to. */
export async function groupsOf(q: Queryable, username: string): Promise<string[]> {
  const { rows } = await q.query<{ groupId: string }>('SELECT group_id AS "groupId" FROM group_members WHERE username = $1 ORDER BY group_id', [username]);
  return rows.map((r) => r.groupId);
}

export async function groupMembers(q: Queryable, groupId: string): Promise<string[]> {
  const { rows } = await q.query<{ username: string }>(
    'SELECT username FROM group_members WHERE group_id = $1 ORDER BY username',
    [groupId],
  );
  return rows.map((r) => r.username);
}

export async function listGroups(q: Queryable): Promise<Array<{ groupId: string; members: string[] }>> {
  const { rows } = await q.query<{ groupId: string; members: string[] }>(
    `SELECT group_id AS "groupId", array_agg(username ORDER BY username) AS members
       FROM group_members GROUP BY group_id ORDER BY group_id`,
  );
  return rows;
}

/** Adds `username` to `groupId`; returns false when already a member (nothing recorded). */
export async function addGroupMember(q: Queryable, groupId: string, username: string, actor: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `WITH added AS (
       INSERT INTO group_members (group_id, username, added_by) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING group_id, username)
     INSERT INTO group_history (group_id, username, change, actor) SELECT group_id, username, 'added', $3 FROM added`,
    [groupId, username, actor],
  );
  return (rowCount ?? 0) > 0;
}

/** Removes `username` from `groupId`; returns false when not a member. */
export async function removeGroupMember(q: Queryable, groupId: string, username: string, actor: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `WITH removed AS (
       DELETE FROM group_members WHERE group_id = $1 AND username = $2 RETURNING group_id, username)
     INSERT INTO group_history (group_id, username, change, actor) SELECT group_id, username, 'removed', $3 FROM removed`,
    [groupId, username, actor],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Sets where `username` is emailed; returns false when it was that already (nothing recorded).
 * The API calls it with a signed-in user's address from the engine; an admin with the CLI.
 */
export async function setUserEmail(q: Queryable, username: string, email: string, actor: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `WITH changed AS (
       INSERT INTO user_emails (username, email, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email, updated_by = EXCLUDED.updated_by, updated_at = now()
         WHERE user_emails.email IS DISTINCT FROM EXCLUDED.email
       RETURNING username, email)
     INSERT INTO user_email_history (username, email, actor) SELECT username, email, $3 FROM changed`,
    [username, email, actor],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * The addresses of the members of `groupId` that have one (issue 18.7: approvers are emailed at
 * the members of the approver group), leaving out `except` (the requester, who may not decide).
 */
export async function memberEmails(q: Queryable, groupId: string, except?: string): Promise<string[]> {
  const { rows } = await q.query<{ email: string }>(
    `SELECT e.email FROM group_members m JOIN user_emails e ON e.username = m.username
      WHERE m.group_id = $1 AND m.username IS DISTINCT FROM $2 ORDER BY m.username`,
    [groupId, except ?? null],
  );
  return rows.map((r) => r.email);
}
