/**
 * RFC 5280 revocation reasons (CRLReason, section 5.3.1) and the certificate statuses of the
 * built-in CA.
 */
import { CaError, CaErrorCode } from './errors';

/** CRLReason codes. 7 is unused; removeFromCRL (8) is only for delta CRLs and never written here. */
export const CrlReasonCode = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

/**
 * Reasons an operator may revoke with. The spec (000, certificate states) names Key compromised,
 * Superseded, Cessation of operation, Privilege withdrawn, Affiliation changed; `unspecified`
 * is kept for callers that have no reason. Hold has its own operation (it can be undone).
 */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** Status of a certificate at the CA. */
export type CertificateStatus = 'valid' | 'hold' | 'revoked';

/** Checks a reason given by a caller; throws `REVOCATION_REASON_INVALID`. */
export function checkRevocationReason(reason: string): RevocationReason {
  if ((REVOCATION_REASONS as readonly string[]).includes(reason)) return reason as RevocationReason;
  throw new CaError(
    CaErrorCode.REVOCATION_REASON_INVALID,
    `"${reason}" is not a revocation reason; use one of ${REVOCATION_REASONS.join(', ')} (or put the certificate on hold).`,
    { reason },
  );
}
