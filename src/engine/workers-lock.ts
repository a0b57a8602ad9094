/**
 * One set of workers per local engine. Two applications (say `npm start` and `npm test`) on one
 * engine with different databases take each other's jobs: each job then fails in a database
 * that does not know its request. So whoever runs workers on the local engine holds
 * `DATA_DIR/engine/workers.lock` (its pid and what it is); a second one is refused with who
 * holds it. A lock whose process is gone is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { enginePaths } from './local-engine';

export class WorkersLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkersLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the lock for `owner` (e.g. "npm start"); returns its release. Throws when someone alive holds it. */
export function claimWorkers(dataDir: string, owner: string): () => void {
  const file = path.join(enginePaths(dataDir).dir, 'workers.lock');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, owner, since: new Date().toISOString() }), { flag: 'wx' });
      const release = () => {
        try {
          const held = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number };
          if (held.pid === process.pid) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let held: { pid?: number; owner?: string; since?: string } = {};
      try {
        held = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof held;
      } catch {
        // unreadable: treat as stale
      }
      if (held.pid !== undefined && held.pid !== process.pid && alive(held.pid)) {
        throw new WorkersLockedError(
          `${held.owner ?? 'another process'} (pid ${held.pid}, since ${held.since ?? '?'}) already runs job workers on the local engine; ` +
            `two sets of workers with different databases would take each other's jobs. Stop it first (${file}).`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new WorkersLockedError(`Could not take ${file}`);
}
