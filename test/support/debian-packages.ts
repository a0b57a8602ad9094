/**
 * The programs the tests drive that come from Debian packages (the browser, and the stock ACME
 * and SCEP clients): present, or installed with apt-get when this process may (root, apt), or
 * the run stops saying what to install. `npm test`'s pretest calls `ensureTools()` once.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface DebianTool {
  /** What the tests use it for, for messages. */
  purpose: string;
  /** The executable the tests run. */
  executable: string;
  /** The Debian package that provides it. */
  pkg: string;
  /** Set when an environment variable chose the executable: then nothing is installed. */
  overriddenBy?: string;
}

export function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function missingTool(tool: DebianTool, why: string): Error {
  const override = tool.overriddenBy ? `, or set ${tool.overriddenBy} to another executable` : '';
  return new Error(
    `the ${tool.purpose} need ${tool.executable}, which is missing; ${why}. ` +
      `Install Debian's ${tool.pkg} (\`sudo apt-get install ${tool.pkg}\`, or \`npm run pretest\` as root)${override}.`,
  );
}

/** Why the tool cannot be installed here, or undefined when it can. */
export function cannotInstall(tool: DebianTool): string | undefined {
  if (tool.overriddenBy) return `${tool.overriddenBy} names it, so nothing is installed`;
  if (!executable('/usr/bin/apt-get')) return 'this machine has no apt-get to install it with';
  if (process.getuid?.() !== 0) return 'installing it with apt-get needs root';
  return undefined;
}

function aptGet(args: string[], tools: [DebianTool, ...DebianTool[]]): void {
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const r = spawnSync('apt-get', [...lock, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw missingTool(tools[0], `\`apt-get ${args.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status}`}):\n${output}\n`);
  }
}

/** Installs, in one apt-get run, every tool that is missing; throws when one cannot be had. */
export function ensureDebianTools(tools: DebianTool[], log: (line: string) => void = console.log): void {
  const [first, ...rest] = tools.filter((t) => !executable(t.executable));
  if (!first) return;
  const absent: [DebianTool, ...DebianTool[]] = [first, ...rest];
  for (const tool of absent) {
    const why = cannotInstall(tool);
    if (why) throw missingTool(tool, why);
  }
  const pkgs = [...new Set(absent.map((t) => t.pkg))];
  log(`[tools] missing ${absent.map((t) => t.executable).join(', ')}: installing Debian's ${pkgs.join(', ')} with apt-get (once; a minute or two)`);
  const started = Date.now();
  aptGet(['update', '-qq'], absent);
  aptGet(['install', '-y', '-qq', '--no-install-recommends', ...pkgs], absent);
  for (const tool of absent) {
    if (!executable(tool.executable)) throw missingTool(tool, `apt-get installed ${tool.pkg}, yet it is not there`);
  }
  log(`[tools] ${pkgs.join(', ')} installed in ${Math.round((Date.now() - started) / 1000)} s`);
}
