/**
 * `npm run options -- ...`: what the admin API does, for scripts.
 *   list
 *   set <UseCase> [--enabled on|off] [--approval-step on|off] [--approver-group G] [--approver-emails a@x,b@y]
 *   card-command <card-type> <Command> on|off
 *   group list | group add <group> <user> | group remove <group> <user>
 *   user email <user> <address>
 *   --help
 */
import os from 'node:os';
import { loadConfig } from '../config';
import { ValidationError } from '../domain/errors';
import { USE_CASES, type UseCaseOption } from '../domain/use-cases';
import { cardTypeCommands, setCardTypeCommandEnabled } from './cards';
import { failureText, openDatabase } from './database';
import { addGroupMember, listGroups, removeGroupMember, setUserEmail } from './groups';
import { assertOptionsRead, configurableUseCase, listOptions, updateOptions, type OptionsUpdate, type UseCaseOptions } from './options';

export type OptionsCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'set'; useCase: string; update: OptionsUpdate }
  | { kind: 'card-command'; cardType: string; command: string; enabled: boolean }
  | { kind: 'group-list' }
  | { kind: 'group-change'; change: 'add' | 'remove'; groupId: string; username: string }
  | { kind: 'user-email'; username: string; email: string };

/** The command-line flag of each option. */
const FLAG: Record<UseCaseOption, string> = {
  enabled: '--enabled',
  approvalStep: '--approval-step',
  approverGroup: '--approver-group',
  approverEmails: '--approver-emails',
};

/** Every use case an admin configures, with the options it reads (issue 16.5, 16.12). */
const USE_CASE_LIST = USE_CASES.map((u) => `  ${u.symbolicName.padEnd(32)} ${u.options.map((o) => FLAG[o]).join(' ')}`).join('\n');

export const USAGE = `usage:
  npm run options -- list
  npm run options -- set <UseCase> [--enabled on|off] [--approval-step on|off] [--approver-group <group>] [--approver-emails a@x,b@y]
  npm run options -- card-command <card-type> <Command> on|off
  npm run options -- group list
  npm run options -- group add|remove <group> <user>     (e.g. group add workplace-certificate-agent alice)
  npm run options -- user email <user> <address>           (where an approver is emailed, e.g. user email alice alice@example.com)
  npm run options -- --help

use cases and the options each reads:
${USE_CASE_LIST}`;

function onOff(value: string | undefined, flag: string): boolean {
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new ValidationError(`${flag} takes on or off, not '${value ?? ''}'`);
}

