/**
 * A test run leaves nothing of its own in the system temp dir (issue 16.13: every run left a
 * `wpki-mail-*` folder). The unit suite and the mail transport spec run in a child mocha whose
 * temp dir (TMPDIR) is a fresh folder; afterwards no `wpki-*` entry may remain in it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config';

describe('test runs and the system temp dir (issue 16.13)', function () {
  this.timeout(5 * 60_000);

  it('when the unit suite and the mail transport spec have run, then no wpki-* folder of theirs is left in the temp dir', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-tmpdir-check-'));
    try {
      const run = spawnSync(
        path.join(PROJECT_ROOT, 'node_modules/.bin/mocha'),
        ['--no-config', '--require', 'tsx/cjs', '--require', 'test/support/hooks.ts', '--timeout', '60000', '--reporter', 'dot', 'test/unit/**/*.spec.ts', 'test/integration/mail-transport.spec.ts'],
        { cwd: PROJECT_ROOT, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const output = `${run.stdout}${run.stderr}`;
      expect(output, 'the child run ran tests').to.match(/\d+ passing/);
      const left = fs.readdirSync(tmp).filter((f) => f.startsWith('wpki-'));
      expect(left, `left in the temp dir:\n${output.slice(-2000)}`).to.deep.equal([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
