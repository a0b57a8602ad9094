/**
 * The built-in CA's root and issuing CA: created on first start, loaded afterwards.
 * Their private keys live only sealed with the master key in `ca_authorities`.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { withTransaction } from '../store/db';
import { buildCertificate, encodeName, type IssuerInfo } from './certificate-builder';
import { buildCrl } from './crl';
import { storeRootCrl } from './root-crl';
import type { MasterKey } from './master-key';
import type { NameAttribute } from './request-policy';
import { createSigner } from './signer';
import { certificateParts, fromPem, keyIdentifier, randomSerial } from './x509';

/** Key of a CA: RSA with a modulus size, or EC on a named curve. */
export type AuthorityKeySpec = { algorithm: 'RSA'; bits: 2048 | 3072 | 4096 } | { algorithm: 'EC'; curve: 'P-256' | 'P-384' };

/** A CA's certificate without its key: all the running CA needs of the root (issue 17.14). */
export interface CaCertificate {
  certificatePem: string;
  certificateDer: Buffer;
  name: IssuerInfo['name'];
  keyIdentifier: IssuerInfo['keyIdentifier'];
  notAfter: Date;
}

/** The issuing CA, ready to sign. */
export interface Authority extends CaCertificate, IssuerInfo {
  /** The CA's key, for what only the CA may do beside signing: opening SCEP envelopes sent to it (RFC 8894). Never leaves the process. */
  privateKey: crypto.KeyObject;
}

export interface AuthoritiesOptions {
  /** Common name prefix: "<name> Root CA", "<name> Issuing CA". */
  name: string;
  /** Default RSA-4096. */
  rootKey?: AuthorityKeySpec;
  /** Default RSA-2048 (the key signs every certificate and CRL; 2048 is what public issuing CAs use). */
  issuingKey?: AuthorityKeySpec;
  /** Default 20 years. */
  rootValidityYears?: number;
  /** Default 10 years. */
  issuingValidityYears?: number;
  /** The root's CRL distribution point, written into the issuing CA certificate (`${publicUrl}/api/crl/root`). */
  rootCrlUrl?: string;
  now: () => Date;
}

/** Advisory lock id so that two starting processes do not both create a CA. */
const BOOTSTRAP_LOCK = 727_3302;

const context = (role: string): string => `ca_authorities:${role}:private_key`;

export async function generateKey(spec: AuthorityKeySpec): Promise<crypto.KeyPairKeyObjectResult> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: crypto.KeyObject, privateKey: crypto.KeyObject): void =>
      err ? reject(err) : resolve({ publicKey, privateKey });
    if (spec.algorithm === 'RSA') crypto.generateKeyPair('rsa', { modulusLength: spec.bits }, done);
    else crypto.generateKeyPair('ec', { namedCurve: spec.curve === 'P-256' ? 'prime256v1' : 'secp384r1' }, done);
  });
}

function toCertificate(pem: string): CaCertificate {
  const der = fromPem(pem, 'CERTIFICATE');
  const parts = certificateParts(der);
  return {
    certificatePem: pem,
    certificateDer: der,
    name: parts.subjectName,
    keyIdentifier: keyIdentifier(parts.spki),
    notAfter: new Date(new crypto.X509Certificate(der).validTo),
  };
}

function toAuthority(pem: string, privateKey: crypto.KeyObject): Authority {
  return { ...toCertificate(pem), signer: createSigner(privateKey), privateKey };
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

/** Loads root and issuing CA, creating both on first start. */
export async function loadOrCreateAuthorities(
  pool: Pool,
  masterKey: MasterKey,
  options: AuthoritiesOptions,
): Promise<{ root: CaCertificate; issuing: Authority; created: boolean }> {
  return withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    const { rows } = await tx.query<{ role: string; certificate_pem: string; private_key_encrypted: Buffer }>(
      'SELECT role, certificate_pem, private_key_encrypted FROM ca_authorities',
    );
    const rootRow = rows.find((r) => r.role === 'root');
    const issuingRow = rows.find((r) => r.role === 'issuing');
    // The root's key signed the issuing CA and its CRL when they were created; it stays sealed in
    // the database and is never decrypted into the running process.
    const root = rootRow && toCertificate(rootRow.certificate_pem);
    let issuing: Authority | undefined;
    if (issuingRow) {
      const pkcs8 = masterKey.open(issuingRow.private_key_encrypted, context('issuing'));
      const key = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      pkcs8.fill(0);
      issuing = toAuthority(issuingRow.certificate_pem, key);
    }
    if (root && issuing) return { root, issuing, created: false };
    if (root || issuing) throw new Error('ca_authorities holds only one of root and issuing CA; restore the missing row from backup');

    const now = options.now();
    now.setUTCMilliseconds(0);
    const store = async (role: string, pem: string, key: crypto.KeyObject): Promise<void> => {
      const sealed = masterKey.seal(key.export({ format: 'der', type: 'pkcs8' }), context(role));
      await tx.query('INSERT INTO ca_authorities (role, certificate_pem, private_key_encrypted) VALUES ($1, $2, $3)', [role, pem, sealed]);
    };

    const rootKeys = await generateKey(options.rootKey ?? { algorithm: 'RSA', bits: 4096 });
    const rootSpki = rootKeys.publicKey.export({ format: 'der', type: 'spki' });
    const rootSubject: NameAttribute[] = [{ shortName: 'O', value: options.name }, { shortName: 'CN', value: `${options.name} Root CA` }];
    const rootIssuer: IssuerInfo = { name: encodeName(rootSubject), keyIdentifier: keyIdentifier(rootSpki), signer: createSigner(rootKeys.privateKey) };
    const rootCert = await buildCertificate(
      { serial: randomSerial(), subject: rootSubject, spki: rootSpki, notBefore: now, notAfter: addYears(now, options.rootValidityYears ?? 20), ca: {}, selfSigned: true },
      rootIssuer,
    );

    const issuingKeys = await generateKey(options.issuingKey ?? { algorithm: 'RSA', bits: 2048 });
    const issuingSpki = issuingKeys.publicKey.export({ format: 'der', type: 'spki' });
    const issuingCert = await buildCertificate(
      {
        serial: randomSerial(),
        subject: [{ shortName: 'O', value: options.name }, { shortName: 'CN', value: `${options.name} Issuing CA` }],
        spki: issuingSpki,
        notBefore: now,
        notAfter: addYears(now, options.issuingValidityYears ?? 10),
        ca: { pathLength: 0 },
        ...(options.rootCrlUrl ? { crlUrl: options.rootCrlUrl } : {}),
      },
      rootIssuer,
    );
    await store('root', rootCert.pem, rootKeys.privateKey);
    await store('issuing', issuingCert.pem, issuingKeys.privateKey);
    // The root signs only the issuing CA, and only now: its CRL (empty) lasts as long as the
    // issuing CA. Revoking the issuing CA means creating a new CA, not a new root CRL.
    const issuingNotAfter = new Date(new crypto.X509Certificate(issuingCert.der).validTo);
    await storeRootCrl(tx, await buildCrl({ number: 1, thisUpdate: now, nextUpdate: issuingNotAfter, entries: [] }, rootIssuer));
    return {
      root: toCertificate(rootCert.pem),
      issuing: toAuthority(issuingCert.pem, issuingKeys.privateKey),
      created: true,
    };
  });
}
