/**
 * The API's routing edge over HTTP, on the run's database and CA: what the router accepts, the
 * log must mask (issue 17.16); names that are not collections and ids that are not plain
 * decimal numbers are refused with 4xx, never a 500 (issue 17.20).
 *
 * Sign-in here is a fixed user directory instead of the engine's identity: these routes do not
 * depend on who signs in, and the suite must not need an engine (the signed-in suite, which
 * does, covers sign-in itself).
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { loggablePath } from '../../../src/api/app';
import type { Caller } from '../../../src/api/identity';
import { testCa } from '../ca/support';
import { anAsset } from '../store/fixtures';
import { serveTestApp, type TestApp } from '../../support/test-app';

const operator: Caller = { username: 'operator', displayName: 'Operator', email: null, roles: [], groups: [], isAdmin: true };

describe('API routing edge', () => {
  let app: TestApp;
  let base: string;
  const logLines: string[] = [];
  const auth = { authorization: `Basic ${Buffer.from('operator:operator').toString('base64')}` };

  before(async () => {
    app = await serveTestApp({ users: { operator }, log: (line) => logLines.push(line) });
    base = app.base;
  });
  after(async () => {
    await app.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

  describe('the log never holds a one-time link token (issue 17.16)', () => {
    it('when an old one-time link /api/SECRETS/<token> is opened (tokens open nothing since issue 17.7), then it is refused (404: no route, issue 16.6) and the token is masked in the log', async () => {
      const token = crypto.randomBytes(32).toString('base64url');
      expect((await get(`/api/SECRETS/${token}`, { accept: 'application/json' })).status).to.equal(404);
      expect((await get(`/API/Secrets/${token}/`, { ...auth, accept: 'application/json' })).status).to.equal(404);
      const log = logLines.join('\n');
      expect(log).to.not.contain(token);
      expect(log).to.contain('/api/SECRETS/*** 404').and.contain('/API/Secrets/*** 404');
    });

    it('when the path spells "secrets" or its slash percent-encoded, then the token is masked too', async () => {
      const token = 'Tk3n_'.padEnd(43, 'x');
      for (const path of [`/api/secrets%2F${token}`, `/api/%73ecrets/${token}`, `/api/SeCrEtS%2f${token}?a=b`]) await get(path);
      expect(logLines.join('\n')).to.not.contain(token);
    });

    it('when a path carries line breaks or control characters, then the log line stays one line', () => {
      expect(loggablePath('/api/assets/%0a[api]%20GET%20/forged')).to.not.match(/[\r\n]/);
      expect(loggablePath('/api/assets/%0a[api]%20GET%20/forged')).to.equal('/api/assets/%0A[api]%20GET%20/forged');
      expect(loggablePath('/api/secrets/abc?token=x')).to.equal('/api/secrets/***');
    });
  });

  describe('names and ids the API does not know (issue 17.20)', () => {
    for (const path of ['/api/__proto__', '/api/constructor/1', '/api/toString', '/api/hasOwnProperty/1', '/api/__proto__/1/use-cases/CardsProcDeactivate']) {
      it(`when a signed-in caller asks for ${path}, then 404, not 500`, async () => {
        const res = await fetch(`${base}${path}`, { method: path.includes('use-cases') ? 'POST' : 'GET', headers: { ...auth, 'content-type': 'application/json' }, body: path.includes('use-cases') ? '{}' : undefined });
        expect(res.status).to.equal(404);
        expect(((await res.json()) as { title: string }).title).to.equal('NOT_FOUND');
      });
    }

    it('when an object id is not a plain decimal number (1e3, 0x10, 1.0, 012, +5, " 7"), then 400 and nothing is looked up', async () => {
      const asset = await anAsset((await testCa()).db.pool);
      expect((await get(`/api/assets/${asset.id}`, auth)).status).to.equal(200);
      for (const id of ['1e3', '0x10', '1.0', '012', '+5', '%207', '0', '-1', '9007199254740993']) {
        const res = await get(`/api/assets/${id}`, auth);
        expect(res.status, id).to.equal(400);
        expect((await get(`/api/certificates/${id}/download`, auth)).status, `download ${id}`).to.equal(400);
      }
    });

    it('when a start names the profile by a string that is not a plain decimal number, then 400', async () => {
      const asset = await anAsset((await testCa()).db.pool);
      const res = await fetch(`${base}/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ profileId: '1e3' }),
      });
      expect(res.status).to.equal(400);
    });

    it('when an admin names a use case or card type such as __proto__, then 4xx, not 500', async () => {
      for (const path of ['/api/admin/options/__proto__', '/api/admin/card-types/__proto__/commands']) {
        const res = await get(path, auth);
        expect(res.status, path).to.be.within(400, 499);
      }
    });
  });
});
