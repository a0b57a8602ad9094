/**
 * Installing the project runs no install script it has not listed: every dependency with one is
 * approved or denied by name in package.json's "allowScripts", npm is told to refuse anything
 * else (.npmrc), and npm older than the policy refuses to install at all. Whatever phones home
 * from an install script (IBM's telemetry client behind @carbon/grid) is denied.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config';

interface LockPackage {
  version?: string;
  hasInstallScript?: boolean;
}

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  engines: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
const npmrc = fs.readFileSync(path.join(PROJECT_ROOT, '.npmrc'), 'utf8');

/** Every package of the lockfile that has an install script: name (from its path) and version. */
const withInstallScripts = Object.entries(lock.packages)
  .filter(([key, p]) => key !== '' && p.hasInstallScript)
  .map(([key, p]) => ({ name: key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), version: p.version ?? '' }));

/** The allowScripts entry that decides for name@version: a pinned "name@1.2.3" or the bare name. */
function decision(name: string, version: string): boolean | undefined {
  for (const [key, value] of Object.entries(pkg.allowScripts)) {
    const at = key.lastIndexOf('@');
    const [keyName, spec] = at > 0 ? [key.slice(0, at), key.slice(at + 1)] : [key, ''];
    if (keyName === name && (spec === '' || spec === '*' || spec.split('||').map((s) => s.trim()).includes(version))) return value;
  }
  return undefined;
}

function npmrcSetting(name: string): string | undefined {
  return npmrc.split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('#') && !l.startsWith(';')).map((l) => l.split('=')).find(([k]) => k!.trim() === name)?.[1]?.trim();
}

function installScripts(name: string): string {
  const manifest = path.join(PROJECT_ROOT, 'node_modules', name, 'package.json');
  if (!fs.existsSync(manifest)) return ''; // an optional package for another platform
  const scripts = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  return ['preinstall', 'install', 'postinstall', 'prepare'].map((s) => scripts[s] ?? '').join('\n');
}

describe('install scripts of dependencies', () => {
  it('when the lockfile has a package with an install script, then allowScripts approves or denies it', () => {
    expect(withInstallScripts.length, 'the lockfile lists packages with install scripts').to.be.greaterThan(0);
    const unreviewed = withInstallScripts.filter((p) => decision(p.name, p.version) === undefined).map((p) => `${p.name}@${p.version}`);
    expect(unreviewed, 'review them, then `npm approve-scripts <pkg>` or `npm deny-scripts <pkg>`').to.deep.equal([]);
  });

  it('then every allowScripts entry names such a package (none stale)', () => {
    const names = new Set(withInstallScripts.map((p) => p.name));
    const stale = Object.keys(pkg.allowScripts).filter((key) => !names.has(key.lastIndexOf('@') > 0 ? key.slice(0, key.lastIndexOf('@')) : key));
    expect(stale, 'remove them').to.deep.equal([]);
  });

  it('then the IBM telemetry postinstall of @carbon/grid and @carbon/layout is denied, and no approved script runs a telemetry client', () => {
    expect(decision('@carbon/grid', '')).to.equal(false);
    expect(decision('@carbon/layout', '')).to.equal(false);
    for (const p of withInstallScripts.filter((x) => decision(x.name, x.version) === true)) {
      expect(installScripts(p.name), `${p.name}'s install script`).to.not.match(/telemetry/i);
    }
    const phoning = withInstallScripts.filter((p) => /ibmtelemetry/.test(installScripts(p.name))).map((p) => p.name);
    expect(phoning.filter((name) => decision(name, '') !== false)).to.deep.equal([]);
  });

  it('then npm refuses an unreviewed install script and an npm that predates the policy', () => {
    expect(npmrcSetting('strict-allow-scripts')).to.equal('true');
    expect(npmrcSetting('engine-strict')).to.equal('true');
    expect(npmrcSetting('ignore-scripts') ?? 'false', 'approved scripts must run').to.equal('false');
    expect(pkg.engines.npm).to.equal('>=11.16.0');
  });

  it('then npm itself finds no install script pending review', function () {
    this.timeout(120_000); // npm itself starts slowly on a busy machine (30 s was exceeded under load)
    // `approve-scripts` exists from npm 11.16 on; 11.16 answers --json with a sentence, later ones with JSON.
    const out = execFileSync('npm', ['approve-scripts', '--allow-scripts-pending', '--json'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (out.startsWith('{')) expect((JSON.parse(out) as { allowScripts: unknown[] }).allowScripts).to.deep.equal([]);
    else expect(out).to.equal('No packages with unreviewed install scripts.');
  });
});
