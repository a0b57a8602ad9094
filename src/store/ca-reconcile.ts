/**
 * Reconciliation of the store's certificate objects with the CA's own status (issue 18.12): the
 * direction ca-orphans.ts does not cover. Every certificate object the store has in use or
 * revoked ('Valid', 'Certificate hold', a revocation state) is held against what the CA says of
 * its serial, and each difference is settled, through the store's state machine and with a
 * history row naming who ran it and what was found:
 *
 * | store              | CA                | settled by                                                     |
 * | ------------------ | ----------------- | -------------------------------------------------------------- |
 * | Valid or hold      | revoked (reason)  | store → the revocation state of the CA's reason (final there)   |
 * | Valid              | hold              | store → 'Certificate hold'                                     |
 * | hold               | valid             | store → 'Valid'; but see the two card cases below               |
 * | revocation state   | valid or hold     | revoked at the CA with the store's reason (final in the store)  |
 * | Valid, hold, revoked | no such serial  | nothing: reported for an operator                              |
 * | revoked            | revoked, other reason | nothing: both are final; reported                          |
 *
 * The CA is the truth for what relying parties see, so the store follows it — except where the
 * store's state cannot follow (a revocation is final, spec 000 has no way back from it), where
 * the CA follows the store instead: a certificate the store records as compromised must reach the
 * CRL. Two card cases are not "hold → Valid":
 * - a certificate on an active card whose relation to it is inactive: that is the state spec 003
 *   prescribes after "Reactivate virtual smart card" (on hold in the store, valid at the CA) — no
 *   difference;
 * - a certificate on an inactive card: spec 004 puts a deactivated card's certificates on hold, so
 *   the CA is put back on hold (as Deactivate card itself does) rather than the store made Valid.
 *
 * Each settlement runs in its own transaction, the card row and then the certificate's locked
 * first (the order the card workers use) and both sides read again, so a certificate a use case
 * changed meanwhile is decided on what is true now. Safe to run again: a second run finds nothing.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { CaConnector, CertificateStatusResult } from '../ca/connector';
import { CaErrorCode, isCaError } from '../ca/errors';
import type { RevocationReason } from '../ca/revocation';
import { REVOCATION_STATES, type CertificateState, type RevocationState } from '../domain/states';
import { recordAudit } from './audit';
import { findOrphanCertificates, revokeOrphanCertificates, type OrphanCertificate, type OrphanSearch } from './ca-orphans';
import { transitionCertificate } from './certificates';
import { withTransaction, type Queryable } from './db';

/** The CRL reason the CA writes for each revocation state of spec 000. */
export const CRL_REASON_OF_STATE: Readonly<Record<RevocationState, RevocationReason>> = {
  'Key compromised': 'keyCompromise',
  Superseded: 'superseded',
  'Cessation of operation': 'cessationOfOperation',
  'Privilege withdrawn': 'privilegeWithdrawn',
  'Affiliation changed': 'affiliationChanged',
};

/**
 * The store's state for the CA's revocation reason. Spec 000 has no state for 'unspecified':
 * a certificate revoked without a reason "will no longer be used" (as ACME revocation records it).
 */
export const STATE_OF_CRL_REASON: Readonly<Record<RevocationReason, RevocationState>> = {
  unspecified: 'Cessation of operation',
  keyCompromise: 'Key compromised',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation of operation',
  privilegeWithdrawn: 'Privilege withdrawn',
  affiliationChanged: 'Affiliation changed',
};

/** The store states compared with the CA: in use, or revoked. */
export const COMPARED_STATES: readonly CertificateState[] = ['Valid', 'Certificate hold', ...REVOCATION_STATES];

const isRevocationState = (s: string): s is RevocationState => (REVOCATION_STATES as readonly string[]).includes(s);

/** What the CA says of a serial: its status, or that it has no such certificate. */
export type CaView = CertificateStatusResult | 'missing';

