import fs from 'node:fs';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { artifactCoordinates, DistributionUnavailableError, resolveDistribution } from '../../../src/engine/distribution';

describe('engine: resolving the Camunda distribution with the real Maven', function () {
  // A machine where the artifact resolves downloads several hundred MB the first time.
  this.timeout(15 * 60_000);

  it('when `resolve` runs, then it yields an unpacked bin/camunda, or (where Maven cannot get the artifact) an error that names it and says how to fix it', async () => {
    const config = loadConfig();
    const lines: string[] = [];
    let outcome: Awaited<ReturnType<typeof resolveDistribution>> | DistributionUnavailableError;
    try {
      outcome = await resolveDistribution({ version: config.camunda.version, cacheDir: config.camunda.cacheDir, log: (l) => lines.push(l) });
    } catch (err) {
      if (!(err instanceof DistributionUnavailableError)) throw err;
      outcome = err;
    }

    if (outcome instanceof DistributionUnavailableError) {
      // This build machine: its Maven repository has no Camunda 8.7+.
      const artifact = artifactCoordinates(config.camunda.version);
      expect(outcome.artifact).to.equal(artifact);
      expect(outcome.message).to.contain(artifact);
      if (outcome.reason === 'not-published') {
        expect(outcome.message).to.contain('the Maven repository reachable from here does not publish');
      }
      expect(outcome.message).to.contain('settings.xml');
      expect(outcome.message).to.contain('ZEEBE_REST_ADDRESS');
      expect(outcome.message).to.contain('camunda-docker');
      expect(outcome.message, 'no silent fallback to another version').not.to.match(/8\.[0-8]\.\d/);
    } else {
      expect(fs.existsSync(outcome.launcher), outcome.launcher).to.equal(true);
      expect(outcome.home).to.contain(`camunda-zeebe-${config.camunda.version}`);
    }
  });
});
