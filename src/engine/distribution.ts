/**
 * Resolves the Camunda distribution `io.camunda:camunda-zeebe:<version>:tar.gz` through Maven
 * (so a Maven mirror or settings.xml applies) — or takes the archive the user names (a local
 * path or an http(s) URL, e.g. 8.9 from Camunda's GitHub releases) — and unpacks it into
 * `<cacheDir>/camunda-zeebe-<version>`; an unpacked copy is reused.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface MavenResult {
  /** Exit code; -1 when Maven could not be started (e.g. not installed). */
  code: number;
  /** stdout + stderr. */
  output: string;
}

export type MavenRunner = (args: string[]) => Promise<MavenResult>;
export type Unpacker = (archive: string, intoDir: string) => Promise<void>;

export interface DistributionOptions {
  /** Camunda patch release, e.g. 8.6.0. */
  version: string;
  /** A camunda-zeebe tar.gz to use instead of Maven: a local path or an http(s) URL. */
  archive?: string;
  /** Folder that holds downloads and unpacked distributions. */
  cacheDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Runs `mvn` with the given arguments (injectable for tests). */
  runMaven?: MavenRunner;
  /** Unpacks a .tar.gz (injectable for tests). */
  unpack?: Unpacker;
}

export interface Distribution {
  version: string;
  /** The unpacked distribution (contains bin/camunda, config/, lib/). */
  home: string;
  /** bin/camunda. */
  launcher: string;
  /** True when an already unpacked copy was used. */
  reused: boolean;
}

/** Maven coordinates of the distribution. */
export function artifactCoordinates(version: string): string {
  return `io.camunda:camunda-zeebe:${version}:tar.gz`;
}

/** Where the distribution is unpacked. */
export function distributionHome(cacheDir: string, version: string): string {
  return path.join(cacheDir, `camunda-zeebe-${version}`);
}

/** Thrown when the distribution cannot be obtained; the message says why and what to do. */
export class DistributionUnavailableError extends Error {
  constructor(
    message: string,
    readonly artifact: string,
    readonly reason: 'not-published' | 'maven-missing' | 'maven-failed' | 'bad-archive',
  ) {
    super(message);
    this.name = 'DistributionUnavailableError';
  }
}

const REMEDIES = (version: string): string =>
  'To fix it, do one of:\n' +
  `  - make the artifact resolvable: point Maven at a repository that has it (a mirror in ~/.m2/settings.xml, ` +
  `or install the file: mvn install:install-file -DgroupId=io.camunda -DartifactId=camunda-zeebe ` +
  `-Dversion=${version} -Dpackaging=tar.gz -Dfile=camunda-zeebe-${version}.tar.gz);\n` +
  '  - name an archive you have: CAMUNDA_DISTRIBUTION=<path or URL of camunda-zeebe-<version>.tar.gz> with CAMUNDA_VERSION=<version>;\n' +
  '  - use an existing Camunda cluster: set ZEEBE_REST_ADDRESS (and ZEEBE_GRPC_ADDRESS, CAMUNDA_AUTH_STRATEGY, ' +
  'CAMUNDA_BASIC_AUTH_USERNAME/PASSWORD) so no local engine is started;\n' +
  '  - on a machine with Docker: docker compose -f camunda-docker/docker-compose.yaml up -d, ' +
  'then set ZEEBE_REST_ADDRESS=http://localhost:8080.';

