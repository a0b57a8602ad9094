import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../../src/config';
import { AGENT_GROUP, DEMO_AUTHORIZATIONS, DEMO_GROUPS, DEMO_ROLE_MEMBERSHIPS, DEMO_USERS, TASK_WORKER_ROLE } from '../../../src/engine/identity';

const yaml = fs.readFileSync(path.join(PROJECT_ROOT, 'camunda-local', 'application.yaml'), 'utf8');
const compose = fs.readFileSync(path.join(PROJECT_ROOT, 'camunda-docker', 'docker-compose.yaml'), 'utf8');

/** The lines under `key:` (deeper indented than it), from a small, regular YAML file. */
function section(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${key}:`);
  if (start < 0) throw new Error(`no ${key}: in the YAML`);
  const indent = lines[start]!.search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && !line.trim().startsWith('#') && line.search(/\S/) <= indent) break;
    body.push(line);
  }
  return body.join('\n');
}

function list(text: string, key: string): string[] {
  return section(text, key)
    .split('\n')
    .map((l) => /^\s*-\s+(.+)$/.exec(l)?.[1]?.replace(/^"|"$/g, ''))
    .filter((v): v is string => v !== undefined);
}

describe('engine: demo identities (camunda-local/application.yaml ⇄ src/engine/identity.ts)', () => {
  const init = section(yaml, 'initialization');

  it('then the YAML enables basic auth, a protected API and authorizations, with RDBMS secondary storage', () => {
    expect(yaml).to.match(/secondary-storage:\n\s+# .*\n\s+type: rdbms/);
    expect(section(yaml, 'authentication')).to.match(/method: BASIC/).and.match(/unprotected-api: false/);
    expect(section(yaml, 'authorizations')).to.match(/enabled: true/);
    const withoutComments = yaml.replace(/#.*$/gm, '');
    expect(withoutComments).not.to.match(/elasticsearch/i);
  });

  it('then every demo user is declared with the same password', () => {
    const users = [...section(init, 'users').matchAll(/- username: (\S+)\n\s+password: (\S+)/g)].map((m) => [m[1], m[2]]);
    expect(users).to.deep.equal(DEMO_USERS.map((u) => [u.username, u.password]));
  });

  it('then the certificate-agent group holds agent1 and agent2', () => {
    const groups = section(init, 'groups');
    expect(groups).to.contain(`groupId: ${AGENT_GROUP}`);
    expect(list(groups, 'users')).to.deep.equal(DEMO_GROUPS[0]!.users);
  });

  it('then the role memberships (admin: demo; task-worker: operator + agents group) match', () => {
    const roles = section(init, 'defaultRoles');
    for (const m of DEMO_ROLE_MEMBERSHIPS) {
      const role = section(roles, m.roleId);
      expect(m.users.length === 0 ? [] : list(role, 'users'), `${m.roleId} users`).to.deep.equal(m.users);
      expect(m.groups.length === 0 ? [] : list(role, 'groups'), `${m.roleId} groups`).to.deep.equal(m.groups);
    }
    expect(DEMO_ROLE_MEMBERSHIPS.map((m) => m.roleId)).to.include(TASK_WORKER_ROLE);
  });

  it('then the authorizations match', () => {
    const declared = [
      ...section(init, 'authorizations').matchAll(
        /- ownerType: (\S+)\n\s+ownerId: (\S+)\n\s+resourceType: (\S+)\n\s+resourceId: "?([^"\n]+)"?\n\s+permissions:\n((?:[ ]+- [A-Z_]+\n?)+)/g,
      ),
    ].map((m) => ({
      ownerType: m[1],
      ownerId: m[2],
      resourceType: m[3],
      resourceId: m[4],
      permissionTypes: m[5]!.trim().split('\n').map((p) => p.replace(/^\s*-\s*/, '')),
    }));
    expect(declared).to.deep.equal(DEMO_AUTHORIZATIONS);
  });

  it('then the Docker setup mounts this very file and pins the same 8.9 image', () => {
    expect(compose).to.contain('../camunda-local/application.yaml:/usr/local/camunda/config/workplace-pki.yaml:ro');
    expect(compose).to.match(/image: camunda\/camunda:8\.9\.\d+/);
  });
});