/** A certificate object as the reconciliation sees it. */
export interface StoreView {
  id: number;
  state: CertificateState;
  serial: string;
  subject: string;
  pem: string | null;
  cardId: number | null;
  cardState: 'active' | 'inactive' | null;
  /** The card's relation to this certificate, when it has one. */
  relationState: 'active' | 'inactive' | null;
}

/** How a difference is settled. */
export type Settlement =
  | { kind: 'store'; to: CertificateState; why: string }
  | { kind: 'ca-hold'; why: string }
  | { kind: 'ca-revoke'; reason: RevocationReason; why: string }
  | { kind: 'operator'; why: string };

export interface Difference {
  certificateId: number;
  serial: string;
  subject: string;
  /** The store's state when found. */
  store: CertificateState;
  /** The CA's status when found, e.g. "valid", "hold", "revoked (keyCompromise)", "not at the CA". */
  ca: string;
  settlement: Settlement;
  /**
   * changed: settled now; would change: found by a dry run; left: for an operator (nothing can be
   * settled automatically); settled meanwhile: when locked and read again, nothing was left to do.
   */
  outcome: 'changed' | 'would change' | 'left' | 'settled meanwhile';
  /** The state or status after the run (for 'changed'). */
  after?: string;
}

export const describeCa = (ca: CaView): string =>
  ca === 'missing' ? 'not at the CA' : ca.status === 'revoked' ? `revoked (${ca.reason ?? 'unspecified'})` : ca.status;

/**
 * The settlement of a certificate object against the CA's view, or undefined when they agree.
 * Pure: the rules in the table at the top of this file.
 */
export function settle(store: StoreView, ca: CaView): Settlement | undefined {
  const { state } = store;
  if (ca === 'missing') {
    return { kind: 'operator', why: `the CA has no certificate with serial ${store.serial}: nothing to bring the store to (check where it was issued)` };
  }
  if (isRevocationState(state)) {
    if (ca.status !== 'revoked') {
      return { kind: 'ca-revoke', reason: CRL_REASON_OF_STATE[state], why: `'${state}' in the store is final: the CA revokes it too` };
    }
    const caState = STATE_OF_CRL_REASON[ca.reason as RevocationReason] ?? 'Cessation of operation';
    if (caState === state) return undefined;
    return { kind: 'operator', why: `revoked on both sides with different reasons; a revocation is final on both` };
  }
  if (ca.status === 'revoked') {
    const to = STATE_OF_CRL_REASON[ca.reason as RevocationReason] ?? 'Cessation of operation';
    return { kind: 'store', to, why: `revoked at the CA (${ca.reason ?? 'unspecified'}): a revocation is final` };
  }
  if (state === 'Valid' && ca.status === 'hold') return { kind: 'store', to: 'Certificate hold', why: 'on hold at the CA' };
  if (state === 'Certificate hold' && ca.status === 'valid') {
    if (store.cardId !== null && store.cardState === 'inactive') {
      return { kind: 'ca-hold', why: `its card ${store.cardId} is inactive: a deactivated card's certificates are on hold (spec 004)` };
    }
    // After "Reactivate virtual smart card" (spec 003): card active, the relation to the certificate
    // inactive, on hold in the store and valid at the CA — as the specification states.
    if (store.cardId !== null && store.cardState === 'active' && store.relationState === 'inactive') return undefined;
    return { kind: 'store', to: 'Valid', why: 'valid at the CA (released there)' };
  }
  return undefined;
}

const VIEW = `
  SELECT c.id, c.state, c.serial, c.subject, c.pem, c.card_id AS "cardId", k.state AS "cardState",
         (SELECT r.state FROM card_relations r
           WHERE r.card_id = c.card_id AND r.related_type = 'certificate' AND r.related_id = c.id::text) AS "relationState"
    FROM certificates c LEFT JOIN cards k ON k.id = c.card_id`;

async function caView(ca: CaConnector, serial: string): Promise<CaView> {
  try {
    return await ca.status(serial);
  } catch (err) {
    if (isCaError(err) && err.code === CaErrorCode.CERTIFICATE_NOT_FOUND) return 'missing';
    throw err;
  }
}