/** Lines from Maven's output that say why it failed (ERROR lines, without the generic help). */
function mavenReason(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter((l) => /^\[ERROR\]\s*\S/.test(l))
    .map((l) => l.replace(/^\[ERROR\]\s*/, ''))
    .filter((l) => !/^(-> \[Help|To see the full stack|Re-run Maven|For more information|\[Help 1\])/.test(l));
  return (lines[0] ?? output.trim().split(/\r?\n/).slice(-3).join(' ')).slice(0, 600);
}

/** Turns a failed Maven run into the error the user sees. Pure: unit-tested. */
export function describeMavenFailure(version: string, result: MavenResult): DistributionUnavailableError {
  const artifact = artifactCoordinates(version);
  if (result.code === -1) {
    return new DistributionUnavailableError(
      `Cannot resolve ${artifact}: Maven (mvn) could not be started (${result.output.trim() || 'not installed?'}). ` +
        `Install Maven (apt-get install maven).\n${REMEDIES(version)}`,
      artifact,
      'maven-missing',
    );
  }
  const notFound =
    /could not find artifact|unable to find artifact|was not found in|not found in .*during a previous attempt|failure to find/i.test(
      result.output,
    );
  if (notFound) {
    return new DistributionUnavailableError(
      `Camunda ${version} is not available on this machine: the Maven repository reachable from here does not publish ` +
        `${artifact}.\n  Maven said: ${mavenReason(result.output)}\n${REMEDIES(version)}`,
      artifact,
      'not-published',
    );
  }
  return new DistributionUnavailableError(
    `Maven failed to resolve ${artifact} (exit code ${result.code}).\n  Maven said: ${mavenReason(result.output)}\n${REMEDIES(version)}`,
    artifact,
    'maven-failed',
  );
}

/** Runs the real `mvn`. */
export const runMaven: MavenRunner = (args) =>
  new Promise((resolve) => {
    let output = '';
    let child;
    try {
      child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: -1, output: (err as Error).message });
      return;
    }
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => resolve({ code: -1, output: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });

/** Unpacks with the system `tar`. */
export const untar: Unpacker = (archive, intoDir) =>
  new Promise((resolve, reject) => {
    const child = spawn('tar', ['-xzf', archive, '-C', intoDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${err.trim()}`))));
  });

/** Downloads `url` to `file` (via a temporary name, so a broken download leaves nothing behind). */
async function download(url: string, file: string, log: (line: string) => void): Promise<void> {
  log(`[camunda] downloading ${url} ...`);
  const res = await fetch(url);
  if (!res.ok || !res.body) {
    throw new DistributionUnavailableError(`Could not download ${url}: HTTP ${res.status}`, url, 'maven-failed');
  }
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, Buffer.from(await res.arrayBuffer()));
  fs.renameSync(partial, file);
}

/** Finds the folder holding bin/camunda inside an unpacked archive (the archive's top folder, or the root). */
function findDistributionRoot(dir: string): string | undefined {
  if (fs.existsSync(path.join(dir, 'bin', 'camunda'))) return dir;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'bin', 'camunda'))) {
      return path.join(dir, entry.name);
    }
  }
  return undefined;
}

/** Resolves and unpacks the distribution, or reuses the unpacked copy. */
export async function resolveDistribution(options: DistributionOptions): Promise<Distribution> {
  const { version, cacheDir, log = console.log, runMaven: mvn = runMaven, unpack = untar, archive: named } = options;
  const home = distributionHome(cacheDir, version);
  const launcher = path.join(home, 'bin', 'camunda');
  if (fs.existsSync(launcher)) {
    log(`[camunda] using Camunda ${version} from ${home}`);
    return { version, home, launcher, reused: true };
  }

  const artifact = artifactCoordinates(version);
  const downloadDir = path.join(cacheDir, 'downloads');
  fs.mkdirSync(downloadDir, { recursive: true });
  let archive = path.join(downloadDir, `camunda-zeebe-${version}.tar.gz`);
  if (named && /^https?:\/\//.test(named)) {
    if (!fs.existsSync(archive)) await download(named, archive, log);
  } else if (named) {
    if (!fs.existsSync(named)) {
      throw new DistributionUnavailableError(`CAMUNDA_DISTRIBUTION names ${named}, which does not exist`, named, 'bad-archive');
    }
    archive = named;
  } else if (!fs.existsSync(archive)) {
    log(`[camunda] resolving ${artifact} with Maven into ${downloadDir} (first time: a download of several hundred MB) ...`);
    const started = Date.now();
    const result = await mvn([
      '-B',
      '-q',
      // -U: re-check remote repositories, so a mirror added after a failed attempt is used.
      '-U',
      'dependency:copy',
      `-Dartifact=${artifact}`,
      `-DoutputDirectory=${downloadDir}`,
    ]);
    if (result.code !== 0 || !fs.existsSync(archive)) {
      if (result.code === 0) {
        throw new DistributionUnavailableError(
          `Maven reported success but ${archive} is missing.\n${REMEDIES(version)}`,
          artifact,
          'maven-failed',
        );
      }
      throw describeMavenFailure(version, result);
    }
    log(`[camunda] downloaded ${path.basename(archive)} in ${Math.round((Date.now() - started) / 1000)} s`);
  }

  log(`[camunda] unpacking ${path.basename(archive)} into ${home} ...`);
  const staging = fs.mkdtempSync(path.join(cacheDir, `.unpack-${version}-`));
  try {
    await unpack(archive, staging);
    const root = findDistributionRoot(staging);
    if (!root) {
      throw new DistributionUnavailableError(
        `${archive} does not contain bin/camunda; delete it and run \`npm run engine:resolve\` again.`,
        artifact,
        'bad-archive',
      );
    }
    fs.rmSync(home, { recursive: true, force: true });
    fs.renameSync(root, home);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  fs.chmodSync(launcher, 0o755);
  log(`[camunda] Camunda ${version} ready in ${home}`);
  return { version, home, launcher, reused: false };
}
