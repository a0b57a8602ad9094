/**
 * Headless Chromium for browser tests: Debian's chromium driven by playwright-core (browsers
 * cannot be downloaded here). Started once per run.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { onRunEnd } from './lifecycle';

export const CHROMIUM = '/usr/bin/chromium';

let pending: Promise<Browser> | undefined;

export function testBrowser(): Promise<Browser> {
  pending ??= (async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    onRunEnd(() => browser.close());
    return browser;
  })();
  return pending;
}
