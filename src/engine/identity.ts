/**
 * The local engine's demo identities: users, the certificate-agent group, role memberships and
 * authorizations. `camunda-local/application.yaml` and `camunda-docker/application.yaml` declare
 * the same (Identity as Code, `camunda.security.initialization.*`); `ensureIdentity()` creates
 * whatever is still missing through REST API v2 after start, idempotently, so the engine has
 * them even where a property was not applied.
 */
import { restCall } from './rest';

export interface DemoUser {
  username: string;
  password: string;
  name: string;
  email: string;
  /** What the user is for (README). */
  purpose: string;
}

export const AGENT_GROUP = 'workplace-certificate-agent';
/** Built-in role of Camunda 8.9: READ/CLAIM/COMPLETE user tasks where assignee, candidate user or candidate group. */
export const TASK_WORKER_ROLE = 'task-worker';
export const ADMIN_ROLE = 'admin';

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'demo', password: 'demo', name: 'Demo Admin', email: 'demo@example.com', purpose: 'admin role: everything; technical user of the workers and the API' },
  { username: 'operator', password: 'operator', name: 'Olivia Operator', email: 'operator@example.com', purpose: 'operator: starts use cases, Tasklist, completes tasks where she is a candidate' },
  { username: 'agent1', password: 'agent1', name: 'Agent One', email: 'agent1@example.com', purpose: `certificate agent (group ${AGENT_GROUP}): approves requests in Tasklist` },
  { username: 'agent2', password: 'agent2', name: 'Agent Two', email: 'agent2@example.com', purpose: `certificate agent (group ${AGENT_GROUP}): approves requests in Tasklist` },
];

export interface GroupSpec {
  groupId: string;
  name: string;
  description: string;
  users: string[];
}

export const DEMO_GROUPS: readonly GroupSpec[] = [
  {
    groupId: AGENT_GROUP,
    name: 'Workplace certificate agents',
    description: 'May approve certificate and card requests (candidate group of the approval user tasks)',
    users: ['agent1', 'agent2'],
  },
];

export interface RoleMembership {
  roleId: string;
  users: string[];
  groups: string[];
}

export const DEMO_ROLE_MEMBERSHIPS: readonly RoleMembership[] = [
  { roleId: ADMIN_ROLE, users: ['demo'], groups: [] },
  { roleId: TASK_WORKER_ROLE, users: ['operator'], groups: [AGENT_GROUP] },
];

export interface AuthorizationSpec {
  ownerType: 'USER' | 'GROUP' | 'ROLE';
  ownerId: string;
  resourceType: string;
  resourceId: string;
  permissionTypes: string[];
}

export const DEMO_AUTHORIZATIONS: readonly AuthorizationSpec[] = [
  { ownerType: 'GROUP', ownerId: AGENT_GROUP, resourceType: 'COMPONENT', resourceId: 'tasklist', permissionTypes: ['ACCESS'] },
  { ownerType: 'GROUP', ownerId: AGENT_GROUP, resourceType: 'PROCESS_DEFINITION', resourceId: '*', permissionTypes: ['READ_PROCESS_DEFINITION'] },
  { ownerType: 'USER', ownerId: 'operator', resourceType: 'COMPONENT', resourceId: 'tasklist', permissionTypes: ['ACCESS'] },
  { ownerType: 'USER', ownerId: 'operator', resourceType: 'PROCESS_DEFINITION', resourceId: '*', permissionTypes: ['READ_PROCESS_DEFINITION'] },
];

/** Looks up a demo user's credentials (tests act as these users). */
export function demoUser(username: string): DemoUser {
  const user = DEMO_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  return user;
}

export interface AdminConnection {
  restAddress: string;
  username: string;
  password: string;
}

/** Thrown when the identities cannot be set up; says which call failed. */
export class IdentitySetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentitySetupError';
  }
}

async function call(
  admin: AdminConnection,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const r = await restCall(admin.restAddress, admin, method, path, body);
  return { status: r.status, json: r.body, text: r.text };
}

/** 2xx, or 409 (already exists / already a member) count as success: the call is idempotent. */
async function ensure(admin: AdminConnection, method: 'POST' | 'PUT', path: string, what: string, body?: unknown): Promise<boolean> {
  const r = await call(admin, method, path, body);
  if (r.status >= 200 && r.status < 300) return true;
  if (r.status === 409) return false;
  throw new IdentitySetupError(`Could not ${what}: ${method} ${path} → ${r.status} ${r.text.slice(0, 300)}`);
}

