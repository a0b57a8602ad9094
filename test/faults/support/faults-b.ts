/**
 * Shared by faults-b's specs (engine restart, database outage, races, bad input; issue 15.2, 15.3,
 * 15.6, 15.7): a certificate the built-in CA really issued, the API called as a Camunda user, and
 * the row counts that a refusal must leave as they were.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import { toCaProfile } from '../../../src/ca/store-profile';
import { createCertificate } from '../../../src/store/certificates';
import { aProfile, actor } from '../../integration/store/fixtures';
import type { TestApi } from '../../support/api';

/** A Valid certificate, issued by the CA and stored, on a client-auth profile. */
export async function anIssuedCertificate(pool: Pool, ca: BuiltinCa, over: { revocationApprovalRequired?: boolean; cardId?: number } = {}) {
  const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], revocationApprovalRequired: over.revocationApprovalRequired ?? false });
  const cn = `holder-${crypto.randomBytes(4).toString('hex')}`;
  const issued = await ca.issueFromCsr({
    idempotencyKey: `faults-${cn}`,
    csr: buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName: cn }),
    profile: toCaProfile(profile),
  });
  const cert = await createCertificate(
    pool,
    { state: 'Valid', profileId: profile.id, subject: issued.subject, serial: issued.serialNumber, pem: issued.certificatePem, ...(over.cardId ? { cardId: over.cardId } : {}) },
    actor,
  );
  return { profile, cert };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
}

/** Calls the API as `user` (a demo user: password = name) with a JSON body, or a raw one (string). */
export async function callApi<T = Record<string, unknown>>(api: TestApi, method: string, url: string, user: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const raw = typeof body === 'string' || body instanceof Uint8Array;
  const res = await fetch(`${api.base}${url}`, {
    method,
    headers: {
      ...(user ? api.basic(user) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed as T, text };
}

/**
 * Row counts of the tables an API call or a use case writes to, compared before and after a
 * refusal. Not the history, job effects or outbox: instances of earlier suites may still write there.
 */
export async function rowCounts(pool: Pool): Promise<Record<string, number>> {
  const tables = ['assets', 'certificate_profiles', 'certificates', 'requests', 'cards', 'card_relations', 'secret_links', 'use_case_runs', 'use_case_options', 'option_history', 'group_members', 'ca_certificates'];
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const exists = await pool.query('SELECT to_regclass($1) AS r', [t]);
    if (!exists.rows[0].r) continue;
    counts[t] = Number((await pool.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n);
  }
  return counts;
}
