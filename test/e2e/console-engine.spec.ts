/**
 * The console (issue 13) with the engine, in a real browser: the API and console of the run
 * (real sign-in through the engine, real process starts) with the application's workers.
 * An operator starts use cases from the console and is led to Tasklist; an admin's option
 * changes what the next start does. Outcomes are checked in the store and the engine.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { Pool } from 'pg';
import { demoUser } from '../../src/engine/identity';
import { pollUntil, waitForProcessInstanceState, waitForUserTask } from '../../src/engine/user-tasks';
import { createAsset } from '../../src/store/assets';
import { addCardRelation, getCard } from '../../src/store/cards';
import { updateOptions } from '../../src/store/options';
import { testApi, type TestApi } from '../support/api';
import { appEngine } from '../support/app-engine';
import { closePages, consolePage, openInTasklist, screenshot, signIn } from '../support/console';
import type { TestEngine } from '../support/engine';
import { taskDriver } from '../support/task-driver';
import { testCa } from '../integration/ca/support';
import { aCard, actor, aProfile } from '../integration/store/fixtures';

describe('Console in a browser with the engine: start a use case, follow it to Tasklist, options take effect', function () {
  this.timeout(300_000);
  let engine: TestEngine;
  let api: TestApi;
  let pool: Pool;
  const pages: Page[] = [];

  before(async function () {
    engine = await appEngine(this);
    api = await testApi();
    pool = (await testCa()).db.pool;
  });
  afterEach(async function () {
    await closePages(this.currentTest?.state === 'failed', pages, api.logLines, 'failed');
  });

  const { complete, child } = taskDriver(() => engine);

  async function signedIn(path: string, user: string): Promise<Page> {
    const page = await consolePage(`${api.base}${path}`);
    pages.push(page);
    await signIn(page, user, demoUser(user).password);
    return page;
  }

  /** Starts the use case `label` from the object page; resolves with the process instance key the console shows. */
  async function startFromConsole(page: Page, label: string): Promise<string> {
    await page.getByRole('button', { name: label, exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: `Start ${label.toLowerCase()}` }).click();
    const heading = await page.getByRole('heading', { name: new RegExp(`^${label}: process \\d+$`) }).innerText({ timeout: 30_000 });
    return /process (\d+)$/.exec(heading)![1]!;
  }

  /** The console's link to the caller's next task, once it shows; resolves with its address. */
  async function nextStepLink(page: Page, taskName: string): Promise<string> {
    await page.getByText(`Next step for you: ${taskName}`).waitFor({ timeout: 90_000 });
    return (await page.getByRole('link', { name: `Open “${taskName}” in Tasklist` }).getAttribute('href'))!;
  }

  it('when an operator finds a card and deactivates it from the console, then Tasklist has the confirmation and, once confirmed there, the card is inactive', async () => {
    const card = await aCard(pool);
    await addCardRelation(pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);
    const page = await signedIn('/console/find?in=cards', 'operator');
    await page.getByRole('searchbox').fill(card.serialNumber);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: `Card ${card.id}` }).click();
    await page.getByRole('heading', { name: `Card ${card.id}: ${card.serialNumber}` }).waitFor();

    const pik = await startFromConsole(page, 'Deactivate card');
    const href = await nextStepLink(page, 'Deactivate card');
    const task = await waitForUserTask(engine.api, { processInstanceKey: pik, elementId: 'Task_ConfirmDeactivate' });
    expect(href).to.equal(`${engine.config.camunda.tasklistUrl}/${task.userTaskKey}`);
    await screenshot(page, 'object-started');

    // In Tasklist, as a person does it: assign, choose, complete.
    const tasklist = await openInTasklist(page, href, 'operator', demoUser('operator').password);
    // The model assigns the confirmation to its requester; assign it only if Tasklist shows it unassigned.
    const assign = tasklist.getByRole('button', { name: 'Assign to me' });
    if (await assign.isVisible()) await assign.click();
    await tasklist.getByRole('button', { name: 'Unassign' }).waitFor({ timeout: 30_000 });
    await tasklist.locator('.fjs-container').getByText('Deactivate the card', { exact: true }).click();
    await tasklist.getByRole('button', { name: 'Complete Task' }).click();
    await tasklist.getByText(/Task completed/i).first().waitFor({ timeout: 30_000 });

    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED', { timeoutMs: 60_000 });
    expect((await getCard(pool, card.id)).state).to.equal('inactive');
    // The console follows: done, and the card's page shows its new state and who changed it.
    await page.getByText('Done: the process has completed.').waitFor({ timeout: 60_000 });
    await page.reload();
    await page.getByRole('table', { name: 'History' }).getByText('inactive').first().waitFor();
    expect(await page.getByRole('button', { name: 'Deactivate card' }).isDisabled()).to.equal(true);
  });

  it('when an operator starts a P10 enrollment on an asset, then the console asks for the profile and leads to the "Upload CSR" task in Tasklist', async () => {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: false });
    const name = `web-${crypto.randomBytes(3).toString('hex')}`;
    const asset = await createAsset(pool, { name, commonName: `${name}.corp.example.com`, dnsNames: [`${name}.corp.example.com`] }, actor);
    const page = await signedIn(`/console/assets/${asset.id}`, 'operator');
    await page.getByRole('button', { name: 'Enroll profile', exact: true }).click();
    const dialog = page.getByRole('dialog');
    // Without a profile it does not start, and says why.
    await dialog.getByRole('button', { name: 'Start enroll profile' }).click();
    await dialog.getByText('Choose the certificate profile to enroll.').waitFor();
    await dialog.getByLabel('Certificate profile to enroll').selectOption(String(profile.id));
    await dialog.getByRole('button', { name: 'Start enroll profile' }).click();
    const pik = /process (\d+)$/.exec(await page.getByRole('heading', { name: /^Enroll profile: process \d+$/ }).innerText({ timeout: 30_000 }))![1]!;

    const href = await nextStepLink(page, 'Upload CSR');
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    const task = await waitForUserTask(engine.api, { processInstanceKey: sub, elementId: 'Task_UploadCsr' });
    expect(href).to.equal(`${engine.config.camunda.tasklistUrl}/${task.userTaskKey}`);
    await screenshot(page, 'enrollment-started');
    // Someone who neither started it nor is a registration authority or an admin is told nothing about it.
    const progress = (user: string) => fetch(`${api.base}/api/processes/${pik}`, { headers: api.basic(user, demoUser(user).password) });
    expect((await progress('agent2')).status).to.equal(404);
    expect(((await (await progress('operator')).json()) as { tasks: Array<{ name: string }> }).tasks.map((t) => t.name)).to.include('Upload CSR');
    const tasklist = await openInTasklist(page, href, 'operator', demoUser('operator').password);
    await tasklist.getByText(/Upload CSR/).first().waitFor({ timeout: 30_000 });
    await engine.clients.rest.cancelProcessInstance({ processInstanceKey: pik }).catch(() => undefined);
  });

  it('when an admin enables the approval step for deactivation in the console, then the next deactivation waits for an agent and its request is open', async () => {
    const admin = await signedIn('/console/admin', 'demo');
    const tile = admin.locator('#options-CardsProcDeactivate');
    const toggle = tile.getByRole('switch', { name: 'Approval step' });
    await toggle.waitFor();
    if ((await toggle.getAttribute('aria-checked')) !== 'true') await toggle.click({ force: true });
    await tile.getByRole('button', { name: 'Save deactivate card options' }).click();
    await tile.getByText('Saved by demo').waitFor();
    try {
      const card = await aCard(pool);
      const page = await signedIn(`/console/cards/${card.id}`, 'operator');
      const pik = await startFromConsole(page, 'Deactivate card');
      await nextStepLink(page, 'Deactivate card');
      await complete(pik, 'Task_ConfirmDeactivate', 'operator', { nextAction: 'next' });

      // The console now says who it waits for; the card is still active, its request open.
      await page.getByText('Waiting for “Approve request” by a member of workplace-certificate-agent.').waitFor({ timeout: 90_000 });
      await screenshot(page, 'waiting-for-agent');
      expect((await getCard(pool, card.id)).state).to.equal('active');
      const request = await pollUntil('the deactivation request', async () =>
        (await pool.query<{ id: number; state: string }>("SELECT id, state FROM requests WHERE card_id = $1 AND state = 'Requested'", [card.id])).rows[0],
      );
      await page.goto(`${api.base}/console/requests`);
      await page.getByRole('button', { name: `Delete request ${request.id}` }).waitFor();
      await engine.clients.rest.cancelProcessInstance({ processInstanceKey: pik }).catch(() => undefined);
    } finally {
      await updateOptions(pool, 'CardsProcDeactivate', { approvalStep: false }, 'demo');
    }
  });
});
