/**
 * The P10 CSR uploaded as a file in the console (issue 18.13), in a real browser with the engine,
 * the application's workers and the run's API: where an operator starts the enrollment (the
 * asset's page, beside the Tasklist link) and on the request's page. A bad file is refused with
 * the reason and the task stays open; a good one (DER, PEM) completes "Upload CSR" as the
 * operator and the enrollment goes on to a Valid certificate.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { Pool } from 'pg';
import { buildCsr } from '../../src/ca/csr-builder';
import { demoUser } from '../../src/engine/identity';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { createAsset } from '../../src/store/assets';
import { getCertificate } from '../../src/store/certificates';
import { getRequest } from '../../src/store/requests';
import { testApi, type TestApi } from '../support/api';
import { appEngine } from '../support/app-engine';
import { closePages, consolePage, screenshot, signIn } from '../support/console';
import type { TestEngine } from '../support/engine';
import { taskDriver } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { actor, aProfile } from '../integration/store/fixtures';

describe('Console in a browser with the engine: a P10 CSR uploaded as a file (issue 18.13)', function () {
  this.timeout(300_000);
  let engine: TestEngine;
  let api: TestApi;
  let pool: Pool;
  const pages: Page[] = [];
  const started: string[] = [];

  before(async function () {
    engine = await appEngine(this);
    api = await testApi();
    pool = (await testCa()).db.pool;
  });
  afterEach(async function () {
    await closePages(this.currentTest?.state === 'failed', pages, api.logLines, 'csr-failed');
  });
  after(async () => {
    for (const pik of started) await engine?.clients.rest.cancelProcessInstance({ processInstanceKey: pik }).catch(() => undefined);
  });

  const { complete, child } = taskDriver(() => engine);

  async function signedIn(path: string, user: string): Promise<Page> {
    const page = await consolePage(`${api.base}${path}`);
    pages.push(page);
    await signIn(page, user, demoUser(user).password);
    return page;
  }

  async function p10Asset(name: string) {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: false });
    const n = `${name}-${crypto.randomBytes(3).toString('hex')}`;
    const asset = await createAsset(pool, { name: n, commonName: `${n}.corp.example.com`, dnsNames: [`${n}.corp.example.com`] }, actor);
    return { profile, asset, cn: `${n}.corp.example.com` };
  }

  const csrFor = (cn: string) => buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: cn, dnsNames: [cn] });
  const openUpload = (sub: string) => engine.api.searchUserTasks({ processInstanceKey: sub, state: 'CREATED', elementId: 'Task_UploadCsr' });

  it('when an operator starts a P10 enrollment on an asset, then beside the Tasklist link a bad file is refused with the reason, the DER file is taken, and the certificate becomes Valid', async () => {
    const { profile, asset, cn } = await p10Asset('web');
    const page = await signedIn(`/console/assets/${asset.id}`, 'operator');
    await page.getByRole('button', { name: 'Enroll profile', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Certificate profile to enroll').selectOption(String(profile.id));
    await dialog.getByRole('button', { name: 'Start enroll profile' }).click();
    const pik = /process (\d+)$/.exec(await page.getByRole('heading', { name: /^Enroll profile: process \d+$/ }).innerText({ timeout: 30_000 }))![1]!;
    started.push(pik);
    await page.getByText('Next step for you: Upload CSR').waitFor({ timeout: 90_000 });
    const progress = page.locator('.console-progress');
    const upload = progress.getByRole('button', { name: 'Upload CSR', exact: true });
    expect(await upload.isDisabled(), 'no file chosen yet').to.equal(true);

    // Not a CSR: the API's reason on the page, and "Upload CSR" still open in the engine.
    await progress.locator('input[type="file"]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('this is not a CSR') });
    await upload.click();
    await progress.getByText('The CSR was not taken').waitFor({ timeout: 30_000 });
    await progress.getByText(/not a valid certificate signing request/).waitFor();
    await screenshot(page, 'csr-upload-refused');
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    expect(await openUpload(sub)).to.have.length(1);

    await progress.locator('input[type="file"]').setInputFiles({ name: 'server.der', mimeType: 'application/pkcs10', buffer: csrFor(cn) });
    await upload.click();
    await progress.getByText('CSR uploaded').waitFor({ timeout: 30_000 });
    await progress.getByText('RSA 2048 bits').first().waitFor();
    // The process went on: the console follows it to the next step.
    await page.getByText('Next step for you: Edit the server request').waitFor({ timeout: 90_000 });
    await screenshot(page, 'csr-uploaded');
    await complete(sub, 'Task_EditRequest', 'operator', { commonName: cn, dnsNames: cn, nextAction: 'next' });
    await complete(sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 });
    const requestId = (await pool.query<{ id: number }>('SELECT id FROM requests WHERE process_instance_key = $1', [pik])).rows[0]!.id;
    const cert = await getCertificate(pool, (await getRequest(pool, requestId)).certificateId!);
    expect(cert.state).to.equal('Valid');
    expect(cert.subject).to.contain(cn);
  });

  it("when a P10 enrollment waits for its CSR, then its request's page takes the PEM file and the enrollment goes on to \"Edit the server request\"", async () => {
    const { profile, asset, cn } = await p10Asset('req');
    const res = await fetch(`${api.base}/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, {
      method: 'POST',
      headers: { ...api.basic('operator', demoUser('operator').password), 'content-type': 'application/json' },
      body: JSON.stringify({ profileId: profile.id }),
    });
    expect(res.status).to.equal(201);
    const { processInstanceKey: pik } = (await res.json()) as { processInstanceKey: string };
    started.push(pik);
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    await waitForUserTask(engine.api, { processInstanceKey: sub, elementId: 'Task_UploadCsr' });
    const requestId = await pollUntil('the request', async () => (await pool.query<{ id: number }>('SELECT id FROM requests WHERE process_instance_key = $1', [pik])).rows[0]?.id);

    const page = await signedIn(`/console/requests/${requestId}`, 'operator');
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Certificate signing request' }) });
    await section.getByText('This enrollment waits for its certificate signing request.').waitFor({ timeout: 60_000 });
    const der = csrFor(cn);
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    await section.locator('input[type="file"]').setInputFiles({ name: 'server.csr', mimeType: 'application/x-pem-file', buffer: Buffer.from(pem) });
    await section.getByRole('button', { name: 'Upload CSR', exact: true }).click();
    await section.getByText('CSR uploaded').waitFor({ timeout: 30_000 });
    await screenshot(page, 'csr-uploaded-request-page');
    await waitForUserTask(engine.api, { processInstanceKey: sub, elementId: 'Task_EditRequest' }, { timeoutMs: 60_000 });
    const done = await pollUntil('the completed upload task', async () => (await engine.api.searchUserTasks({ processInstanceKey: sub, elementId: 'Task_UploadCsr', state: 'COMPLETED' }))[0]);
    expect(done.assignee).to.equal('operator');
  });
});
