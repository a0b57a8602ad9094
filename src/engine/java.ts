/**
 * Finds a JDK that can run Camunda 8.9 (Java 21 or newer).
 *
 * The search is a pure function of its inputs (`JAVA_HOME`, the entries of the JVM folder and a
 * version probe), so unit tests cover it without touching the machine; `systemJavaSearch()`
 * supplies the real inputs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The oldest Java feature release Camunda 8.9 runs on. */
export const MIN_JAVA = 21;
/** Where Debian/Ubuntu packages (and Temurin's apt repository) install JDKs. */
export const DEFAULT_JVM_DIR = '/usr/lib/jvm';

export interface JavaInstallation {
  /** The JDK's home folder (contains bin/java); becomes the engine's JAVA_HOME. */
  home: string;
  /** Feature release, e.g. 21 or 25. */
  major: number;
  /** Where it was found. */
  source: 'JAVA_HOME' | 'jvm-dir';
}

export interface JavaSearchInputs {
  /** The value of JAVA_HOME, if set. */
  javaHome?: string;
  /** The folder scanned for JDKs (default /usr/lib/jvm); used in messages. */
  jvmDir: string;
  /** The entry names in `jvmDir` (empty when it does not exist). */
  jvmDirEntries: string[];
  /** Feature release of the JDK at `home`, or undefined when there is no usable java there. */
  probeMajor(home: string): number | undefined;
}

/** Thrown when no JDK >= 21 can be found; the message says what to install. */
export class JavaNotFoundError extends Error {
  constructor(readonly details: string[]) {
    super(
      `Camunda 8.9 needs Java ${MIN_JAVA} or newer, and none was found.\n` +
        details.map((d) => `  - ${d}\n`).join('') +
        `Install Temurin ${MIN_JAVA}+ (e.g. \`apt-get install temurin-21-jdk\` from https://packages.adoptium.net) ` +
        `or set JAVA_HOME to a JDK ${MIN_JAVA}+ home folder.`,
    );
    this.name = 'JavaNotFoundError';
  }
}

/**
 * Parses the feature release from `java -version` output or a `release` file's JAVA_VERSION:
 * `openjdk version "25.0.1" 2025-10-21` → 25, `"17.0.15"` → 17, `"1.8.0_402"` → 8, `"21"` → 21,
 * `"26-ea"` → 26.
 */
export function parseJavaMajor(text: string): number | undefined {
  const m = /(?:version|JAVA_VERSION=)\s*"(\d+)(?:\.(\d+))?[^"]*"/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  if (first === 1 && m[2] !== undefined) return Number(m[2]);
  return first;
}

/** Picks the JDK: JAVA_HOME if it is >= 21, else the newest >= 21 in the JVM folder, else throws. */
export function findJava(inputs: JavaSearchInputs): JavaInstallation {
  const details: string[] = [];
  const javaHome = inputs.javaHome?.trim();
  if (javaHome) {
    const major = inputs.probeMajor(javaHome);
    if (major !== undefined && major >= MIN_JAVA) return { home: javaHome, major, source: 'JAVA_HOME' };
    details.push(
      major === undefined
        ? `JAVA_HOME=${javaHome} has no runnable bin/java`
        : `JAVA_HOME=${javaHome} is Java ${major} (too old)`,
    );
  } else {
    details.push('JAVA_HOME is not set');
  }

  const candidates: JavaInstallation[] = [];
  const seen = new Set<string>();
  for (const entry of [...inputs.jvmDirEntries].sort()) {
    const home = path.join(inputs.jvmDir, entry);
    if (seen.has(home) || home === javaHome) continue;
    seen.add(home);
    const major = inputs.probeMajor(home);
    if (major !== undefined && major >= MIN_JAVA) candidates.push({ home, major, source: 'jvm-dir' });
  }
  if (candidates.length > 0) {
    // Newest feature release first; among equals, a stable (alphabetical) choice.
    candidates.sort((a, b) => b.major - a.major || a.home.localeCompare(b.home));
    return candidates[0]!;
  }
  details.push(
    inputs.jvmDirEntries.length === 0
      ? `${inputs.jvmDir} holds no JDK`
      : `${inputs.jvmDir} holds no JDK ${MIN_JAVA}+ (found: ${inputs.jvmDirEntries.join(', ')})`,
  );
  throw new JavaNotFoundError(details);
}

/** Reads the feature release of the JDK at `home`: its `release` file, else `bin/java -version`. */
export function probeJavaMajor(home: string): number | undefined {
  const java = path.join(home, 'bin', 'java');
  if (!fs.existsSync(java)) return undefined;
  try {
    const release = fs.readFileSync(path.join(home, 'release'), 'utf8');
    const major = parseJavaMajor(release);
    if (major !== undefined) return major;
  } catch {
    // no release file: ask the binary
  }
  try {
    // `java -version` writes to stderr; capture both.
    const out = execFileSync(java, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    return parseJavaMajor(out);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    return parseJavaMajor(`${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** The real machine's inputs: `javaHome` (the caller passes JAVA_HOME) and /usr/lib/jvm. */
export function systemJavaSearch(javaHome: string | undefined, jvmDir = DEFAULT_JVM_DIR): JavaSearchInputs {
  let entries: string[] = [];
  try {
    entries = fs
      .readdirSync(jvmDir, { withFileTypes: true })
      // Debian adds symlinks (java-1.17.0-openjdk-amd64 → java-17-openjdk-amd64); keep them, dedupe by probe.
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name);
  } catch {
    entries = [];
  }
  return { javaHome, jvmDir, jvmDirEntries: entries, probeMajor: probeJavaMajor };
}

/** Finds the JDK on this machine. */
export function locateJava(javaHome: string | undefined): JavaInstallation {
  return findJava(systemJavaSearch(javaHome));
}
