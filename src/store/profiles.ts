/** Certificate profiles (spec 000, 002): protocol, key rules, validity, domain policy, approvals. */
import { z } from 'zod';
import { hasDomainPolicy } from '../ca/dns-policy';
import { NotFoundError } from '../domain/errors';
import { profileMachine, type ProfileState } from '../domain/states';
import { assertInitial } from '../domain/transitions';
import { atomically, type Queryable } from './db';
import { searchTable } from './search';
import { applyTransition, recordCreation } from './transition';
import { email, objectId, parseInput, text, type Page, type SearchParams, type TransitionContext } from './validate';

export const PROTOCOLS = ['P10', 'P12', 'ACME', 'SCEP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface CertificateProfile {
  id: number;
  name: string;
  description: string | null;
  protocol: Protocol;
  keyAlgorithm: 'RSA' | 'EC';
  minKeySize: number;
  validityDays: number;
  subjectTemplate: string;
  extendedKeyUsage: string[];
  /**
   * Domain policy: every DNS name must be under one of these suffixes. Empty: no DNS names at all;
   * a profile that issues TLS server certificates must have one (issue 17.12).
   */
  allowedDnsSuffixes: string[];
  enrollmentApprovalRequired: boolean;
  revocationApprovalRequired: boolean;
  approverGroup: string;
  approverEmails: string[];
  state: ProfileState;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = `id, name, description, protocol, key_algorithm AS "keyAlgorithm", min_key_size AS "minKeySize",
  validity_days AS "validityDays", subject_template AS "subjectTemplate", extended_key_usage AS "extendedKeyUsage",
  allowed_dns_suffixes AS "allowedDnsSuffixes", enrollment_approval_required AS "enrollmentApprovalRequired",
  revocation_approval_required AS "revocationApprovalRequired", approver_group AS "approverGroup",
  approver_emails AS "approverEmails", state, created_at AS "createdAt", updated_at AS "updatedAt"`;

const suffix = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'not a valid DNS suffix');

export const newProfile = z
  .object({
    name: text(200),
    description: text(2000).optional(),
    protocol: z.enum(PROTOCOLS),
    keyAlgorithm: z.enum(['RSA', 'EC']),
    minKeySize: z.number().int().min(256).max(16384),
    validityDays: z.number().int().min(1).max(3650),
    // A DN with {placeholders}, e.g. 'CN={commonName},O=Example Corp,C=SE' (see src/ca/store-profile.ts).
    subjectTemplate: text(500).regex(
      /^\s*(CN|O|OU|L|ST|C)\s*=[^,=]*(,\s*(CN|O|OU|L|ST|C)\s*=[^,=]*)*$/i,
      'must read like CN={commonName},O=Example Corp,C=SE (attributes CN, O, OU, L, ST, C)',
    ),
    extendedKeyUsage: z.array(z.enum(['serverAuth', 'clientAuth'])).max(2).default(['serverAuth']),
    allowedDnsSuffixes: z.array(suffix).max(50).default([]),
    enrollmentApprovalRequired: z.boolean().default(false),
    revocationApprovalRequired: z.boolean().default(false),
    approverGroup: text(100).default('workplace-certificate-agent'),
    approverEmails: z.array(email).max(50).default([]),
    state: z.string().default('Active'),
  })
  .strict()
  .refine((p) => p.keyAlgorithm !== 'RSA' || (p.minKeySize >= 2048 && p.minKeySize <= 8192), {
    message: 'RSA profiles need a minimum key size between 2048 and 8192 bits',
    path: ['minKeySize'],
  })
  .refine((p) => p.keyAlgorithm !== 'EC' || [256, 384].includes(p.minKeySize), {
    message: 'EC profiles take a curve size of 256 (P-256) or 384 (P-384) bits',
    path: ['minKeySize'],
  })
  // No extended key usage means every purpose, so TLS server authentication too (issue 17.12).
  .refine((p) => !(p.extendedKeyUsage.length === 0 || p.extendedKeyUsage.includes('serverAuth')) || p.allowedDnsSuffixes.length > 0, {
    message: 'a profile that issues TLS server certificates (serverAuth, or no extended key usage) needs a domain policy: at least one allowed DNS suffix',
    path: ['allowedDnsSuffixes'],
  })
  // ACME binds an account to DNS names; without a policy none is allowed, so it could never register (issue 18.4).
  .refine((p) => p.protocol !== 'ACME' || p.allowedDnsSuffixes.length > 0, {
    message: 'an ACME profile needs a domain policy: ACME registers DNS names, and a profile without allowed DNS suffixes issues none',
    path: ['allowedDnsSuffixes'],
  });
export type NewProfile = z.input<typeof newProfile>;

export async function createProfile(q: Queryable, input: NewProfile, ctx: TransitionContext): Promise<CertificateProfile> {
  const p = parseInput(newProfile, input, 'certificate profile');
  const state = assertInitial(profileMachine, p.state);
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO certificate_profiles (name, description, protocol, key_algorithm, min_key_size, validity_days,
         subject_template, extended_key_usage, allowed_dns_suffixes, enrollment_approval_required,
         revocation_approval_required, approver_group, approver_emails, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
      [p.name, p.description ?? null, p.protocol, p.keyAlgorithm, p.minKeySize, p.validityDays, p.subjectTemplate,
        p.extendedKeyUsage, p.allowedDnsSuffixes, p.enrollmentApprovalRequired, p.revocationApprovalRequired,
        p.approverGroup, p.approverEmails, state],
    );
    const id = rows[0]!.id;
    await recordCreation(tx, profileMachine, id, state, ctx);
    return getProfile(tx, id);
  });
}

export async function getProfile(q: Queryable, id: number): Promise<CertificateProfile> {
  const key = parseInput(objectId, id, 'certificate profile id');
  const { rows } = await q.query<CertificateProfile>(`SELECT ${SELECT} FROM certificate_profiles WHERE id = $1`, [key]);
  if (!rows[0]) throw new NotFoundError('certificate profile', key);
  return rows[0];
}

export function searchProfiles(q: Queryable, params?: SearchParams): Promise<Page<CertificateProfile>> {
  return searchTable<CertificateProfile>(
    q,
    { table: 'certificate_profiles', select: SELECT, textColumns: ['name', 'description', 'protocol'], machine: profileMachine },
    params,
  );
}

export async function transitionProfile(q: Queryable, id: number, to: string, ctx: TransitionContext): Promise<CertificateProfile> {
  return atomically(q, async (tx) => {
    await applyTransition(tx, { table: 'certificate_profiles', machine: profileMachine, id: parseInput(objectId, id, 'certificate profile id'), to, ctx });
    return getProfile(tx, id);
  });
}

/**
 * Why a profile cannot be enrolled whatever is entered, or undefined. An ACME profile without a
 * domain policy (one stored before profiles were checked for it) would dead-end: ACME binds an
 * account to DNS names, and a profile without a policy issues none (issue 17.12), so no
 * registration could ever succeed (issue 18.4). The API refuses to start it (409) and the
 * process's first step refuses it, on the profile's history.
 */
export function enrollmentBlocker(profile: Pick<CertificateProfile, 'name' | 'protocol' | 'allowedDnsSuffixes'>): string | undefined {
  if (profile.protocol === 'ACME' && !hasDomainPolicy(profile)) {
    return `certificate profile ${profile.name} (ACME) has no domain policy: an ACME registration is for DNS names, and a profile without allowed DNS suffixes issues none; an admin sets the profile's domain policy first`;
  }
  return undefined;
}