export interface ReconcileProgress {
  checked: number;
  total: number;
  differences: number;
}

export interface ReconcileOptions {
  /** Find and report only; change nothing at the store or the CA. */
  dryRun: boolean;
  /** Who ran it, for the history rows, e.g. "ca-reconcile (alice)". */
  actor: string;
  /** Also the CA's certificates no certificate object holds (ca-orphans.ts): listed, or revoked. */
  orphans?: OrphanSearch;
  /** Called after each page of certificates (once when there is none). */
  onProgress?: (p: ReconcileProgress) => void;
  /** Certificates read per page. Default 500. */
  pageSize?: number;
}

export interface ReconcileReport {
  checked: number;
  differences: Difference[];
  /** Orphans found (dry run) or revoked; empty when not asked for. */
  orphans: OrphanCertificate[];
}

/** Counts of a report's differences by outcome. */
export function countOutcomes(report: ReconcileReport): Record<Difference['outcome'], number> {
  const counts = { changed: 0, 'would change': 0, left: 0, 'settled meanwhile': 0 };
  for (const d of report.differences) counts[d.outcome]++;
  return counts;
}

/** Whether a certificate the CA does not know was signed by this CA's issuing CA (its records are missing) or not. */
async function provenance(issuingPem: () => Promise<string>, pem: string | null): Promise<string> {
  if (!pem) return 'the store has no PEM of it (a record only)';
  try {
    const issuing = new crypto.X509Certificate(await issuingPem());
    return new crypto.X509Certificate(pem).verify(issuing.publicKey)
      ? "signed by this CA's issuing CA, which has no record of it (restore the CA's records)"
      : 'not issued by this CA (imported?)';
  } catch {
    return 'its PEM cannot be read';
  }
}

/** Applies one settlement inside `tx`; returns the state or status after it. */
async function apply(tx: Queryable, ca: CaConnector, store: StoreView, caNow: CaView, s: Settlement, actor: string, runId: string): Promise<string> {
  const found = `reconciled with the CA: the CA said ${describeCa(caNow)}, the store '${store.state}'`;
  if (s.kind === 'store') {
    await transitionCertificate(tx, store.id, s.to, { actor, reason: `${found}; the store follows the CA (${s.why})` });
    return s.to;
  }
  const atCa = ca.within(tx);
  // A key per run: an earlier run's key would replay its stored result instead of acting.
  const key = `reconcile:${runId}:${store.serial}`;
  if (s.kind === 'ca-hold') await atCa.hold({ idempotencyKey: key, serialNumber: store.serial });
  else if (s.kind === 'ca-revoke') await atCa.revoke({ idempotencyKey: key, serialNumber: store.serial, reason: s.reason });
  else throw new Error(`no settlement to apply for certificate ${store.id}`);
  const done = s.kind === 'ca-hold' ? 'put on hold at the CA' : `revoked at the CA (${s.reason})`;
  await recordAudit(tx, { objectType: 'certificate', objectId: store.id, fromState: store.state, toState: store.state, actor, reason: `${found}; ${done}: ${s.why}` });
  return describeCa(await atCa.status(store.serial));
}

/**
 * Settles one difference: locks the card (if any) and the certificate, reads both sides again,
 * and applies what they call for now.
 */
async function settleOne(pool: Pool, ca: CaConnector, found: Difference, cardId: number | null, actor: string, runId: string): Promise<Difference> {
  return withTransaction(pool, async (tx) => {
    if (cardId !== null) await tx.query('SELECT 1 FROM cards WHERE id = $1 FOR UPDATE', [cardId]);
    await tx.query('SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE', [found.certificateId]);
    const store = (await tx.query<StoreView>(`${VIEW} WHERE c.id = $1`, [found.certificateId])).rows[0];
    if (!store || !store.serial || !COMPARED_STATES.includes(store.state)) return { ...found, outcome: 'settled meanwhile' };
    const caNow = await caView(ca.within(tx), store.serial);
    const s = settle(store, caNow);
    if (!s) return { ...found, outcome: 'settled meanwhile' };
    if (s.kind === 'operator') return { ...found, store: store.state, ca: describeCa(caNow), settlement: s, outcome: 'left' };
    const after = await apply(tx, ca, store, caNow, s, actor, runId);
    return { ...found, store: store.state, ca: describeCa(caNow), settlement: s, outcome: 'changed', after };
  });
}

