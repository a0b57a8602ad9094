/**
 * Camunda Tasklist in a real browser (headless Chromium): a certificate agent signs in, opens the
 * approval task of a request another user made, sees the linked form with the request's
 * details and decides. Then the process goes on — checked in the database, with openssl and in
 * the SMTP server's inbox. Runs against the run's engine with the application's workers.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../src/ca/builtin-ca';
import { buildCsr } from '../../src/ca/csr-builder';
import { demoUser } from '../../src/engine/identity';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { createAsset } from '../../src/store/assets';
import { getCertificate } from '../../src/store/certificates';
import { appEngine } from '../support/app-engine';
import { taskDriver } from '../support/task-driver';
import { testBrowser } from '../support/browser';
import type { TestEngine } from '../support/engine';
import { testSmtp, type TestSmtp } from '../support/smtp';
import { openssl, testCa, tmpFile, verifyWithChain } from '../integration/ca/support';
import { aProfile, actor } from '../integration/store/fixtures';

describe('Tasklist in a browser: a certificate agent decides an approval (engine)', function () {
  this.timeout(240_000);
  let engine: TestEngine;
  let pool: Pool;
  let ca: BuiltinCa;
  let smtp: TestSmtp;

  before(async function () {
    engine = await appEngine(this);
    const t = await testCa();
    pool = t.db.pool;
    ca = t.ca;
    smtp = await testSmtp();
  });

  const { complete, child } = taskDriver(() => engine);

  /**
   * operator enrolls a P10 profile that needs approval: uploads the CSR and edits the request
   * first (issue 18.2); resolves with the approval task that then waits.
   */
  async function anEnrollmentAwaitingApproval() {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: true });
    const asset = await createAsset(pool, { name: `web-${Date.now()}`, commonName: 'web.corp.example.com', dnsNames: ['web.corp.example.com'] }, actor);
    const created = await engine.clients.rest.createProcessInstance({
      processDefinitionId: 'AssetsProcEnrollProfile',
      variables: { requester: 'operator', requesterEmail: 'operator@example.test', profileId: profile.id, assetId: asset.id },
    });
    const pik = String(created.processInstanceKey);
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    const der = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: 'web.corp.example.com', dnsNames: ['web.corp.example.com', 'api.corp.example.com'] });
    await complete(sub, 'Task_UploadCsr', 'operator', { csr: `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`, nextAction: 'next' });
    await complete(sub, 'Task_EditRequest', 'operator', { commonName: 'web.corp.example.com', dnsNames: 'web.corp.example.com, api.corp.example.com', nextAction: 'next' });
    const approval = await child(sub, 'AssetsProcApproval');
    const task = await waitForUserTask(engine.api, { processInstanceKey: approval, elementId: 'Task_ApproveRequest' }, { timeoutMs: 60_000 });
    return { pik, sub, approval, asset, task };
  }

  /** Signs in to Tasklist as `user` and opens the task; the form shows the request's details. */
  async function openTask(user: string, userTaskKey: string): Promise<Page> {
    const browser = await testBrowser();
    const page = await (await browser.newContext()).newPage();
    const tasklist = engine.config.camunda.tasklistUrl;
    await page.goto(tasklist);
    await page.locator('#username').fill(user);
    await page.locator('#password').fill(demoUser(user).password);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.getByText('All open tasks').first().waitFor({ timeout: 30_000 });
    // Tasklist shows a task a few seconds after the engine created it: reload until it is there.
    await pollUntil(`task ${userTaskKey} in Tasklist`, async () => {
      await page.goto(`${tasklist}/${userTaskKey}`);
      return (await page
        .getByRole('button', { name: 'Assign to me' })
        .waitFor({ state: 'visible', timeout: 8_000 })
        .then(() => true)
        .catch(() => undefined));
    }, { timeoutMs: 90_000, intervalMs: 1_000 });
    return page;
  }

  /** Picks a decision in the form (the radio inputs are styled away; their labels take the click). */
  async function decision(page: Page, label: 'Approve' | 'Reject'): Promise<void> {
    await page.locator('.fjs-container').getByText(label, { exact: true }).click();
    expect(await page.getByLabel(label, { exact: true }).isChecked()).to.equal(true);
  }

  async function assignToMe(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Assign to me' }).click();
    await page.getByRole('button', { name: 'Unassign' }).waitFor({ timeout: 30_000 });
  }

  it('when agent1 approves operator’s request in Tasklist, seeing the CSR’s common name and DNS names, then the certificate is issued (database, openssl)', async () => {
    const { pik, sub, asset, task } = await anEnrollmentAwaitingApproval();
    const page = await openTask('agent1', task.userTaskKey);
    try {
      // The linked form, filled from the process: who asks for what.
      await page.getByText(/operator requests the enrollment of asset web-/).first().waitFor({ timeout: 30_000 });
      expect(await page.getByText(`Asset: ${asset.name}`).count()).to.be.greaterThan(0);
      // What will be issued, from the CSR as edited (issue 18.2).
      expect(await page.getByText('Common Name: web.corp.example.com').count()).to.be.greaterThan(0);
      expect(await page.getByText('Dns Names: web.corp.example.com, api.corp.example.com').count()).to.be.greaterThan(0);
      await assignToMe(page);
      await decision(page, 'Approve');
      await page.getByRole('button', { name: 'Complete Task' }).click();
      await page.getByText(/Task completed/i).first().waitFor({ timeout: 30_000 });
    } finally {
      await page.context().close();
    }

    await complete(sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 });

    const { rows } = await pool.query<{ id: number; state: string; decided_by: string }>(
      'SELECT r.id, r.state, r.decided_by FROM requests r JOIN certificates c ON c.id = r.certificate_id WHERE c.asset_id = $1',
      [asset.id],
    );
    expect(rows[0]).to.deep.include({ decided_by: 'agent1' });
    const cert = await getCertificate(pool, (await pool.query<{ id: number }>('SELECT id FROM certificates WHERE asset_id = $1', [asset.id])).rows[0]!.id);
    expect(cert.state).to.equal('Valid');
    expect((await verifyWithChain(cert.pem!, await ca.caCertificates())).code).to.equal(0);
    expect((await openssl(['x509', '-in', tmpFile('tasklist.pem', cert.pem!), '-noout', '-subject'])).out).to.contain('web.corp.example.com');
    expect((await openssl(['x509', '-in', tmpFile('tasklist.pem', cert.pem!), '-noout', '-ext', 'subjectAltName'])).out).to.contain('api.corp.example.com');
  });

  it('when agent1 rejects with a reason in Tasklist, then the requester gets the reason by email and the certificate object is Rejected', async () => {
    const { pik, asset, task } = await anEnrollmentAwaitingApproval();
    const page = await openTask('agent1', task.userTaskKey);
    try {
      await assignToMe(page);
      await decision(page, 'Reject');
      await page.getByLabel(/Reason for rejection/).fill('this server is being decommissioned');
      await page.getByRole('button', { name: 'Complete Task' }).click();
      await page.getByText(/Task completed/i).first().waitFor({ timeout: 30_000 });
    } finally {
      await page.context().close();
    }
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 });
    const certId = (await pool.query<{ id: number }>('SELECT id FROM certificates WHERE asset_id = $1', [asset.id])).rows[0]!.id;
    expect((await getCertificate(pool, certId)).state).to.equal('Rejected');
    const mail = await smtp.waitFor((m) => m.subject.startsWith('Rejected:') && m.subject.includes(asset.name));
    expect(mail.to).to.deep.equal(['operator@example.test']);
    expect(mail.text).to.contain('this server is being decommissioned').and.contain('agent1');
  });

  it('when operator approves her own request in Tasklist, then the task comes back with the reason on the form and nothing was decided', async () => {
    const { pik, approval, asset, task } = await anEnrollmentAwaitingApproval();
    let page = await openTask('operator', task.userTaskKey);
    try {
      await assignToMe(page);
      await decision(page, 'Approve');
      await page.getByRole('button', { name: 'Complete Task' }).click();
      await page.getByText(/Task completed/i).first().waitFor({ timeout: 30_000 });
    } finally {
      await page.context().close();
    }
    const again = await pollUntil('the approval task back', async () => {
      const t = await engine.api.searchUserTasks({ processInstanceKey: approval, elementId: 'Task_ApproveRequest', state: 'CREATED' });
      return t.find((x) => x.userTaskKey !== task.userTaskKey);
    }, { timeoutMs: 60_000 });
    page = await openTask('agent1', again.userTaskKey);
    try {
      await page
        .getByText(/Your last decision was not accepted: operator requested this and cannot decide their own request/)
        .first()
        .waitFor({ timeout: 30_000 });
    } finally {
      await page.context().close();
    }
    const { rows } = await pool.query<{ state: string }>(
      'SELECT r.state FROM requests r JOIN certificates c ON c.id = r.certificate_id WHERE c.asset_id = $1',
      [asset.id],
    );
    expect(rows[0]!.state).to.equal('Requested');
    await engine.clients.rest.cancelProcessInstance({ processInstanceKey: pik }).catch(() => undefined);
  });
});
