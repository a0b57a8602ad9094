/**
 * `npm run engine:up | engine:down | engine:resolve`: start, stop, or only download the local
 * Camunda 8.9 engine. Exits non-zero with a message that says what to do when it fails.
 */
import { loadConfig } from '../config';
import { resolveDistribution } from './distribution';
import { locateJava } from './java';
import { down, up } from './local-engine';

const USAGE = 'usage: tsx src/engine/cli.ts up | down | resolve';

async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  // JAVA_HOME belongs to the machine, not to the application's settings: read it here only.
  const javaHome = config.camunda.javaHome;
  switch (command) {
    case 'up': {
      const handle = await up({ config, javaHome });
      console.log(
        handle.started
          ? `[camunda] engine started (pid ${handle.pid}); stop it with: npm run engine:down`
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
      const dist = await resolveDistribution({ version: config.camunda.version, cacheDir: config.camunda.cacheDir });
      console.log(`[camunda] ${dist.launcher}`);
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