/**
 * Compares every certificate object in a compared state with the CA, in id order a page at a
 * time, and settles each difference (unless `dryRun`). Then, when `orphans` is given, lists or
 * revokes the CA's certificates that no object holds.
 */
export async function reconcileWithCa(pool: Pool, ca: CaConnector, options: ReconcileOptions): Promise<ReconcileReport> {
  const pageSize = options.pageSize ?? 500;
  const runId = crypto.randomUUID();
  const total = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM certificates WHERE serial IS NOT NULL AND state = ANY($1)', [COMPARED_STATES])).rows[0]!.n,
  );
  let issuing: Promise<string> | undefined;
  const issuingPem = (): Promise<string> => (issuing ??= ca.caCertificates().then((c) => c.issuing));
  const differences: Difference[] = [];
  let checked = 0;
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<StoreView>(
      `${VIEW} WHERE c.serial IS NOT NULL AND c.state = ANY($1) AND c.id > $2 ORDER BY c.id LIMIT $3`,
      [COMPARED_STATES, after, pageSize],
    );
    if (!rows.length) break;
    for (const store of rows) {
      const caNow = await caView(ca, store.serial);
      const s = settle(store, caNow);
      if (!s) continue;
      const why = s.kind === 'operator' && caNow === 'missing' ? { ...s, why: `${s.why}; ${await provenance(issuingPem, store.pem)}` } : s;
      const found: Difference = { certificateId: store.id, serial: store.serial, subject: store.subject, store: store.state, ca: describeCa(caNow), settlement: why, outcome: 'would change' };
      if (why.kind === 'operator') differences.push({ ...found, outcome: 'left' });
      else if (options.dryRun) differences.push(found);
      else differences.push(await settleOne(pool, ca, found, store.cardId, options.actor, runId));
    }
    checked += rows.length;
    after = rows[rows.length - 1]!.id;
    options.onProgress?.({ checked, total: Math.max(total, checked), differences: differences.length });
  }
  if (checked === 0) options.onProgress?.({ checked, total: 0, differences: 0 });
  const orphans = !options.orphans
    ? []
    : options.dryRun
      ? await findOrphanCertificates(pool, options.orphans)
      : await revokeOrphanCertificates(pool, ca, options.orphans);
  return { checked, differences, orphans };
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const ACTION: Readonly<Record<Settlement['kind'], (s: Settlement) => string>> = {
  store: (s) => `store → '${(s as Extract<Settlement, { kind: 'store' }>).to}'`,
  'ca-hold': () => 'hold at the CA',
  'ca-revoke': (s) => `revoke at the CA (${(s as Extract<Settlement, { kind: 'ca-revoke' }>).reason})`,
  operator: () => 'none: for an operator',
};

/** The report as a fixed-width table, a row per difference and per orphan, and the reasons under it. */
export function reconciliationTable(report: ReconcileReport, dryRun: boolean): string {
  const head = ['certificate', 'serial', 'subject', 'store', 'CA', 'action', 'outcome'];
  const rows = report.differences.map((d) => [String(d.certificateId), d.serial, cut(d.subject, 36), d.store, d.ca, ACTION[d.settlement.kind](d.settlement), d.after ? `${d.outcome}: ${d.after}` : d.outcome]);
  for (const o of report.orphans) {
    rows.push(['(none)', o.serial, cut(o.subject, 36), '(no object)', o.status, 'revoke at the CA (cessationOfOperation)', dryRun ? 'would change' : 'changed: revoked (cessationOfOperation)']);
  }
  if (!rows.length) return '';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const why = report.differences.map((d) => `  certificate ${d.certificateId}: ${d.settlement.why}`);
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', ...why].join('\n');
}
