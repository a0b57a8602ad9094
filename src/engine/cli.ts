/**
 * `npm run engine:up | engine:down | engine:resolve`: start, stop, or only download the local
 * Camunda engine (8.6 with OpenSearch by default). Exits non-zero with a message that says what to do when it fails.
 */
import { loadConfig } from '../config';
import { resolveDistribution } from './distribution';
import { locateJava } from './java';
import { capabilitiesOf } from './capabilities';
import { down, up } from './local-engine';
import { resolveOpenSearch } from './opensearch';

const USAGE = 'usage: tsx src/engine/cli.ts up | down | resolve';

async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  // JAVA_HOME belongs to the machine, not to the application's settings: read it here only.
  const javaHome = config.camunda.javaHome;
  switch (command) {
    case 'up': {
      const handle = await up({ config });
      console.log(
        handle.started
          ? `[camunda] engine started (logs in ${handle.logDir}); stop it with: npm run engine:down`
          : `[camunda] engine available at ${handle.restAddress}`,
      );
      return;
    }
    case 'down':
      await down({ config });
      return;
    case 'resolve': {
      const java = locateJava(javaHome);
      console.log(`[camunda] Java ${java.major} from ${java.home}`);
      const dist = await resolveDistribution({ version: config.camunda.version, cacheDir: config.camunda.cacheDir, archive: config.camunda.distribution });
      console.log(`[camunda] ${dist.launcher}`);
      if (capabilitiesOf(dist.version).generation === '8.6') {
        const os = await resolveOpenSearch({ version: config.camunda.openSearchVersion, cacheDir: config.camunda.cacheDir });
        console.log(`[opensearch] ${os.libDir}`);
      }
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main(process.argv[2]).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\n${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
