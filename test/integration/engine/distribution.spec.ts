import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { artifactCoordinates, DistributionUnavailableError, resolveDistribution } from '../../../src/engine/distribution';

describe('engine: resolving the Camunda distribution with the real Maven', function () {
  // The first resolution on a machine downloads several hundred MB.
  this.timeout(15 * 60_000);

  it('when the configured engine (default Camunda 8.6.0, served by Maven Central) is resolved, then it yields an unpacked distribution with the launchers the local engine starts', async () => {
    const config = loadConfig();
    const dist = await resolveDistribution({ version: config.camunda.version, cacheDir: config.camunda.cacheDir, log: () => undefined });
    expect(dist.version).to.equal(config.camunda.version);
    expect(dist.home).to.equal(path.join(config.camunda.cacheDir, `camunda-zeebe-${config.camunda.version}`));
    expect(dist.launcher).to.equal(path.join(dist.home, 'bin', 'camunda'));
    // 8.6 runs broker, Tasklist and Operate as separate JVMs (src/engine/local-engine.ts); 8.8+ runs bin/camunda.
    const launchers = config.camunda.version.startsWith('8.6.') ? ['camunda', 'broker', 'tasklist', 'operate'] : ['camunda'];
    for (const l of launchers) {
      const file = path.join(dist.home, 'bin', l);
      expect(fs.existsSync(file), file).to.equal(true);
      expect(fs.statSync(file).mode & 0o111, `${file} is executable`).to.not.equal(0);
    }
  });

  it('when a version no Maven repository publishes is asked, then the error names the artifact, says it is not published, lists the fixes and falls back to no other version', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-dist-'));
    let caught: unknown;
    try {
      await resolveDistribution({ version: '8.6.999', cacheDir, log: () => undefined });
    } catch (err) {
      caught = err;
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
    expect(caught, 'resolved a version that does not exist').to.be.instanceOf(DistributionUnavailableError);
    const err = caught as DistributionUnavailableError;
    expect(err.reason, err.message).to.equal('not-published');
    expect(err.artifact).to.equal(artifactCoordinates('8.6.999'));
    expect(err.message).to.contain('the Maven repository reachable from here does not publish io.camunda:camunda-zeebe:8.6.999:tar.gz');
    expect(err.message).to.contain('settings.xml').and.contain('CAMUNDA_DISTRIBUTION').and.contain('ZEEBE_REST_ADDRESS').and.contain('camunda-docker');
    expect(err.message.replaceAll('8.6.999', ''), 'no silent fallback to another version').not.to.match(/\b8\.\d+\.\d+\b/);
  });
});
