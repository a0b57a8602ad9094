/**
 * Use-case options: what admins switch without code or redeploy — approval step on/off,
 * approver group and addresses, enabled. Read when a process starts (spec 004 "Options").
 */
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../domain/errors';
import { USE_CASES, type UseCaseDefinition, type UseCaseOption } from '../domain/use-cases';
import { atomically, type Queryable } from './db';
import { recordOptionChange } from './option-history';
import { email, parseInput, text } from './validate';

export interface UseCaseOptions {
  useCase: string;
  enabled: boolean;
  approvalStep: boolean;
  approverGroup: string;
  approverEmails: string[];
  updatedBy: string | null;
  updatedAt: Date | null;
}

const SELECT = `use_case AS "useCase", enabled, approval_step AS "approvalStep", approver_group AS "approverGroup",
  approver_emails AS "approverEmails", updated_by AS "updatedBy", updated_at AS "updatedAt"`;

const useCase = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,99}$/, 'must be a use-case symbolic name');

export const optionsUpdate = z
  .object({
    enabled: z.boolean().optional(),
    approvalStep: z.boolean().optional(),
    approverGroup: text(100).optional(),
    approverEmails: z.array(email).max(50).optional(),
  })
  .strict();
export type OptionsUpdate = z.input<typeof optionsUpdate>;

/**
 * The use case `name` as an admin configures it. A name outside the catalogue (a typo, a
 * sub-process) is refused with the valid names, rather than saved and never read (issue 16.5).
 * @throws NotFoundError listing the use cases
 */
export function configurableUseCase(name: string): UseCaseDefinition {
  const found = USE_CASES.find((u) => u.symbolicName === name);
  if (!found) {
    throw new NotFoundError(
      'use case',
      name,
      `the use cases with options are ${USE_CASES.map((u) => u.symbolicName).join(', ')} (a sub-process takes the options of the use case that calls it)`,
    );
  }
  return found;
}

/**
 * Refuses options the use case does not read (e.g. an approval step on AssetsProcApproval, which
 * is the approval). `label` names an option as the caller spells it (`--approval-step` on the
 * command line).
 * @throws ValidationError naming each refused option and the ones the use case reads
 */
export function assertOptionsRead(useCase: UseCaseDefinition, given: readonly UseCaseOption[], label: (o: UseCaseOption) => string = (o) => o): void {
  const unread = given.filter((o) => !useCase.options.includes(o));
  if (unread.length === 0) return;
  const issues = unread.map((o) => `${label(o)}: ${useCase.symbolicName} does not read this option`);
  throw new ValidationError(
    `${useCase.symbolicName} does not read ${unread.map(label).join(', ')}; its options are ${useCase.options.map(label).join(', ')}`,
    issues,
  );
}

/** The defaults of a use case nobody has configured. */
export function defaultOptions(name: string): UseCaseOptions {
  return {
    useCase: name,
    enabled: true,
    approvalStep: false,
    approverGroup: 'workplace-certificate-agent',
    approverEmails: [],
    updatedBy: null,
    updatedAt: null,
  };
}

export async function getOptions(q: Queryable, name: string): Promise<UseCaseOptions> {
  const key = parseInput(useCase, name, 'use case');
  const { rows } = await q.query<UseCaseOptions>(`SELECT ${SELECT} FROM use_case_options WHERE use_case = $1`, [key]);
  return rows[0] ?? defaultOptions(key);
}

/** The options of every configurable use case, in the catalogue's order (defaults where none is stored). */
export async function listOptions(q: Queryable): Promise<UseCaseOptions[]> {
  const stored = new Map((await q.query<UseCaseOptions>(`SELECT ${SELECT} FROM use_case_options`)).rows.map((o) => [o.useCase, o]));
  return USE_CASES.map((u) => stored.get(u.symbolicName) ?? defaultOptions(u.symbolicName));
}

/**
 * Changes some options of a use case (creating its row from the defaults if needed), with a
 * row in the option history when a value changed (issue 17.10).
 * @throws NotFoundError when `name` is not a configurable use case; ValidationError for an
 *   option it does not read or a bad value
 */
export async function updateOptions(q: Queryable, name: string, update: OptionsUpdate, actor: string): Promise<UseCaseOptions> {
  const key = parseInput(useCase, name, 'use case');
  const definition = configurableUseCase(key);
  const u = parseInput(optionsUpdate, update, 'use-case options');
  assertOptionsRead(definition, (Object.keys(u) as UseCaseOption[]).filter((k) => u[k] !== undefined));
  const who = parseInput(text(100), actor, 'actor');
  const d = defaultOptions(key);
  return atomically(q, async (tx) => {
    // Locked when it exists, so the history's "before" is what this change replaced; none yet means the defaults.
    const stored = (await tx.query<UseCaseOptions>(`SELECT ${SELECT} FROM use_case_options WHERE use_case = $1 FOR UPDATE`, [key])).rows[0];
    const { rows } = await tx.query<UseCaseOptions>(
      `INSERT INTO use_case_options (use_case, enabled, approval_step, approver_group, approver_emails, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (use_case) DO UPDATE SET
         enabled = COALESCE($7, use_case_options.enabled),
         approval_step = COALESCE($8, use_case_options.approval_step),
         approver_group = COALESCE($9, use_case_options.approver_group),
         approver_emails = COALESCE($10, use_case_options.approver_emails),
         updated_by = $6, updated_at = now()
       RETURNING ${SELECT}`,
      [key, u.enabled ?? d.enabled, u.approvalStep ?? d.approvalStep, u.approverGroup ?? d.approverGroup,
        u.approverEmails ?? d.approverEmails, who,
        u.enabled ?? null, u.approvalStep ?? null, u.approverGroup ?? null, u.approverEmails ?? null],
    );
    const after = rows[0]!;
    await recordOptionChange(tx, { kind: 'use case option', key, before: optionValues(stored ?? d), after: optionValues(after), actor: who });
    return after;
  });
}

/** What an admin switches, without who and when: the values a history row compares. */
function optionValues(o: UseCaseOptions): Record<UseCaseOption, unknown> {
  return { enabled: o.enabled, approvalStep: o.approvalStep, approverGroup: o.approverGroup, approverEmails: o.approverEmails };
}
