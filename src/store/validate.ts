/** Validation at the repository edge: zod schemas, failures turned into one clear ValidationError. */
import { z } from 'zod';
import { ValidationError } from '../domain/errors';

/** Parses `input` with `schema`; on failure throws a ValidationError naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`);
  throw new ValidationError(`invalid ${what}: ${issues.join('; ')}`, issues);
}

/** Text of at most `max` characters, trimmed, not empty. */
export const text = (max: number) => z.string().trim().min(1).max(max);

/** A DNS name (RFC 1123 labels, optional leading wildcard), lower-cased. */
export const dnsName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'not a valid DNS name');

export const email = z.string().trim().max(254).email();

/** Who acts, and in which process instance: recorded with every transition. */
export const transitionContext = z
  .object({
    actor: text(100),
    processInstanceKey: z.string().regex(/^\d{1,20}$/, 'must be a process instance key').optional(),
    reason: text(2000).optional(),
  })
  .strict();
export type TransitionContext = z.input<typeof transitionContext>;

/** Paging and filters shared by every search. */
export const searchParams = z
  .object({
    state: z.string().max(100).optional(),
    text: z.string().trim().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type SearchParams = z.input<typeof searchParams>;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const objectId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