/** Parses the command line; throws a ValidationError with the usage on anything unexpected. */
export function parseOptionsCommand(args: string[]): OptionsCommand {
  const [verb, ...rest] = args;
  if (args.length === 1 && (verb === '--help' || verb === '-h' || verb === 'help')) return { kind: 'help' };
  if (verb === 'list' && rest.length === 0) return { kind: 'list' };
  if (verb === 'group' && rest.length === 1 && rest[0] === 'list') return { kind: 'group-list' };
  if (verb === 'group' && rest.length === 3 && (rest[0] === 'add' || rest[0] === 'remove')) {
    const [change, groupId, username] = rest as ['add' | 'remove', string, string];
    if (!/^[\w.@-]{1,100}$/.test(groupId) || !/^[\w.@-]{1,200}$/.test(username)) throw new ValidationError(`a group and a user name are letters, digits, . _ @ -\n${USAGE}`);
    return { kind: 'group-change', change, groupId, username };
  }
  if (verb === 'user' && rest.length === 3 && rest[0] === 'email') {
    const [, username, address] = rest as [string, string, string];
    if (!/^[\w.@-]{1,200}$/.test(username)) throw new ValidationError(`a user name is letters, digits, . _ @ -\n${USAGE}`);
    if (!/^[^@\s]+@[^@\s]+$/.test(address) || address.length > 254) throw new ValidationError(`'${address}' is not an email address\n${USAGE}`);
    return { kind: 'user-email', username, email: address };
  }
  if (verb === 'card-command' && rest.length === 3) return { kind: 'card-command', cardType: rest[0]!, command: rest[1]!, enabled: onOff(rest[2], 'the command') };
  if (verb === 'set' && rest.length >= 3 && rest.length % 2 === 1) {
    const [useCase, ...pairs] = rest;
    if (!USE_CASES.some((u) => u.symbolicName === useCase)) {
      throw new ValidationError(`'${useCase}' is not a use case with options\n${USAGE}`);
    }
    const update: OptionsUpdate = {};
    for (let i = 0; i < pairs.length; i += 2) {
      const [flag, value] = [pairs[i]!, pairs[i + 1]];
      if (flag === '--enabled') update.enabled = onOff(value, flag);
      else if (flag === '--approval-step') update.approvalStep = onOff(value, flag);
      else if (flag === '--approver-group') update.approverGroup = value;
      else if (flag === '--approver-emails') update.approverEmails = (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
      else throw new ValidationError(`unknown option ${flag}\n${USAGE}`);
    }
    assertOptionsRead(configurableUseCase(useCase!), Object.keys(update) as UseCaseOption[], (o) => FLAG[o]);
    return { kind: 'set', useCase: useCase!, update };
  }
  throw new ValidationError(USAGE);
}

/** One use case's options as `list` and `set` print them: only the options it reads. */
function optionsLine(o: UseCaseOptions): string {
  const reads = configurableUseCase(o.useCase).options;
  const value: Record<UseCaseOption, string> = {
    enabled: `enabled=${o.enabled ? 'on' : 'off'}`,
    approvalStep: `approval-step=${o.approvalStep ? 'on' : 'off'}`,
    approverGroup: `approver-group=${o.approverGroup}`,
    approverEmails: `approver-emails=${o.approverEmails.join(',') || '-'}`,
  };
  return reads.map((r) => value[r]).join(' ');
}

async function main(): Promise<void> {
  const command = parseOptionsCommand(process.argv.slice(2));
  if (command.kind === 'help') {
    console.log(USAGE);
    return;
  }
  const db = await openDatabase(loadConfig(), () => undefined);
  const actor = `cli:${os.userInfo().username}`;
  try {
    if (command.kind === 'list') {
      for (const o of await listOptions(db.pool)) {
        console.log(`${o.useCase.padEnd(32)} ${optionsLine(o)}`);
      }
      for (const type of ['smart-card', 'virtual-smart-card']) {
        for (const c of await cardTypeCommands(db.pool, type)) console.log(`${type}/${c.command} ${c.enabled ? 'on' : 'off'}`);
      }
    } else if (command.kind === 'set') {
      const o = await updateOptions(db.pool, command.useCase, command.update, actor);
      console.log(`${o.useCase}: ${optionsLine(o)}`);
    } else if (command.kind === 'group-list') {
      for (const g of await listGroups(db.pool)) console.log(`${g.groupId.padEnd(32)} ${g.members.join(', ')}`);
    } else if (command.kind === 'group-change') {
      const changed =
        command.change === 'add'
          ? await addGroupMember(db.pool, command.groupId, command.username, actor)
          : await removeGroupMember(db.pool, command.groupId, command.username, actor);
      console.log(`${command.groupId}: ${command.username} ${changed ? (command.change === 'add' ? 'added' : 'removed') : command.change === 'add' ? 'was already a member' : 'was not a member'}`);
    } else if (command.kind === 'user-email') {
      const changed = await setUserEmail(db.pool, command.username, command.email, actor);
      console.log(`${command.username}: ${changed ? 'emailed at' : 'was already emailed at'} ${command.email}`);
    } else {
      const c = await setCardTypeCommandEnabled(db.pool, command.cardType, command.command, command.enabled, actor);
      console.log(`${c.cardTypeId}/${c.command} ${c.enabled ? 'on' : 'off'}`);
    }
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(failureText(err));
    process.exit(err instanceof ValidationError ? 2 : 1);
  });
}
