/**
 * P10 and P12 issuance by the built-in CA, and the one-time PKCS#12 download.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { atomically, type Queryable } from '../store/db';
import { generateKey } from './authorities';
import { buildCertificate } from './certificate-builder';
import type { CsrReview, GeneratedKeyPair, GenerateKeyPairRequest, IssuedCertificate, IssueFromCsrRequest, Pkcs12Download } from './connector';
import type { CaContext } from './context';
import { csrToDer, parseCsr, parseCsrOffThread } from './csr';
import { CaError, CaErrorCode } from './errors';
import { assertSameRequest, checkIdempotencyKey, fingerprint } from './idempotency';
import { buildPkcs12, randomPassword } from './pkcs12';
import { checkProfile, EC_CURVES, type CaProfile } from './profile';
import { approveCsr, approveNames, type ApprovedRequest } from './request-policy';
import { randomSerial, serialToHex } from './x509';
import { createBatcher } from './batcher';

interface CertificateRow {
  serial: string;
  request_fingerprint: string;
  profile_id: string;
  subject: string;
  dns_names: string[];
  not_before: Date;
  not_after: Date;
  certificate_pem: string;
  pkcs12_id?: string | null;
  pkcs12_expires_at?: Date | null;
}

/** "C=DE, O=Example AG, CN=www.example.com" */
export const subjectText = (req: ApprovedRequest): string => req.subject.map((a) => `${a.shortName}=${a.value}`).join(', ');

function toIssued(ctx: CaContext, row: CertificateRow, replayed: boolean): IssuedCertificate {
  return {
    serialNumber: row.serial,
    certificatePem: row.certificate_pem,
    chainPem: [ctx.issuing.certificatePem, ctx.root.certificatePem],
    subject: row.subject,
    dnsNames: row.dns_names,
    notBefore: row.not_before,
    notAfter: row.not_after,
    profileId: row.profile_id,
    replayed,
  };
}

const SELECT_CERTIFICATE = `
  SELECT c.serial, c.request_fingerprint, c.profile_id, c.subject, c.dns_names, c.not_before, c.not_after,
         c.certificate_pem, p.id AS pkcs12_id, p.expires_at AS pkcs12_expires_at
    FROM ca_certificates c LEFT JOIN ca_pending_pkcs12 p ON p.serial = c.serial
   WHERE c.idempotency_key = $1`;

async function findByKey(q: Queryable, key: string, fp: string): Promise<CertificateRow | undefined> {
  const row = (await q.query<CertificateRow>(SELECT_CERTIFICATE, [key])).rows[0];
  if (row) assertSameRequest(row.request_fingerprint, fp, key);
  return row;
}

interface NewCertificate extends CertificateRow {
  idempotency_key: string;
  origin: 'p10' | 'p12';
}

/**
 * The batched insert of the P10 hot path, one per CA instance: the inserts of concurrent
 * issuances run as one statement. One statement at a time: a statement costs this process
 * ~0.5 ms of CPU and PostgreSQL ~0.3 ms whatever its size (bench/ca-profile.ts), so running
 * several smaller batches at once cost more CPU than the waiting they saved.
 */
export function createIssuanceBatchers(pool: Pool): {
  insert: (row: NewCertificate) => Promise<boolean>;
} {
  const cols = ['serial', 'idempotency_key', 'request_fingerprint', 'origin', 'profile_id', 'subject', 'dns_names', 'not_before', 'not_after', 'certificate_pem'] as const;
  const insert = createBatcher<NewCertificate, boolean>(async (items) => {
    // Rows in key order: two statements that both hold a key (two deliveries of one job, in two processes) lock in the same order, never crosswise.
    const sorted = [...items].sort((a, b) => (a.idempotency_key < b.idempotency_key ? -1 : a.idempotency_key > b.idempotency_key ? 1 : 0));
    // unnest() takes one array per column, so any batch size is one statement with ten parameters.
    // Named: each connection prepares it once, then only binds and runs it.
    const { rows } = await pool.query<{ serial: string }>({
      name: 'ca-insert-certificates',
      text: `INSERT INTO ca_certificates (${cols.join(', ')})
     SELECT s, k, f, o, p, sub, ARRAY(SELECT json_array_elements_text(d::json)), nb, na, pem
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[])
            AS t(s, k, f, o, p, sub, d, nb, na, pem)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING serial`,
      values: cols.map((c) => sorted.map((i) => (c === 'dns_names' ? JSON.stringify(i.dns_names) : i[c]))),
    });
    // By serial, not key: two deliveries of one job in the same batch share a key, only one row wins.
    const inserted = new Set(rows.map((r) => r.serial));
    return items.map((i) => inserted.has(i.serial));
  });
  return { insert };
}

