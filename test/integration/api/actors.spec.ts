/**
 * Issue 17.10 over HTTP: who a change is recorded for comes from the signed-in caller, never
 * from the request body — for an admin's option changes, and for the requester of a process
 * the API starts (its workers record that name as the actor).
 *
 * Sign-in is a fixed user directory and process starts are recorded instead of sent to an
 * engine: what is checked is what the API hands over, so the suite needs no engine.
 */
import { expect } from 'chai';
import type { Caller } from '../../../src/api/identity';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import type { ProcessEngine } from '../../../src/engine/processes';
import { testCa } from '../ca/support';
import { aCard } from '../store/fixtures';
import { serveTestApp, type TestApp } from '../../support/test-app';

const user = (username: string, isAdmin = false, groups: string[] = []): Caller => ({ username, displayName: username, email: `${username}@example.com`, roles: [], groups, isAdmin });
// operator deactivates a card that is not hers: as a registration authority (issue 17.11).
const USERS: Record<string, Caller> = { demo: user('demo', true), operator: user('operator', false, [REGISTRATION_AUTHORITY_GROUP]) };

describe('API: the actor of a change is the signed-in caller (issue 17.10)', () => {
  let app: TestApp;
  let base: string;
  const started: Array<{ processId: string; variables: Record<string, unknown> }> = [];

  before(async () => {
    const processes: ProcessEngine = {
      start: async (processId, variables) => {
        started.push({ processId, variables });
        return { processInstanceKey: String(2251799813100000 + started.length) };
      },
      cancel: async () => undefined,
    };
    app = await serveTestApp({ users: USERS, processes });
    base = app.base;
  });
  after(async () => {
    await app.close();
  });

  const call = (method: string, path: string, username: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`${username}:${username}`).toString('base64')}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('when an admin changes a use case\'s options and a card type\'s command, then each history names the signed-in admin, with before and after', async () => {
    const options = (await (await call('GET', '/api/admin/options/CardsProcDeactivate', 'demo')).json()) as { approverEmails: string[] };
    const changed = await call('PUT', '/api/admin/options/CardsProcDeactivate', 'demo', { approverEmails: ['audit@example.com'] });
    expect(changed.status).to.equal(200);
    await call('PUT', '/api/admin/options/CardsProcDeactivate', 'demo', { approverEmails: options.approverEmails });
    const history = (await (await call('GET', '/api/admin/options/CardsProcDeactivate/history', 'demo')).json()) as Array<{ actor: string; before: Record<string, unknown>; after: Record<string, unknown> }>;
    expect(history.slice(-2).map((h) => [h.actor, h.before.approverEmails, h.after.approverEmails])).to.deep.equal([
      ['demo', options.approverEmails, ['audit@example.com']],
      ['demo', ['audit@example.com'], options.approverEmails],
    ]);

    expect((await call('PUT', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate', 'demo', { enabled: true })).status).to.equal(200);
    await call('PUT', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate', 'demo', { enabled: false });
    const commands = (await (await call('GET', '/api/admin/card-types/virtual-smart-card/commands/VirtualSmartCardProcReactivate/history', 'demo')).json()) as Array<{ actor: string; after: { enabled: boolean } }>;
    expect(commands.slice(-2).map((h) => [h.actor, h.after.enabled])).to.deep.equal([['demo', true], ['demo', false]]);
    expect((await call('GET', '/api/admin/options/CardsProcDeactivate/history', 'operator')).status, 'not an admin').to.equal(403);
    expect((await call('GET', '/api/admin/card-types/virtual-smart-card/commands/Nope/history', 'demo')).status).to.equal(404);
  });

  it('when a use case is started through the API, then the requester is the signed-in caller; a body that names a requester is refused and starts nothing', async () => {
    const card = await aCard((await testCa()).db.pool);
    const before = started.length;
    for (const body of [{ requester: 'alice' }, { requester: 'alice', requesterEmail: 'alice@example.com' }, { operator: 'alice' }]) {
      const refused = await call('POST', `/api/cards/${card.id}/use-cases/CardsProcDeactivate`, 'operator', body);
      expect(refused.status, JSON.stringify(body)).to.equal(400);
    }
    expect(started.length, 'nothing started').to.equal(before);
    const res = await call('POST', `/api/cards/${card.id}/use-cases/CardsProcDeactivate`, 'operator', {});
    expect(res.status).to.equal(201);
    expect(started.at(-1)).to.deep.equal({ processId: 'CardsProcDeactivate', variables: { requester: 'operator', requesterEmail: 'operator@example.com', cardId: card.id } });
  });
});
