import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../../src/config';
import { cardTypeCommands } from '../../../src/store/cards';
import { getOptions } from '../../../src/store/options';
import { parseOptionsCommand } from '../../../src/store/options-cli';
import { isGroupMember } from '../../../src/store/groups';
import { testDatabase } from '../../support/database';

const run = promisify(execFile);

describe('npm run options (admin CLI)', () => {
  async function cli(args: string[]) {
    const { url } = await testDatabase();
    return run(path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['src/store/options-cli.ts', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: url } });
  }

  it('when an option is set from the command line, then the store has it and list shows it', async () => {
    const { pool } = await testDatabase();
    const out = await cli(['set', 'AssetsProcLockCertificate', '--approval-step', 'on', '--approver-emails', 'sec@example.com,pki@example.com']);
    expect(out.stdout).to.contain('AssetsProcLockCertificate: enabled=on approval-step=on');
    const o = await getOptions(pool, 'AssetsProcLockCertificate');
    expect(o).to.include({ approvalStep: true });
    expect(o.updatedBy).to.match(/^cli:/);
    expect(o.approverEmails).to.deep.equal(['sec@example.com', 'pki@example.com']);
    expect((await cli(['list'])).stdout).to.match(/AssetsProcLockCertificate\s+enabled=on approval-step=on/);
    await cli(['set', 'AssetsProcLockCertificate', '--approval-step', 'off', '--approver-emails', '']);
  });

  it('when a card command is switched, then it is enabled in the store', async () => {
    const { pool } = await testDatabase();
    await cli(['card-command', 'virtual-smart-card', 'VirtualSmartCardProcReactivate', 'on']);
    expect((await cardTypeCommands(pool, 'virtual-smart-card'))[0]).to.include({ enabled: true });
    await cli(['card-command', 'virtual-smart-card', 'VirtualSmartCardProcReactivate', 'off']);
    expect((await cardTypeCommands(pool, 'virtual-smart-card'))[0]).to.include({ enabled: false });
  });

  it('when an admin adds a user to the agents group, then the store says so with a history row naming the admin; removing undoes it', async () => {
    const { pool } = await testDatabase();
    expect((await cli(['group', 'add', 'workplace-certificate-agent', 'alice'])).stdout).to.contain('workplace-certificate-agent: alice added');
    expect(await isGroupMember(pool, 'workplace-certificate-agent', 'alice')).to.equal(true);
    expect((await cli(['group', 'list'])).stdout).to.match(/workplace-certificate-agent\s+agent1, agent2, alice/);
    expect((await cli(['group', 'add', 'workplace-certificate-agent', 'alice'])).stdout).to.contain('alice was already a member');
    await cli(['group', 'remove', 'workplace-certificate-agent', 'alice']);
    expect(await isGroupMember(pool, 'workplace-certificate-agent', 'alice')).to.equal(false);
    const { rows } = await pool.query<{ change: string; actor: string }>("SELECT change, actor FROM group_history WHERE username = 'alice' ORDER BY id");
    expect(rows.map((r) => r.change)).to.deep.equal(['added', 'removed']);
    expect(rows[0]!.actor).to.match(/^cli:/);
  });

  it('when the command line is wrong, then it exits 2 with the usage and changes nothing', async () => {
    try {
      await cli(['set', 'CardsProcDeactivate', '--approval-step', 'maybe']);
      expect.fail('accepted');
    } catch (e) {
      const err = e as { code: number; stderr: string };
      expect(err.code).to.equal(2);
      expect(err.stderr).to.contain('--approval-step takes on or off');
    }
    expect(() => parseOptionsCommand(['frobnicate'])).to.throw(/usage:/);
  });
});
