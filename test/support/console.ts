/**
 * Driving the operator and admin console (issue 13) in the run's headless Chromium: sign in with
 * the form, keyboard only, and keep a screenshot of a page as a test artifact
 * (test-artifacts/console/<name>.png, git-ignored) for a reviewer who runs nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config';
import { testBrowser } from './browser';

export const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts', 'console');

/** A fresh browser context (no sign-in kept) on the console's page at `url`. */
const failedRequests = new WeakMap<Page, string[]>();

/** The addresses that answered 404 to the page so far (a missing script, style, font or icon). */
export function notFoundOn(page: Page): string[] {
  return [...(failedRequests.get(page) ?? [])];
}

export async function consolePage(url: string): Promise<Page> {
  const browser = await testBrowser();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  failedRequests.set(page, []);
  page.on('response', (res) => {
    if (res.status() === 404) failedRequests.get(page)!.push(res.url());
  });
  await page.goto(url);
  return page;
}

/** Signs in with the console's form using only the keyboard; waits for the navigation to show. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('User name').waitFor({ timeout: 30_000 });
  await page.getByLabel('User name').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor({ timeout: 30_000 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Opens a Tasklist task from the link the console showed, signs in to Tasklist as `user` in the
 * same browser and waits until the task is there (Tasklist shows a task a few seconds after
 * the engine created it); resolves with Tasklist's page.
 */
export async function openInTasklist(from: Page, taskUrl: string, user: string, password: string): Promise<Page> {
  const page = await from.context().newPage();
  await page.goto(taskUrl);
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Login' }).click();
  await page.getByText('All open tasks').first().waitFor({ timeout: 30_000 });
  const deadline = Date.now() + 90_000;
  for (;;) {
    await page.goto(taskUrl);
    // A task assigned to its requester shows "Unassign"; an unassigned one "Assign to me".
    const there = await page
      .getByRole('button', { name: /^(Assign to me|Unassign)$/ })
      .first()
      .waitFor({ state: 'visible', timeout: 8_000 })
      .then(() => true)
      .catch(() => false);
    if (there) return page;
    if (Date.now() > deadline) throw new Error(`Tasklist did not show ${taskUrl} within 90 s`);
  }
}

/**
 * After each test of a browser suite: on a failure, leaves what each page showed (a screenshot
 * named `<prefix>-<i>` and its text) and the API's last log lines for the reader of the run; then
 * closes the pages.
 */
export async function closePages(failed: boolean, pages: Page[], apiLog: readonly string[], prefix: string): Promise<void> {
  if (failed) {
    for (const [i, p] of pages.entries()) {
      await screenshot(p, `${prefix}-${i}`).catch(() => undefined);
      console.log(`      page ${i} ${p.url()}: ${(await p.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
    }
    console.log(apiLog.slice(-40).map((l) => `      ${l}`).join('\n'));
  }
  for (const p of pages.splice(0)) await p.context().close();
}
