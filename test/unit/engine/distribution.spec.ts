import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  artifactCoordinates,
  describeMavenFailure,
  distributionHome,
  DistributionUnavailableError,
  resolveDistribution,
  type MavenRunner,
} from '../../../src/engine/distribution';

// What Maven printed on this build machine, whose repository has no Camunda 8.7+.
const NOT_FOUND_OUTPUT = `[ERROR] Failed to execute goal org.apache.maven.plugins:maven-dependency-plugin:2.8:copy (default-cli) on project standalone-pom: Unable to find artifact. Could not find artifact io.camunda:camunda-zeebe:tar.gz:8.9.21 in central (https://repo.maven.apache.org/maven2)
[ERROR]
[ERROR] Try downloading the file manually from the project website.
[ERROR] -> [Help 1]`;

describe('engine: resolving the Camunda distribution', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-dist-'));
  });
  afterEach(() => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('when Maven cannot find the artifact, then the error names it, says the reachable repository does not publish it, and lists the fixes', () => {
    const err = describeMavenFailure('8.9.21', { code: 1, output: NOT_FOUND_OUTPUT });
    expect(err).to.be.instanceOf(DistributionUnavailableError);
    expect(err.reason).to.equal('not-published');
    expect(err.artifact).to.equal('io.camunda:camunda-zeebe:8.9.21:tar.gz');
    expect(err.message).to.contain('the Maven repository reachable from here does not publish io.camunda:camunda-zeebe:8.9.21:tar.gz');
    expect(err.message).to.contain('Could not find artifact io.camunda:camunda-zeebe:tar.gz:8.9.21 in central');
    expect(err.message).to.contain('settings.xml');
    expect(err.message).to.contain('mvn install:install-file');
    expect(err.message).to.contain('ZEEBE_REST_ADDRESS');
    expect(err.message).to.contain('camunda-docker/docker-compose.yaml');
    expect(err.message).not.to.contain('[Help 1]');
  });

  it('when Maven fails for another reason, then the error says Maven failed and quotes it', () => {
    const err = describeMavenFailure('8.9.21', { code: 1, output: '[ERROR] Could not transfer artifact ...: Connection refused' });
    expect(err.reason).to.equal('maven-failed');
    expect(err.message).to.contain('Maven failed to resolve io.camunda:camunda-zeebe:8.9.21:tar.gz (exit code 1)');
    expect(err.message).to.contain('Connection refused');
  });

  it('when mvn is not installed, then the error says to install Maven', () => {
    const err = describeMavenFailure('8.9.21', { code: -1, output: 'spawn mvn ENOENT' });
    expect(err.reason).to.equal('maven-missing');
    expect(err.message).to.contain('apt-get install maven');
  });

  it('when resolving, then Maven copies exactly io.camunda:camunda-zeebe:<version>:tar.gz, re-checking remote repositories', async () => {
    const calls: string[][] = [];
    const mvn: MavenRunner = async (args) => {
      calls.push(args);
      return { code: 1, output: NOT_FOUND_OUTPUT };
    };
    let caught: unknown;
    try {
      await resolveDistribution({ version: '8.9.21', cacheDir, runMaven: mvn, log: () => undefined });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(DistributionUnavailableError);
    expect(calls).to.have.length(1);
    expect(calls[0]).to.include.members(['-B', '-U', 'dependency:copy', `-Dartifact=${artifactCoordinates('8.9.21')}`]);
    expect(calls[0]).to.include(`-DoutputDirectory=${path.join(cacheDir, 'downloads')}`);
  });

  it('when Maven delivers the archive, then it is unpacked into <cacheDir>/camunda-zeebe-<version> and reused the next time without Maven', async () => {
    let mavenRuns = 0;
    const mvn: MavenRunner = async (args) => {
      mavenRuns++;
      const out = args.find((a) => a.startsWith('-DoutputDirectory='))!.split('=')[1]!;
      fs.writeFileSync(path.join(out, 'camunda-zeebe-8.9.21.tar.gz'), 'fake');
      return { code: 0, output: '' };
    };
    const unpack = async (_archive: string, into: string) => {
      fs.mkdirSync(path.join(into, 'camunda-zeebe-8.9.21', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(into, 'camunda-zeebe-8.9.21', 'bin', 'camunda'), '#!/bin/sh\n');
    };
    const lines: string[] = [];
    const first = await resolveDistribution({ version: '8.9.21', cacheDir, runMaven: mvn, unpack, log: (l) => lines.push(l) });
    expect(first.reused).to.equal(false);
    expect(first.home).to.equal(distributionHome(cacheDir, '8.9.21'));
    expect(fs.existsSync(first.launcher)).to.equal(true);
    expect(lines.join('\n')).to.contain('resolving io.camunda:camunda-zeebe:8.9.21:tar.gz');
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('.unpack'))).to.deep.equal([]);

    const second = await resolveDistribution({ version: '8.9.21', cacheDir, runMaven: mvn, unpack, log: () => undefined });
    expect(second.reused).to.equal(true);
    expect(mavenRuns).to.equal(1);
  });

  it('when the archive holds no bin/camunda, then it says so and leaves no half-unpacked distribution', async () => {
    const mvn: MavenRunner = async (args) => {
      const out = args.find((a) => a.startsWith('-DoutputDirectory='))!.split('=')[1]!;
      fs.writeFileSync(path.join(out, 'camunda-zeebe-8.9.21.tar.gz'), 'fake');
      return { code: 0, output: '' };
    };
    const unpack = async (_archive: string, into: string) => {
      fs.mkdirSync(path.join(into, 'something-else'), { recursive: true });
    };
    let caught: unknown;
    try {
      await resolveDistribution({ version: '8.9.21', cacheDir, runMaven: mvn, unpack, log: () => undefined });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(DistributionUnavailableError);
    expect((caught as DistributionUnavailableError).reason).to.equal('bad-archive');
    expect(fs.existsSync(distributionHome(cacheDir, '8.9.21'))).to.equal(false);
  });
});
