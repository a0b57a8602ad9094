import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../../src/config';
import { USE_CASES } from '../../../src/domain/use-cases';
import { cardTypeCommands } from '../../../src/store/cards';
import { getOptions } from '../../../src/store/options';
import { parseOptionsCommand } from '../../../src/store/options-cli';
import { isGroupMember, memberEmails } from '../../../src/store/groups';
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

  /** The stored options rows, to compare before and after a refused command. */
  async function storedOptions() {
    const { pool } = await testDatabase();
    return (await pool.query('SELECT * FROM use_case_options ORDER BY use_case')).rows;
  }

  /** Runs a command that must fail; returns its exit code and output. */
  async function refusedCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      await cli(args);
    } catch (e) {
      return e as { code: number; stdout: string; stderr: string };
    }
    return expect.fail(`accepted: ${args.join(' ')}`);
  }

  it('when an admin sets where a user is emailed, then the store has it with a history row naming the admin, and that user is emailed as a member of an approver group (issue 18.7)', async () => {
    const { pool } = await testDatabase();
    const out = await cli(['user', 'email', 'dave', 'dave@example.test']);
    expect(out.stdout).to.contain('dave: emailed at dave@example.test');
    const { rows } = await pool.query<{ email: string; actor: string }>('SELECT email, actor FROM user_email_history WHERE username = $1 ORDER BY id DESC LIMIT 1', ['dave']);
    expect(rows[0]!.email).to.equal('dave@example.test');
    expect(rows[0]!.actor).to.match(/^cli:/);
    await cli(['group', 'add', 'cli-approvers', 'dave']);
    expect(await memberEmails(pool, 'cli-approvers')).to.deep.equal(['dave@example.test']);
    expect(await memberEmails(pool, 'cli-approvers', 'dave'), 'not the requester').to.deep.equal([]);
    await cli(['group', 'remove', 'cli-approvers', 'dave']);
    expect(() => parseOptionsCommand(['user', 'email', 'dave', 'not-an-address'])).to.throw(/not an email address/);
  });

  it('when the command line is wrong, then it exits 2 with the reason and changes nothing', async () => {
    const before = await storedOptions();
    const err = await refusedCli(['set', 'CardsProcDeactivate', '--enabled', 'off', '--approval-step', 'maybe']);
    expect(err.code).to.equal(2);
    expect(err.stderr).to.contain('--approval-step takes on or off');
    // '--enabled off' came first and was valid: it must not have been saved either.
    expect(await storedOptions()).to.deep.equal(before);
    expect(() => parseOptionsCommand(['frobnicate'])).to.throw(/usage:/);
  });

  it('when a use case name is not in the catalogue, then it exits 2 listing the valid names and saves nothing (issue 16.5)', async () => {
    const before = await storedOptions();
    for (const name of ['NoSuchCase', 'CardsProcDeactivat', 'AssetsProcApprovalRequest']) {
      const err = await refusedCli(['set', name, '--approval-step', 'on']);
      expect(err.code, name).to.equal(2);
      expect(err.stderr, name).to.contain(`'${name}' is not a use case with options`);
      for (const valid of USE_CASES) expect(err.stderr, name).to.contain(valid.symbolicName);
    }
    expect(await storedOptions()).to.deep.equal(before);
  });

  it('when an option the use case does not read is set, then it exits 2 naming the options it reads and saves nothing (issue 16.5)', async () => {
    const before = await storedOptions();
    const err = await refusedCli(['set', 'AssetsProcApproval', '--approval-step', 'on']);
    expect(err.code).to.equal(2);
    expect(err.stderr.trim()).to.equal('AssetsProcApproval does not read --approval-step; its options are --enabled');
    const group = await refusedCli(['set', 'AssetsProcEnrollProfile', '--approver-group', 'someone-else']);
    expect(group.code).to.equal(2);
    expect(group.stderr).to.contain('AssetsProcEnrollProfile does not read --approver-group');
    expect(await storedOptions()).to.deep.equal(before);
  });

  it('when --help is asked, then it exits 0 with the usage and every use case with its options on stdout (issue 16.12)', async () => {
    const out = await cli(['--help']);
    expect(out.stderr).to.equal('');
    expect(out.stdout).to.contain('usage:').and.contain('npm run options -- set <UseCase>');
    expect(out.stdout).to.match(/CardsProcDeactivate\s+--enabled --approval-step --approver-group --approver-emails\n/);
    expect(out.stdout).to.match(/AssetsProcApproval\s+--enabled\n/);
    for (const u of USE_CASES) expect(out.stdout).to.contain(u.symbolicName);
  });

  it('when the options are listed, then every use case of the catalogue appears once, with only the options it reads', async () => {
    const lines = (await cli(['list'])).stdout.split('\n').filter((l) => /^[A-Z]/.test(l));
    expect(lines.map((l) => l.split(/\s+/)[0])).to.deep.equal(USE_CASES.map((u) => u.symbolicName));
    expect(lines.find((l) => l.startsWith('AssetsProcApproval '))).to.match(/^AssetsProcApproval\s+enabled=(on|off)$/);
  });
});
