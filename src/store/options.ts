/**
 * Use-case options: what admins switch without code or redeploy — approval step on/off,
 * approver group and addresses, enabled. Read when a process starts (spec 004 "Options").
 */
import { z } from 'zod';
import type { Queryable } from './db';
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

export async function listOptions(q: Queryable): Promise<UseCaseOptions[]> {
  return (await q.query<UseCaseOptions>(`SELECT ${SELECT} FROM use_case_options ORDER BY use_case`)).rows;
}

/** Changes some options of a use case (creating its row from the defaults if needed). */
export async function updateOptions(q: Queryable, name: string, update: OptionsUpdate, actor: string): Promise<UseCaseOptions> {
  const key = parseInput(useCase, name, 'use case');
  const u = parseInput(optionsUpdate, update, 'use-case options');
  const who = parseInput(text(100), actor, 'actor');
  const d = defaultOptions(key);
  const { rows } = await q.query<UseCaseOptions>(
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
  return rows[0]!;
}
