/**
 * The CA connector: the only thing workers know about a CA. The built-in CA implements it;
 * another CA product can be put behind it without touching a worker.
 *
 * Every operation with an effect takes an `idempotencyKey` (the job key or element instance
 * key): Zeebe delivers jobs at least once, and a repeated call with the same key returns the
 * stored result instead of acting twice. Secrets (PKCS#12 password, ACME HMAC key, SCEP
 * challenge) are returned by the first call only; a replay returns the same non-secret result
 * with the secret left out and `replayed: true`.
 *
 * Business refusals are thrown as `CaError` (see errors.ts); anything else is a technical failure.
 */
import type { Queryable } from '../store/db';
import type { CaProfile } from './profile';
import type { RequestEdits } from './request-policy';
import type { CertificateStatus, RevocationReason } from './revocation';

/** A certificate issued by the CA. */
export interface IssuedCertificate {
  /** Serial number, lower-case hex. */
  serialNumber: string;
  certificatePem: string;
  /** CA certificates from the issuing CA up to the root, PEM. */
  chainPem: string[];
  /** The subject as text, e.g. "O=Example AG, CN=www.example.com". */
  subject: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  profileId: string;
  /** True when this is the stored result of an earlier call with the same idempotency key. */
  replayed: boolean;
}

export interface IssueFromCsrRequest {
  idempotencyKey: string;
  /** PKCS#10, PEM (text) or DER (bytes). */
  csr: string | Uint8Array;
  profile: CaProfile;
  /** The operator's changes to subject and DNS names ("edit the server request"). */
  edits?: RequestEdits;
}

/** What would be issued for a CSR, after the checks; shown to the operator before issuance. */
export interface CsrReview {
  commonName: string;
  subject: string;
  dnsNames: string[];
  keyAlgorithm: 'RSA' | 'EC';
  keySize: number;
}

export interface GenerateKeyPairRequest {
  idempotencyKey: string;
  profile: CaProfile;
  commonName?: string;
  dnsNames?: string[];
}

/**
 * A certificate with a server-generated key. The PKCS#12 waits, encrypted, for one download by
 * `pkcs12Id` until `pkcs12ExpiresAt`. `password` is present only in the first response.
 */
export interface GeneratedKeyPair extends IssuedCertificate {
  pkcs12Id: string;
  pkcs12ExpiresAt: Date;
  /** The PKCS#12 password. Show it once, never store it, never put it into a process variable. */
  password?: string;
}

export interface StatusChangeRequest {
  idempotencyKey: string;
  /** Serial number, hex (case and leading zeros do not matter). */
  serialNumber: string;
}

export interface RevokeRequest extends StatusChangeRequest {
  reason: RevocationReason;
}

/** A certificate's status at the CA after a change. */
export interface CertificateStatusResult {
  serialNumber: string;
  status: CertificateStatus;
  /** Revocation reason, or `certificateHold`, when not valid. */
  reason?: RevocationReason | 'certificateHold';
  /** When it was revoked or put on hold. */
  revokedAt?: Date;
  replayed: boolean;
}

/** Certificate object states of registrations (spec 000): Requested before, then these. */
export type RegistrationState = 'Registered' | 'Deregistered';

export interface AcmeRegistrationRequest {
  idempotencyKey: string;
  /** The asset's reference in the store (kept as text; the CA has no foreign keys to it). */
  assetRef: string;
  profile: CaProfile;
  /** DNS names the ACME account may obtain certificates for (checked against the profile). */
  dnsNames: string[];
}

/** An External Account Binding (RFC 8555 7.3.4) for an asset. */
export interface AcmeRegistration {
  registrationId: string;
  /** EAB key id (not secret). */
  keyId: string;
  /** EAB HMAC key, base64url. Present only in the first response. */
  hmacKey?: string;
  dnsNames: string[];
  state: RegistrationState;
  replayed: boolean;
}

export interface ScepRegistrationRequest {
  idempotencyKey: string;
  assetRef: string;
  profile: CaProfile;
  /** Subject the device will request (common name), checked against the profile. */
  commonName: string;
  dnsNames?: string[];
}

/** A one-time SCEP challenge password bound to an asset and subject. */
export interface ScepRegistration {
  registrationId: string;
  /** Present only in the first response. */
  challengePassword?: string;
  commonName: string;
  dnsNames: string[];
  expiresAt: Date;
  state: RegistrationState;
  replayed: boolean;
}

export interface DeregistrationRequest {
  idempotencyKey: string;
  registrationId: string;
}

export interface DeregistrationResult {
  registrationId: string;
  state: 'Deregistered';
  replayed: boolean;
}

/** A signed CRL. */
export interface CurrentCrl {
  der: Buffer;
  pem: string;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

/** A one-time PKCS#12 download. */
export interface Pkcs12Download {
  pkcs12: Buffer;
  serialNumber: string;
  /** A file name for the download, e.g. "www.example.com.p12". */
  fileName: string;
}

export interface CaConnector {
  /** Checks a CSR against a profile and the edits without issuing anything. */
  reviewCsr(request: Omit<IssueFromCsrRequest, 'idempotencyKey'>): Promise<CsrReview>;
  /** P10: issues a certificate for a CSR under a profile. */
  issueFromCsr(request: IssueFromCsrRequest): Promise<IssuedCertificate>;
  /** P12: generates a key pair and a certificate, and keeps a PKCS#12 for one download. */
  generateKeyPair(request: GenerateKeyPairRequest): Promise<GeneratedKeyPair>;
  /** Hands out a waiting PKCS#12 once; it is gone afterwards. */
  downloadPkcs12(pkcs12Id: string): Promise<Pkcs12Download>;
  /** Revokes with an RFC 5280 reason; final. A held certificate can be revoked. */
  revoke(request: RevokeRequest): Promise<CertificateStatusResult>;
  /** Puts a valid certificate on hold (CRL reason certificateHold). */
  hold(request: StatusChangeRequest): Promise<CertificateStatusResult>;
  /** Releases a held certificate; it is gone from the next CRL. */
  release(request: StatusChangeRequest): Promise<CertificateStatusResult>;
  /** The certificate's current status. */
  status(serialNumber: string): Promise<CertificateStatusResult>;
  /** Registers an asset for ACME: an External Account Binding bound to its DNS names. */
  registerAcme(request: AcmeRegistrationRequest): Promise<AcmeRegistration>;
  /** Revokes an ACME binding. */
  deregisterAcme(request: DeregistrationRequest): Promise<DeregistrationResult>;
  /** Registers an asset for SCEP: a one-time challenge password bound to asset and subject. */
  registerScep(request: ScepRegistrationRequest): Promise<ScepRegistration>;
  /** Revokes a SCEP registration (its challenge no longer works). */
  deregisterScep(request: DeregistrationRequest): Promise<DeregistrationResult>;
  /** The current CRL, signed by the issuing CA. */
  currentCrl(): Promise<CurrentCrl>;
  /** The CA certificates (issuing, root), PEM. */
  caCertificates(): Promise<{ issuing: string; root: string }>;
  /**
   * The same CA working inside the caller's database transaction `tx`. A caller that holds a
   * transaction calls the CA through this, never directly: the built-in CA keeps its state in
   * the same database, and asking the pool for a second connection while holding one deadlocks
   * the pool under load (issue 17.1). What the CA records then commits or rolls back with the
   * caller's work — a certificate or a PKCS#12 exists only if the store's record of it does.
   * A CA that keeps no state in this database returns itself.
   */
  within(tx: Queryable): CaConnector;
}