/**
 * Creates the demo users, group, role memberships and authorizations that are missing, as the
 * admin user. Returns what it had to create (empty when Identity as Code already did it all).
 */
export async function ensureIdentity(admin: AdminConnection, log: (line: string) => void = console.log): Promise<string[]> {
  const created: string[] = [];

  for (const u of DEMO_USERS) {
    if (u.username === admin.username) continue;
    const r = await call(admin, 'GET', `/v2/users/${encodeURIComponent(u.username)}`);
    if (r.status === 404) {
      if (await ensure(admin, 'POST', '/v2/users', `create user ${u.username}`, { username: u.username, password: u.password, name: u.name, email: u.email })) {
        created.push(`user ${u.username}`);
      }
    } else if (r.status !== 200) {
      throw new IdentitySetupError(`Could not read user ${u.username}: GET /v2/users/${u.username} → ${r.status} ${r.text.slice(0, 300)}`);
    }
  }

  for (const g of DEMO_GROUPS) {
    const r = await call(admin, 'GET', `/v2/groups/${encodeURIComponent(g.groupId)}`);
    if (r.status === 404) {
      if (await ensure(admin, 'POST', '/v2/groups', `create group ${g.groupId}`, { groupId: g.groupId, name: g.name, description: g.description })) {
        created.push(`group ${g.groupId}`);
      }
    } else if (r.status !== 200) {
      throw new IdentitySetupError(`Could not read group ${g.groupId}: GET /v2/groups/${g.groupId} → ${r.status} ${r.text.slice(0, 300)}`);
    }
    for (const username of g.users) {
      await ensure(admin, 'PUT', `/v2/groups/${encodeURIComponent(g.groupId)}/users/${encodeURIComponent(username)}`, `add ${username} to group ${g.groupId}`);
    }
  }

  for (const m of DEMO_ROLE_MEMBERSHIPS) {
    const role = await call(admin, 'GET', `/v2/roles/${encodeURIComponent(m.roleId)}`);
    if (role.status === 404) {
      throw new IdentitySetupError(
        `The engine has no role "${m.roleId}". Camunda 8.9 creates the built-in roles admin and task-worker at first start; ` +
          'an older engine or a cluster whose roles were changed lacks it. Create it in the Admin UI (/admin) and start again.',
      );
    }
    for (const username of m.users) {
      await ensure(admin, 'PUT', `/v2/roles/${encodeURIComponent(m.roleId)}/users/${encodeURIComponent(username)}`, `assign role ${m.roleId} to ${username}`);
    }
    for (const groupId of m.groups) {
      await ensure(admin, 'PUT', `/v2/roles/${encodeURIComponent(m.roleId)}/groups/${encodeURIComponent(groupId)}`, `assign role ${m.roleId} to group ${groupId}`);
    }
  }

  for (const a of DEMO_AUTHORIZATIONS) {
    const search = await call(admin, 'POST', '/v2/authorizations/search', {
      filter: { ownerId: a.ownerId, ownerType: a.ownerType, resourceType: a.resourceType, resourceIds: [a.resourceId] },
    });
    if (search.status !== 200) {
      throw new IdentitySetupError(`Could not search authorizations: POST /v2/authorizations/search → ${search.status} ${search.text.slice(0, 300)}`);
    }
    const items = ((search.json as { items?: Array<{ resourceId?: string; permissionTypes?: string[] }> } | undefined)?.items ?? []).filter(
      (i) => i.resourceId === a.resourceId,
    );
    const granted = new Set(items.flatMap((i) => i.permissionTypes ?? []));
    if (a.permissionTypes.every((p) => granted.has(p))) continue;
    if (await ensure(admin, 'POST', '/v2/authorizations', `grant ${a.permissionTypes.join(',')} on ${a.resourceType}:${a.resourceId} to ${a.ownerType} ${a.ownerId}`, a)) {
      created.push(`authorization ${a.ownerType} ${a.ownerId} ${a.resourceType}:${a.resourceId} ${a.permissionTypes.join(',')}`);
    }
  }

  if (created.length > 0) log(`[camunda] created through REST: ${created.join('; ')}`);
  return created;
}
