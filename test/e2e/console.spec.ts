/**
 * The operator and admin console (issue 13) in a real browser (headless Chromium), against the
 * real application (createApp: its API, its console, the run's database and CA) — without an
 * engine: sign-in is a fixed user directory (as in the API suites) and nothing here starts a
 * process. The engine scenarios are in console-engine.spec.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { Caller } from '../../src/api/identity';
import { buildCsr } from '../../src/ca/csr-builder';
import { createAsset } from '../../src/store/assets';
import { addCardRelation, createCard } from '../../src/store/cards';
import { createCertificate } from '../../src/store/certificates';
import { updateOptions } from '../../src/store/options';
import { createRequest, transitionRequest } from '../../src/store/requests';
import { createSecretLink, redeemSecretLink } from '../../src/store/secret-links';
import { ecProfile, jobKey, testCa, type TestCa } from '../integration/ca/support';
import { aCard, actor, aProfile } from '../integration/store/fixtures';
import { consolePage, notFoundOn, screenshot, signIn } from '../support/console';
import { serveTestApp, type TestApp } from '../support/test-app';

const person = (username: string, isAdmin = false): Caller => ({
  username,
  displayName: username,
  email: `${username}@example.test`,
  roles: [],
  // The operator acts on cards that are not hers: a registration authority, as the demo operator (issue 17.11).
  groups: isAdmin ? ['workplace-pki-admin'] : ['workplace-registration-authority'],
  isAdmin,
});
/** user = password, as the demo users. */
const USERS: Record<string, Caller> = { operator: person('operator'), demo: person('demo', true) };

