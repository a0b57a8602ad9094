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
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // PostgreSQL stores no U+0000 in text: refused here, not as a database error (issue 15.7).
    .refine((s) => !s.includes('\0'), 'must not contain the NUL character (U+0000)');

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

/**
 * An object's id: a positive integer, or its plain decimal digits as text (a path segment).
 * `1e3`, `0x10`, ` 7`, `1.0` or `012` are refused rather than read as numbers (issue 17.20).
 */
export const objectId = z
  .union([z.number(), z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number in plain decimal digits').transform(Number)])
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));
