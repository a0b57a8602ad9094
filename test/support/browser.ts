/**
 * Headless Chromium for browser tests: Debian's chromium driven by playwright-core (browsers
 * cannot be downloaded here). The one place that knows where the browser is: `CHROMIUM_PATH`,
 * else Debian's `/usr/bin/chromium`. `npm test` first runs `ensureBrowser()` (the `pretest`
 * script), which installs Debian's chromium with apt-get when it is missing and it may (root, apt),
 * and otherwise stops with what to do. Started once per run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { onRunEnd } from './lifecycle';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM = process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function missing(why: string): Error {
  return new Error(
    `the browser tests need Chromium at ${CHROMIUM}, which is missing; ${why}. ` +
      'Install Debian\'s chromium (`sudo apt-get install chromium`, or `npm run pretest` as root), ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  );
}

/** Why Debian's chromium cannot be installed here, or undefined when it can. */
function cannotInstall(): string | undefined {
  if (CHROMIUM !== DEBIAN_CHROMIUM) return 'CHROMIUM_PATH names it, so nothing is installed';
  if (!executable('/usr/bin/apt-get')) return 'this machine has no apt-get to install it with';
  if (process.getuid?.() !== 0) return 'installing it with apt-get needs root';
  return undefined;
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw missing(`\`${command} ${args.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status}`}):\n${output}\n`);
  }
}

/** Makes sure the browser is there; installs Debian's chromium when it is missing and it may. */
export function ensureBrowser(log: (line: string) => void = console.log): void {
  if (executable(CHROMIUM)) return;
  const why = cannotInstall();
  if (why) throw missing(why);
  log(`[browser] ${CHROMIUM} is missing: installing Debian's chromium with apt-get (once; a minute or two)`);
  const started = Date.now();
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  run('apt-get', [...lock, 'update', '-qq']);
  run('apt-get', [...lock, 'install', '-y', '-qq', 'chromium']);
  if (!executable(CHROMIUM)) throw missing('apt-get installed chromium, yet it is not there');
  const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();
  log(`[browser] ${version} installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

let pending: Promise<Browser> | undefined;

export function testBrowser(): Promise<Browser> {
  pending ??= (async () => {
    if (!executable(CHROMIUM)) throw missing(cannotInstall() ?? '`npm test` installs it before the run');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    onRunEnd(() => browser.close());
    return browser;
  })();
  return pending;
}