/** Signs a certificate for an approved request and a public key. */
async function sign(ctx: CaContext, profile: CaProfile, req: ApprovedRequest, spki: Buffer, keyType: 'rsa' | 'ec') {
  const now = ctx.now();
  now.setUTCMilliseconds(0);
  const notBefore = new Date(now.getTime() - ctx.backdateMs);
  const wanted = new Date(now.getTime() + profile.validityDays * 86_400_000);
  // A certificate cannot outlive its issuer: it would stop validating on the issuer's expiry anyway.
  const notAfter = wanted < ctx.issuing.notAfter ? wanted : ctx.issuing.notAfter;
  const serial = randomSerial();
  const cert = await buildCertificate(
    {
      serial,
      subject: req.subject,
      spki,
      notBefore,
      notAfter,
      // RSA keys may carry TLS key transport; EC keys only sign (key agreement is ephemeral in TLS).
      keyUsage: keyType === 'rsa' ? { digitalSignature: true, keyEncipherment: true } : { digitalSignature: true },
      extendedKeyUsage: profile.extendedKeyUsage,
      dnsNames: req.dnsNames,
      crlUrl: ctx.crlUrl,
    },
    ctx.issuing,
  );
  return { ...cert, serial: serialToHex(serial), notBefore, notAfter };
}

const INSERT_CERTIFICATE = `
  INSERT INTO ca_certificates (serial, idempotency_key, request_fingerprint, origin, profile_id, subject, dns_names,
                               not_before, not_after, certificate_pem)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING serial`;

/** Checks a CSR against a profile and edits; nothing is issued. */
export function reviewCsr(request: Omit<IssueFromCsrRequest, 'idempotencyKey'>): CsrReview {
  checkProfile(request.profile);
  const csr = parseCsr(request.csr);
  const approved = approveCsr(csr, request.profile, request.edits);
  return {
    commonName: approved.commonName,
    subject: subjectText(approved),
    dnsNames: approved.dnsNames,
    keyAlgorithm: csr.key.type === 'rsa' ? 'RSA' : 'EC',
    keySize: csr.key.bits ?? 0,
  };
}

/** P10: issues a certificate for a CSR (see CaConnector.issueFromCsr). */
export async function issueFromCsr(ctx: CaContext, request: IssueFromCsrRequest): Promise<IssuedCertificate> {
  checkIdempotencyKey(request.idempotencyKey);
  checkProfile(request.profile);
  const der = csrToDer(request.csr);
  const fp = fingerprint({ op: 'p10', csr: crypto.createHash('sha256').update(der).digest('hex'), profile: request.profile, edits: request.edits });
  // A key is new far more often than it is delivered again, so nothing is looked up before the
  // certificate is signed: its insert finds an earlier issuance under the key (ON CONFLICT), and
  // then the earlier certificate is the answer and this one is never published, as when two
  // deliveries race. A request refused now is looked up first, so an earlier issuance under its
  // key still answers (or IDEMPOTENCY_CONFLICT), as it did before the request was read.
  let csr: Awaited<ReturnType<typeof parseCsrOffThread>>;
  let approved: ApprovedRequest;
  try {
    // The CSR's signature is verified on the thread pool, like the certificate's is made there.
    csr = await parseCsrOffThread(der);
    approved = approveCsr(csr, request.profile, request.edits);
  } catch (refusal) {
    const earlier = await findByKey(ctx.db, request.idempotencyKey, fp);
    if (earlier) return toIssued(ctx, earlier, true);
    throw refusal;
  }
  const cert = await sign(ctx, request.profile, approved, csr.key.spki, csr.key.type as 'rsa' | 'ec');
  const row: CertificateRow = {
    serial: cert.serial,
    request_fingerprint: fp,
    profile_id: request.profile.id,
    subject: subjectText(approved),
    dns_names: approved.dnsNames,
    not_before: cert.notBefore,
    not_after: cert.notAfter,
    certificate_pem: cert.pem,
  };
  const inserted = ctx.batch
    ? await ctx.batch.insert({ ...row, idempotency_key: request.idempotencyKey, origin: 'p10' })
    : (await ctx.db.query(INSERT_CERTIFICATE, [
        row.serial, request.idempotencyKey, fp, 'p10', row.profile_id, row.subject, row.dns_names, row.not_before, row.not_after, row.certificate_pem,
      ])).rowCount === 1;
  if (inserted) return toIssued(ctx, row, false);
  // A concurrent delivery of the same job won: its certificate is the one; ours was never published.
  return toIssued(ctx, (await findByKey(ctx.db, request.idempotencyKey, fp))!, true);
}

/**
 * P12: generates key and certificate and keeps an encrypted PKCS#12 for one download.
 *
 * Idempotency: a replay returns the same certificate and download id, without a password. The
 * password exists only in the first response (it is never stored), so a caller that lost it
 * must start a new generation; nothing is generated twice for one key.
 */
