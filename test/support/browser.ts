/**
 * Headless Chromium for browser tests: Debian's chromium driven by playwright-core (browsers
 * cannot be downloaded here). The one place that knows where the browser is: `CHROMIUM_PATH`,
 * else Debian's `/usr/bin/chromium`. `npm test`'s pretest (`ensure-tools.ts`) installs Debian's
 * chromium with apt-get when it is missing and it may (root, apt), and otherwise stops with what
 * to do. Started once per run.
 */
import { chromium, type Browser } from 'playwright-core';
import { cannotInstall, ensureDebianTools, executable, missingTool, type DebianTool } from './debian-packages';
import { onRunEnd } from './lifecycle';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM = process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;

export const CHROMIUM_TOOL: DebianTool = {
  purpose: 'browser tests',
  executable: CHROMIUM,
  pkg: 'chromium',
  overriddenBy: process.env.CHROMIUM_PATH ? 'CHROMIUM_PATH' : undefined,
};

/** Makes sure the browser is there; installs Debian's chromium when it is missing and it may. */
export function ensureBrowser(log: (line: string) => void = console.log): void {
  ensureDebianTools([CHROMIUM_TOOL], log);
}

let pending: Promise<Browser> | undefined;

export function testBrowser(): Promise<Browser> {
  pending ??= (async () => {
    if (!executable(CHROMIUM)) throw missingTool(CHROMIUM_TOOL, cannotInstall(CHROMIUM_TOOL) ?? '`npm test` installs it before the run');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    onRunEnd(() => browser.close());
    return browser;
  })();
  return pending;
}
