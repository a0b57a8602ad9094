import { loadConfig } from '../../../src/config';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { findJava, JavaNotFoundError, locateJava, MIN_JAVA, parseJavaMajor, probeJavaMajor, type JavaSearchInputs } from '../../../src/engine/java';

function inputs(javaHome: string | undefined, versions: Record<string, number | undefined>, jvmDir = '/usr/lib/jvm'): JavaSearchInputs {
  return {
    javaHome,
    jvmDir,
    jvmDirEntries: Object.keys(versions)
      .filter((home) => home.startsWith(`${jvmDir}/`))
      .map((home) => path.basename(home)),
    probeMajor: (home) => versions[home],
  };
}

describe('engine: finding a JDK for Camunda 8.9', () => {
  describe('parseJavaMajor', () => {
    it('when given java -version output or a release file, then it returns the feature release', () => {
      expect(parseJavaMajor('openjdk version "25.0.1" 2025-10-21 LTS')).to.equal(25);
      expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).to.equal(17);
      expect(parseJavaMajor('java version "1.8.0_402"')).to.equal(8);
      expect(parseJavaMajor('openjdk version "21" 2023-09-19')).to.equal(21);
      expect(parseJavaMajor('openjdk version "26-ea" 2026-03-17')).to.equal(26);
      expect(parseJavaMajor('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="21.0.5"\n')).to.equal(21);
      expect(parseJavaMajor('no version here')).to.equal(undefined);
    });
  });

  describe('findJava', () => {
    it('when JAVA_HOME is a JDK 21+, then it is used even if a newer one is installed', () => {
      const java = findJava(inputs('/opt/jdk21', { '/opt/jdk21': 21, '/usr/lib/jvm/temurin-25-jdk-amd64': 25 }));
      expect(java).to.deep.equal({ home: '/opt/jdk21', major: 21, source: 'JAVA_HOME' });
    });

    it('when JAVA_HOME is too old, then the newest JDK 21+ under /usr/lib/jvm is used', () => {
      const java = findJava(
        inputs('/usr/lib/jvm/java-17-openjdk-amd64', {
          '/usr/lib/jvm/java-17-openjdk-amd64': 17,
          '/usr/lib/jvm/temurin-21-jdk-amd64': 21,
          '/usr/lib/jvm/temurin-25-jdk-amd64': 25,
        }),
      );
      expect(java).to.deep.equal({ home: '/usr/lib/jvm/temurin-25-jdk-amd64', major: 25, source: 'jvm-dir' });
    });

    it('when JAVA_HOME is unset and the machine is like this one (default java 17, Temurin 25), then Temurin 25 is used', () => {
      const java = findJava(
        inputs(undefined, {
          '/usr/lib/jvm/java-1.17.0-openjdk-amd64': 17,
          '/usr/lib/jvm/java-17-openjdk-amd64': 17,
          '/usr/lib/jvm/openjdk-17': undefined,
          '/usr/lib/jvm/temurin-25-jdk-amd64': 25,
        }),
      );
      expect(java.home).to.equal('/usr/lib/jvm/temurin-25-jdk-amd64');
      expect(java.major).to.equal(25);
    });

    it('when no JDK 21+ exists, then it throws an error that says what to install and mentions JAVA_HOME', () => {
      let caught: unknown;
      try {
        findJava(inputs('/opt/broken', { '/opt/broken': undefined, '/usr/lib/jvm/java-17-openjdk-amd64': 17 }));
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(JavaNotFoundError);
      const message = (caught as Error).message;
      expect(message).to.contain(`Camunda 8.9 needs Java ${MIN_JAVA} or newer`);
      expect(message).to.contain('apt-get install temurin-21-jdk');
      expect(message).to.contain('JAVA_HOME=/opt/broken has no runnable bin/java');
      expect(message).to.contain('java-17-openjdk-amd64');
    });

    it('when the JVM folder is missing or empty, then the error says so', () => {
      expect(() => findJava(inputs(undefined, {}))).to.throw(JavaNotFoundError, '/usr/lib/jvm holds no JDK');
    });
  });

  describe('on this machine', () => {
    // The local engine needs a JDK 21+ (README, prerequisites): a machine without one fails here,
    // with the error that says what to install, rather than passing.
    it('when searching the real system, then a JDK 21+ with a runnable bin/java is found and its version is the one probed', () => {
      const java = locateJava(loadConfig().camunda.javaHome);
      expect(java.major).to.be.at.least(MIN_JAVA);
      expect(fs.existsSync(path.join(java.home, 'bin', 'java'))).to.equal(true);
      expect(probeJavaMajor(java.home)).to.equal(java.major);
    });
  });
});