export async function generateKeyPair(ctx: CaContext, request: GenerateKeyPairRequest): Promise<GeneratedKeyPair> {
  checkIdempotencyKey(request.idempotencyKey);
  const { profile } = request;
  checkProfile(profile);
  const fp = fingerprint({ op: 'p12', profile, commonName: request.commonName, dnsNames: request.dnsNames });
  const replay = (row: CertificateRow): GeneratedKeyPair => ({
    ...toIssued(ctx, row, true),
    pkcs12Id: row.pkcs12_id!,
    pkcs12ExpiresAt: row.pkcs12_expires_at!,
  });
  const earlier = await findByKey(ctx.db, request.idempotencyKey, fp);
  if (earlier) return replay(earlier);

  const approved = approveNames({ commonName: request.commonName, dnsNames: request.dnsNames ?? [] }, profile);
  const keys = await generateKey(
    profile.keyAlgorithm === 'RSA'
      ? { algorithm: 'RSA', bits: profile.minKeySize as 2048 }
      : { algorithm: 'EC', curve: EC_CURVES[profile.minKeySize]!.name },
  );
  const spki = keys.publicKey.export({ format: 'der', type: 'spki' });
  const cert = await sign(ctx, profile, approved, spki, profile.keyAlgorithm === 'RSA' ? 'rsa' : 'ec');
  const password = randomPassword();
  const pkcs12 = await buildPkcs12(
    { privateKey: keys.privateKey, certificate: cert.der, chain: [ctx.issuing.certificateDer, ctx.root.certificateDer], password },
    { ...ctx.pkcs12, friendlyName: approved.commonName },
  );
  const pkcs12Id = crypto.randomUUID();
  const expiresAt = new Date(ctx.now().getTime() + ctx.secretTtlMs);
  const sealed = ctx.masterKey.seal(pkcs12, `ca_pending_pkcs12:${pkcs12Id}`);
  pkcs12.fill(0);

  const row: CertificateRow = {
    serial: cert.serial,
    request_fingerprint: fp,
    profile_id: profile.id,
    subject: subjectText(approved),
    dns_names: approved.dnsNames,
    not_before: cert.notBefore,
    not_after: cert.notAfter,
    certificate_pem: cert.pem,
  };
  const stored = await atomically(ctx.db, async (tx) => {
    const inserted = await tx.query(INSERT_CERTIFICATE, [
      row.serial, request.idempotencyKey, fp, 'p12', row.profile_id, row.subject, row.dns_names, row.not_before, row.not_after, row.certificate_pem,
    ]);
    if (inserted.rowCount !== 1) return false;
    await tx.query('INSERT INTO ca_pending_pkcs12 (id, serial, pkcs12_encrypted, file_name, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      pkcs12Id, row.serial, sealed, `${approved.commonName.replace(/[^A-Za-z0-9._-]/g, '_')}.p12`, expiresAt,
    ]);
    return true;
  });
  if (!stored) return replay((await findByKey(ctx.db, request.idempotencyKey, fp))!);
  return { ...toIssued(ctx, row, false), pkcs12Id, pkcs12ExpiresAt: expiresAt, password };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Hands out a pending PKCS#12 once; afterwards, and after expiry, only its record remains. */
export async function downloadPkcs12(ctx: CaContext, pkcs12Id: string): Promise<Pkcs12Download> {
  const notFound = (): CaError => new CaError(CaErrorCode.PKCS12_NOT_FOUND, 'This PKCS#12 download does not exist; check the link.');
  if (!UUID.test(pkcs12Id)) throw notFound();
  const outcome = await atomically(ctx.db, async (tx) => {
    const { rows } = await tx.query<{ serial: string; pkcs12_encrypted: Buffer | null; file_name: string; expires_at: Date; downloaded_at: Date | null }>(
      'SELECT serial, pkcs12_encrypted, file_name, expires_at, downloaded_at FROM ca_pending_pkcs12 WHERE id = $1 FOR UPDATE',
      [pkcs12Id],
    );
    const row = rows[0];
    if (!row) return { error: notFound() };
    if (row.downloaded_at) {
      return { error: new CaError(CaErrorCode.PKCS12_ALREADY_DOWNLOADED, 'This PKCS#12 was already downloaded once and is no longer kept. Generate a new key if it was lost.') };
    }
    if (row.expires_at <= ctx.now() || !row.pkcs12_encrypted) {
      await tx.query('UPDATE ca_pending_pkcs12 SET pkcs12_encrypted = NULL WHERE id = $1', [pkcs12Id]);
      return { error: new CaError(CaErrorCode.PKCS12_EXPIRED, 'This PKCS#12 was not downloaded in time and has been deleted. Generate a new key.') };
    }
    await tx.query('UPDATE ca_pending_pkcs12 SET pkcs12_encrypted = NULL, downloaded_at = $2 WHERE id = $1', [pkcs12Id, ctx.now()]);
    return { download: { pkcs12: ctx.masterKey.open(row.pkcs12_encrypted, `ca_pending_pkcs12:${pkcs12Id}`), serialNumber: row.serial, fileName: row.file_name } };
  });
  if (outcome.error) throw outcome.error;
  return outcome.download!;
}

/** Deletes the contents of PKCS#12 files past their expiry; returns how many. */
export async function purgeExpiredPkcs12(ctx: CaContext): Promise<number> {
  const { rowCount } = await ctx.db.query(
    'UPDATE ca_pending_pkcs12 SET pkcs12_encrypted = NULL WHERE pkcs12_encrypted IS NOT NULL AND expires_at <= $1',
    [ctx.now()],
  );
  return rowCount ?? 0;
}
