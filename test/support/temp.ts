/**
 * Temporary folders for tests, under the system temp dir, removed when the test process ends
 * (issue 16.13: every run left a `wpki-mail-*` folder behind). Removal is on process exit, so
 * it works in both the full run and `npm run test:unit` (which loads no root hooks), and also
 * when a test fails halfway.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  made.clear();
}

/** A fresh folder `<tmp>/<prefix>XXXXXX`, gone when the test process exits. */
export function tempDir(prefix: string): string {
  if (made.size === 0) process.once('exit', removeAll);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}
