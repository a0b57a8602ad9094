/**
 * The admin API's use-case options over HTTP, on the run's database (issue 16.5): a name
 * outside the catalogue answers 404 with the valid names, an option the use case does not read
 * answers 400, and neither saves anything.
 *
 * Sign-in is a fixed admin instead of the engine's identity: these routes do not depend on who
 * signs in beyond the admin role, and the suite must not need an engine.
 */
import { expect } from 'chai';
import type { Caller } from '../../../src/api/identity';
import { USE_CASES } from '../../../src/domain/use-cases';
import { testCa } from '../ca/support';
import { serveTestApp, type TestApp } from '../../support/test-app';

const admin: Caller = { username: 'demo', displayName: 'Demo', email: null, roles: [], groups: ['workplace-pki-admin'], isAdmin: true };

describe('API: admin options (issue 16.5)', () => {
  let app: TestApp;
  let base: string;
  let stored: () => Promise<unknown[]>;
  const auth = { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` };

  before(async () => {
    const { db } = await testCa();
    stored = async () => (await db.pool.query('SELECT * FROM use_case_options ORDER BY use_case')).rows;
    app = await serveTestApp({ users: { demo: admin } });
    base = app.base;
  });
  after(async () => {
    await app.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('when an admin puts options on a mistyped use case, then 404 lists the valid names and nothing is saved', async () => {
    const before = await stored();
    for (const name of ['CardsProcDeactivat', 'NoSuchCase', 'AssetsProcApprovalRequest']) {
      const res = await call('PUT', `/api/admin/options/${name}`, { approvalStep: true });
      expect(res.status, name).to.equal(404);
      const detail = String(res.body.detail);
      expect(detail, name).to.contain(`use case ${name} does not exist`);
      for (const u of USE_CASES) expect(detail, name).to.contain(u.symbolicName);
    }
    expect(await stored()).to.deep.equal(before);
  });

  it('when an admin reads the options of a use case that does not exist, then 404', async () => {
    expect((await call('GET', '/api/admin/options/NoSuchCase')).status).to.equal(404);
    const known = await call('GET', '/api/admin/options/CardsProcDeactivate');
    expect(known.status).to.equal(200);
    expect(known.body.useCase).to.equal('CardsProcDeactivate');
  });

  it('when an admin switches on an option no process reads (an approval step on the approval itself), then 400 names it and nothing is saved', async () => {
    const before = await stored();
    const res = await call('PUT', '/api/admin/options/AssetsProcApproval', { approvalStep: true });
    expect(res.status).to.equal(400);
    expect(res.body.detail).to.equal('AssetsProcApproval does not read approvalStep; its options are enabled');
    expect(res.body.issues).to.deep.equal(['approvalStep: AssetsProcApproval does not read this option']);
    const group = await call('PUT', '/api/admin/options/AssetsProcLockCertificate', { enabled: true, approverGroup: 'other-agents' });
    expect(group.status).to.equal(400);
    expect(group.body.detail).to.contain('AssetsProcLockCertificate does not read approverGroup');
    expect(await stored()).to.deep.equal(before);
  });

  it('when an admin sets an option the use case reads, then 200 with the options now', async () => {
    const res = await call('PUT', '/api/admin/options/CardsProcDeactivate', { approverGroup: 'card-agents' });
    try {
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ useCase: 'CardsProcDeactivate', approverGroup: 'card-agents', updatedBy: 'demo' });
    } finally {
      await call('PUT', '/api/admin/options/CardsProcDeactivate', { approverGroup: 'workplace-certificate-agent' });
    }
  });

  it('when an admin lists the options, then each use case of the catalogue appears once', async () => {
    const res = await fetch(`${base}/api/admin/options`, { headers: auth });
    const list = (await res.json()) as Array<{ useCase: string }>;
    expect(list.map((o) => o.useCase)).to.deep.equal(USE_CASES.map((u) => u.symbolicName));
  });
});