describe('Console in a browser: find, object page, requests, certificates, one-time links, admin (no engine)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let base: string;
  let t: TestCa;
  const pages: Page[] = [];

  before(async () => {
    t = await testCa();
    app = await serveTestApp({ users: USERS, tasklistUrl: 'http://tasklist.invalid/tasklist' });
    base = app.base;
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.context().close();
  });
  after(async () => {
    await app.close();
  });

  async function open(path: string, user?: string): Promise<Page> {
    const page = await consolePage(`${base}${path}`);
    pages.push(page);
    if (user) await signIn(page, user, user);
    return page;
  }

  it('when the password is wrong, then the sign-in says so in words and the console stays closed', async () => {
    const page = await open('/console/');
    await page.getByLabel('User name').fill('operator');
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The user name or password was not accepted').waitFor();
    await screenshot(page, 'sign-in');
    expect(await page.getByRole('navigation', { name: 'Console pages' }).count()).to.equal(0);
  });

  it('when an operator searches cards by text and state, then the matches come a page at a time and each links to its object', async () => {
    const tag = `PG${crypto.randomBytes(3).toString('hex')}`;
    for (let i = 0; i < 12; i++) await createCard(t.db.pool, { cardTypeId: 'smart-card', serialNumber: `${tag}-${String(i).padStart(2, '0')}`, holderName: `Holder ${i}` }, actor);
    const page = await open('/console/find', 'operator');
    await page.getByLabel('Find', { exact: true }).selectOption('cards');
    await page.getByRole('searchbox').fill(tag);
    await page.getByLabel('State').selectOption('active');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('12 found').waitFor();
    const rows = page.getByRole('table', { name: 'Cards' }).locator('tbody tr');
    expect(await rows.count()).to.equal(10);
    await screenshot(page, 'find');
    await page.getByRole('button', { name: /next page/i }).click();
    await page.getByText(`${tag}-00`).waitFor(); // newest first: the first two made are on page 2
    expect(await rows.count()).to.equal(2);
    expect(await rows.allInnerTexts()).to.satisfy((r: string[]) => r.every((x) => x.includes(tag)));

    // Inactive: none of them.
    await page.getByLabel('State').selectOption('inactive');
    await page.getByText('0 found').waitFor();
    await page.getByText('Nothing found').waitFor();
  });

  it('when an operator opens a card, then its attributes, state, relations as links, history and use cases show; an unavailable one says why', async () => {
    const card = await aCard(t.db.pool, 'virtual-smart-card');
    const profile = await aProfile(t.db.pool);
    const cert = await createCertificate(t.db.pool, { state: 'Valid', profileId: profile.id, cardId: card.id, subject: 'CN=vsc-holder' }, actor);
    await addCardRelation(t.db.pool, card.id, { relatedType: 'certificate', relatedId: String(cert.id) }, actor);
    await addCardRelation(t.db.pool, card.id, { relatedType: 'user', relatedId: 'alice' }, actor);

    const page = await open(`/console/virtual-smart-cards/${card.id}`, 'operator');
    await page.getByRole('heading', { name: `Virtual smart card ${card.id}: ${card.serialNumber}` }).waitFor();
    const attributes = page.getByRole('table', { name: 'Attributes' }).or(page.locator('[aria-label="Attributes"]'));
    expect(await attributes.innerText()).to.contain('Alice Example').and.contain('virtual-smart-card');
    expect(await page.getByRole('table', { name: 'History' }).innerText()).to.contain('test-suite').and.contain('active');
    // Use cases: deactivation is offered; reactivation is not, with the reason.
    expect(await page.getByRole('button', { name: 'Deactivate card' }).isEnabled()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Reactivate virtual smart card' }).isDisabled()).to.equal(true);
    await page.getByText(/Not available: Reactivate virtual smart card is not enabled for virtual-smart-card/).waitFor();
    await screenshot(page, 'object');

    // An admin disables deactivation: the page says so after a reload.
    await updateOptions(t.db.pool, 'CardsProcDeactivate', { enabled: false }, 'demo');
    try {
      await page.reload();
      await page.getByText('Not available: Deactivate card is disabled by an admin').waitFor();
      expect(await page.getByRole('button', { name: 'Deactivate card' }).isDisabled()).to.equal(true);
    } finally {
      await updateOptions(t.db.pool, 'CardsProcDeactivate', { enabled: true }, 'demo');
    }

    // Relations are links: the certificate's page, and from there back to the card.
    await page.getByRole('table', { name: 'Relations' }).getByRole('link', { name: `Certificate ${cert.id}` }).first().click();
    await page.getByRole('heading', { name: `Certificate ${cert.id}: CN=vsc-holder` }).waitFor();
    expect(new URL(page.url()).pathname).to.equal(`/console/certificates/${cert.id}`);
    await page.getByRole('link', { name: `Card ${card.id}` }).click();
    await page.getByRole('heading', { name: new RegExp(`^Card ${card.id}:`) }).waitFor();
    // Nothing the pages load is missing; the tab icon is served (headless Chromium does not ask for it).
    expect(notFoundOn(page)).to.deep.equal([]);
    const icon = await fetch(new URL((await page.locator('link[rel="icon"]').getAttribute('href'))!, base));
    expect([icon.status, icon.headers.get('content-type')]).to.deep.equal([200, 'image/svg+xml; charset=utf-8']);
  });

  it('when an operator starts Enroll profile on an asset without choosing a profile, then the dialog says what is missing and nothing starts', async () => {
    const asset = await createAsset(t.db.pool, { name: `console-${crypto.randomBytes(3).toString('hex')}`, dnsNames: ['console.example.com'] }, actor);
    const profile = await aProfile(t.db.pool, { protocol: 'P10' });
    const page = await open(`/console/assets/${asset.id}`, 'operator');
    await page.getByRole('button', { name: 'Enroll profile', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Certificate profile to enroll').locator(`option[value="${profile.id}"]`).waitFor({ state: 'attached' });
    await dialog.getByRole('button', { name: 'Start enroll profile' }).click();
    await dialog.getByText('Choose the certificate profile to enroll.').waitFor();
    // Escape closes it, as every dialog.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('when an operator opens the certificates page and downloads an issued certificate as PEM, then the file is the certificate; the CRL link answers', async () => {
    const profile = await aProfile(t.db.pool, { keyAlgorithm: 'EC', minKeySize: 256 });
    const csr = buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: 'console.example.com', dnsNames: ['console.example.com'] });
    const issued = await t.ca.issueFromCsr({ idempotencyKey: jobKey(), csr, profile: ecProfile });
    const cert = await createCertificate(t.db.pool, { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem }, actor);

    const page = await open(`/console/certificates?text=${issued.serialNumber}`, 'operator');
    await page.getByText('1 found').waitFor();
    await screenshot(page, 'certificates');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download certificate ${cert.id} as PEM` }).click()]);
    expect(fs.readFileSync((await download.path())!, 'utf8').trim()).to.equal(issued.certificatePem.trim());
    const [der] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download certificate ${cert.id} as DER` }).click()]);
    expect(der.suggestedFilename()).to.match(/\.cer$/);
    const crl = await fetch(`${base}${await page.getByRole('link', { name: 'CRL (PEM)' }).getAttribute('href')}`);
    expect(await crl.text()).to.contain('BEGIN X509 CRL');
  });

  it('when an operator deletes an undecided request on the requests page, then it is gone from the store and the list', async () => {
    const profile = await aProfile(t.db.pool);
    const cert = await createCertificate(t.db.pool, { state: 'Valid', profileId: profile.id, subject: 'CN=to-lock' }, actor);
    const request = await createRequest(t.db.pool, { type: 'lock', useCase: 'AssetsProcLockCertificate', requester: 'operator', certificateId: cert.id, profileId: profile.id }, actor);
    await transitionRequest(t.db.pool, request.id, 'Requested', actor);

    const page = await open('/console/requests', 'operator');
    const button = page.getByRole('button', { name: `Delete request ${request.id}` });
    await button.waitFor();
    await screenshot(page, 'requests');
    await button.click();
    // A lock request creates no certificate: the dialog says nothing of revoking one (issue 18.3).
    expect(await page.getByRole('dialog').getByText('Its certificate ends too').count()).to.equal(0);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText(`Request ${request.id} was deleted`).waitFor();
    await button.waitFor({ state: 'detached' });
    const { rows } = await t.db.pool.query('SELECT 1 FROM requests WHERE id = $1', [request.id]);
    expect(rows).to.have.length(0);
  });

  it('when an operator is about to delete an enrollment request, then the dialog says its certificate ends too, revoked if issued already; Cancel deletes nothing (issue 18.3)', async () => {
    const profile = await aProfile(t.db.pool, { protocol: 'P12' });
    const request = await createRequest(t.db.pool, { type: 'enrollment', useCase: 'AssetsProcEnrollProfile', requester: 'operator', profileId: profile.id }, actor);
    await transitionRequest(t.db.pool, request.id, 'Requested', actor);
    const page = await open('/console/requests', 'operator');
    const button = page.getByRole('button', { name: `Delete request ${request.id}` });
    await button.waitFor();
    await button.click();
    await page.getByRole('dialog').getByText('revoked at the CA if it was issued already').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
    expect((await t.db.pool.query('SELECT 1 FROM requests WHERE id = $1', [request.id])).rows).to.have.length(1);
  });

  it('when a non-admin signs in, then there is no admin page for them and the admin API answers 403 to their calls', async () => {
    const page = await open('/console/find', 'operator');
    expect(await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Admin' }).count()).to.equal(0);
    await page.goto(`${base}/console/admin`);
    await page.getByText('operator is not an admin').waitFor();
    expect(await page.getByRole('button', { name: /Save .* options/ }).count()).to.equal(0);
    // The console's own calls, with the signed-in operator's credentials.
    const statuses = await page.evaluate(async () => {
      const authorization = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('workplace-pki-console.credentials') ?? '';
      const get = await fetch('/api/admin/options', { headers: { authorization } });
      const put = await fetch('/api/admin/options/CardsProcDeactivate', { method: 'PUT', headers: { authorization, 'content-type': 'application/json' }, body: '{"approvalStep":true}' });
      return [get.status, put.status];
    });
    expect(statuses).to.deep.equal([403, 403]);
  });

  it('when an admin switches on the approval step for deactivation, then the store has it, the change is recorded with the admin and shown in its history', async () => {
    await updateOptions(t.db.pool, 'CardsProcDeactivate', { approvalStep: false }, 'test-suite');
    const page = await open('/console/admin', 'demo');
    const tile = page.locator('#options-CardsProcDeactivate');
    await tile.getByText('Approval step').first().waitFor();
    // Keyboard: the switch takes Space.
    await tile.getByRole('switch', { name: 'Approval step' }).focus();
    await page.keyboard.press('Space');
    await tile.getByRole('button', { name: 'Save deactivate card options' }).click();
    await tile.getByText('Saved by demo').waitFor();
    await tile.getByRole('button', { name: 'Changes' }).click();
    // Newest first; the run's database holds other suites' changes of the same option.
    const newest = tile.getByRole('table', { name: 'Changes' }).getByRole('row').nth(1);
    await newest.getByRole('cell', { name: 'approvalStep: false → true', exact: true }).waitFor();
    expect(await newest.getByRole('cell').nth(1).textContent()).to.equal('demo');
    await screenshot(page, 'admin');

    const { rows } = await t.db.pool.query<{ approval_step: boolean }>("SELECT approval_step FROM use_case_options WHERE use_case = 'CardsProcDeactivate'");
    expect(rows[0]!.approval_step).to.equal(true);
    const history = await t.db.pool.query<{ actor: string; after: { approvalStep: boolean } }>(
      "SELECT actor, after FROM option_history WHERE key = 'CardsProcDeactivate' ORDER BY at DESC LIMIT 1",
    );
    expect(history.rows[0]).to.deep.include({ actor: 'demo' });
    expect(history.rows[0]!.after.approvalStep).to.equal(true);
    await updateOptions(t.db.pool, 'CardsProcDeactivate', { approvalStep: false }, 'test-suite');
  });

  it('when a one-time link is opened, then it is shown once; opened again it shows its used-up page with who used it', async () => {
    const link = await createSecretLink(t.db.pool, t.masterKey, {
      kind: 'scep-challenge',
      subjectRef: 'certificate:42',
      owner: 'operator',
      ttlMinutes: 5,
      payload: { registrationId: 'r-1', challengePassword: 'open-sesame-42' },
    });
    // A browser that follows the link from a form, not signed in, lands on the console's page for it.
    const page = await open(`/api/secret-links/${link.id}`);
    expect(new URL(page.url()).pathname).to.equal(`/console/secret-links/${link.id}`);
    await signIn(page, 'operator', 'operator');
    await page.getByRole('button', { name: 'Show the challenge password' }).click();
    await page.getByText('open-sesame-42').first().waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'This one-time link has been used' }).waitFor();
    expect(await page.getByText('open-sesame-42').count()).to.equal(0);
    await page.getByText(/to operator from/).waitFor();
    await screenshot(page, 'secret-link-used');

    // One used elsewhere (the API), and one another person's: clear words, no secret.
    const other = await createSecretLink(t.db.pool, t.masterKey, { kind: 'scep-challenge', subjectRef: 'certificate:43', owner: 'operator', ttlMinutes: 5, payload: { registrationId: 'r-2', challengePassword: 'x' } });
    await redeemSecretLink(t.db.pool, t.masterKey, other.id, { username: 'operator', from: '192.0.2.7' });
    await page.goto(`${base}/console/secret-links/${other.id}`);
    await page.getByText(/to operator from 192\.0\.2\.7/).waitFor();
    const foreign = await createSecretLink(t.db.pool, t.masterKey, { kind: 'scep-challenge', subjectRef: 'certificate:44', owner: 'agent1', ttlMinutes: 5, payload: { registrationId: 'r-3', challengePassword: 'y' } });
    await page.goto(`${base}/console/secret-links/${foreign.id}`);
    await page.getByText('No such link for you').waitFor();
  });
});
