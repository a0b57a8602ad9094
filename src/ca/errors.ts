/**
 * Business refusals of the CA, as one typed error with a code from one `const` map.
 *
 * A `CaError` is an expected outcome an operator can act on (a bad CSR, a DNS name outside the
 * domain policy, a certificate in the wrong state): workers turn it into a BPMN error with the
 * same code. Anything else thrown by the CA (database down, a broken master key) is an ordinary
 * `Error`: a technical failure that is retried and ends as an incident.
 */

/** Every code a `CaError` can carry. The values are the BPMN error codes. */
export const CaErrorCode = {
  /** The CSR could not be read at all (not PEM, not DER, not a PKCS#10 structure). */
  CSR_INVALID: 'CSR_INVALID',
  /** No CSR was given (empty upload). */
  CSR_EMPTY: 'CSR_EMPTY',
  /** The CSR is larger than any real CSR could be. */
  CSR_TOO_LARGE: 'CSR_TOO_LARGE',
  /** The CSR's signature does not match its public key (tampered or corrupted). */
  CSR_SIGNATURE: 'CSR_SIGNATURE',
  /** The CSR is signed with an algorithm this CA does not accept (e.g. SHA-1, RSA-PSS). */
  CSR_SIGNATURE_ALGORITHM: 'CSR_SIGNATURE_ALGORITHM',
  /**
   * The key type or its parameters are not supported at all (e.g. DSA, Ed25519, an unknown curve,
   * explicit curve parameters, an RSA exponent other than 65537, an RSA key above 8192 bits).
   */
  KEY_UNSUPPORTED: 'KEY_UNSUPPORTED',
  /** The key type is supported, but not the one the profile asks for (RSA vs EC). */
  KEY_ALGORITHM_NOT_ALLOWED: 'KEY_ALGORITHM_NOT_ALLOWED',
  /** The key is shorter than the profile's minimum. */
  KEY_TOO_WEAK: 'KEY_TOO_WEAK',
  /** A DNS name is not a valid host name. */
  DNS_NAME_INVALID: 'DNS_NAME_INVALID',
  /** A DNS name is not under any suffix allowed by the profile's domain policy. */
  DNS_NOT_ALLOWED: 'DNS_NOT_ALLOWED',
  /** A wildcard DNS name was requested and the profile does not allow wildcards. */
  DNS_WILDCARD_NOT_ALLOWED: 'DNS_WILDCARD_NOT_ALLOWED',
  /** The request has neither a common name nor a DNS name. */
  SUBJECT_MISSING: 'SUBJECT_MISSING',
  /** The subject is not acceptable (too long, not allowed by the profile). */
  SUBJECT_INVALID: 'SUBJECT_INVALID',
  /** The CSR asks for alternative names other than DNS names (e-mail, IP, URI). */
  SAN_TYPE_NOT_ALLOWED: 'SAN_TYPE_NOT_ALLOWED',
  /** More alternative (DNS) names are asked for than one certificate carries (MAX_DNS_NAMES). */
  SAN_TOO_MANY: 'SAN_TOO_MANY',
  /** The certificate profile given to the CA is not usable. */
  PROFILE_INVALID: 'PROFILE_INVALID',
  /** No certificate with that serial number was issued by this CA. */
  CERTIFICATE_NOT_FOUND: 'CERTIFICATE_NOT_FOUND',
  /** The certificate is already revoked; revocation is final. */
  CERTIFICATE_ALREADY_REVOKED: 'CERTIFICATE_ALREADY_REVOKED',
  /** The certificate is already on hold. */
  CERTIFICATE_ALREADY_ON_HOLD: 'CERTIFICATE_ALREADY_ON_HOLD',
  /** Release from hold was asked for a certificate that is not on hold. */
  CERTIFICATE_NOT_ON_HOLD: 'CERTIFICATE_NOT_ON_HOLD',
  /** The revocation reason is not an RFC 5280 reason this CA accepts. */
  REVOCATION_REASON_INVALID: 'REVOCATION_REASON_INVALID',
  /** The PKCS#12 download does not exist. */
  PKCS12_NOT_FOUND: 'PKCS12_NOT_FOUND',
  /** The PKCS#12 was already downloaded once; it is gone. */
  PKCS12_ALREADY_DOWNLOADED: 'PKCS12_ALREADY_DOWNLOADED',
  /** The PKCS#12 was not downloaded in time; it is gone. */
  PKCS12_EXPIRED: 'PKCS12_EXPIRED',
  /** No ACME binding or SCEP registration with that id. */
  REGISTRATION_NOT_FOUND: 'REGISTRATION_NOT_FOUND',
  /** The ACME binding or SCEP registration is already deregistered. */
  REGISTRATION_ALREADY_DEREGISTERED: 'REGISTRATION_ALREADY_DEREGISTERED',
  /** The same idempotency key was used before for a different operation or different input. */
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
} as const;

export type CaErrorCode = (typeof CaErrorCode)[keyof typeof CaErrorCode];

/** An expected refusal by the CA, with a code and a message written for the operator. */
export class CaError extends Error {
  constructor(
    readonly code: CaErrorCode,
    message: string,
    /** Non-secret facts that help an operator (e.g. the offending DNS name). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'CaError';
  }
}

/**
 * A name as an operator can read it in a message: characters that do not show (controls,
 * format characters such as a zero-width space, other spaces than U+0020, unassigned code
 * points) are written as \u{...}, so "www.example.com\u{200b}" does not pass for www.example.com.
 */
export function shown(text: string): string {
  return text.replace(/\p{C}|(?! )\p{Z}/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** True when `err` is a business refusal of the CA (as opposed to a technical failure). */
export function isCaError(err: unknown): err is CaError {
  return err instanceof CaError;
}
