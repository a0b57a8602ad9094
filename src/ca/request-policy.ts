/**
 * Holds a parsed CSR against a certificate profile and the operator's edits ("edit the server
 * request"), and decides what will be issued. Pure: no I/O, no signing.
 */
import { CaError, CaErrorCode } from './errors';
import { checkDnsName, checkDnsNameCount, checkDnsNames, hasDomainPolicy, looksLikeHostName, normalizeDnsName } from './dns-policy';
import type { CsrKey, ParsedCsr } from './csr';
import { EC_CURVES, RSA_KEYS, type CaProfile, type SubjectTemplate } from './profile';

/** What the operator may change in a request before issuance; each field replaces the CSR's value. */
export interface RequestEdits {
  /** The subject's common name. */
  commonName?: string;
  /** The DNS names (subjectAltName). */
  dnsNames?: string[];
}

/** A subject attribute of the certificate to issue. */
export interface NameAttribute {
  shortName: 'CN' | 'O' | 'OU' | 'L' | 'ST' | 'C';
  value: string;
}

/** The validated content of a certificate: what the CA will sign. */
export interface ApprovedRequest {
  /** Subject attributes in issuance order (C, ST, L, O, OU, CN). */
  subject: NameAttribute[];
  commonName: string;
  dnsNames: string[];
}

/** Upper bound of X.520 ub-common-name. */
const MAX_COMMON_NAME = 64;

/**
 * Checks the key of a request against the profile (and the CA's limits, see RSA_KEYS and EC_CURVES).
 * Throws KEY_UNSUPPORTED, KEY_ALGORITHM_NOT_ALLOWED or KEY_TOO_WEAK.
 */
export function checkKey(key: Pick<CsrKey, 'type' | 'bits' | 'curve'>, profile: CaProfile): void {
  const wanted = profile.keyAlgorithm;
  if (key.type !== 'rsa' && key.type !== 'ec') {
    throw new CaError(CaErrorCode.KEY_UNSUPPORTED, `Keys of type "${key.type}" are not supported; use ${wanted === 'RSA' ? `RSA with at least ${profile.minKeySize} bits` : `EC ${EC_CURVES[profile.minKeySize]?.name ?? ''}`}.`, { keyType: key.type });
  }
  // Only the curves this CA issues for (P-256, P-384); P-521 and others are not supported.
  if (key.type === 'ec' && !Object.values(EC_CURVES).some((c) => c.nodeName === key.curve)) {
    throw new CaError(CaErrorCode.KEY_UNSUPPORTED, `The EC curve "${key.curve ?? 'unknown'}" is not supported; use P-256 or P-384.`, { curve: key.curve });
  }
  const actual = key.type === 'rsa' ? 'RSA' : 'EC';
  if (actual !== wanted) {
    throw new CaError(
      CaErrorCode.KEY_ALGORITHM_NOT_ALLOWED,
      `Certificate profile "${profile.id}" requires an ${wanted} key, but the request has an ${actual} key.`,
      { expected: wanted, actual },
    );
  }
  if (actual === 'RSA' && ((key.bits ?? 0) > RSA_KEYS.maxBits || (key.bits ?? 0) % 8 !== 0)) {
    throw new CaError(
      CaErrorCode.KEY_UNSUPPORTED,
      `The request's RSA key has ${key.bits} bits; this CA certifies RSA keys of ${RSA_KEYS.minBits} to ${RSA_KEYS.maxBits} bits, a whole number of bytes.`,
      { bits: key.bits },
    );
  }
  if ((key.bits ?? 0) < profile.minKeySize) {
    const unit = actual === 'RSA' ? 'bit RSA' : 'bit EC';
    throw new CaError(
      CaErrorCode.KEY_TOO_WEAK,
      `The request's key is a ${key.bits}-${unit} key; certificate profile "${profile.id}" requires at least ${profile.minKeySize} bits.`,
      { bits: key.bits, minKeySize: profile.minKeySize },
    );
  }
}

function templateAttributes(t: SubjectTemplate | undefined): NameAttribute[] {
  const out: NameAttribute[] = [];
  if (t?.country) out.push({ shortName: 'C', value: t.country });
  if (t?.state) out.push({ shortName: 'ST', value: t.state });
  if (t?.locality) out.push({ shortName: 'L', value: t.locality });
  if (t?.organization) out.push({ shortName: 'O', value: t.organization });
  if (t?.organizationalUnit) out.push({ shortName: 'OU', value: t.organizationalUnit });
  return out;
}

/**
 * Decides subject and DNS names from the requested values, the operator's edits and the profile.
 *
 * The profile's subject template, not the requester, decides organization fields; only the
 * common name comes from the request. A common name that is a host name must satisfy the domain
 * policy and is added to the DNS names when missing (clients ignore the CN).
 */
export function approveNames(
  requested: { commonName?: string; dnsNames: readonly string[] },
  profile: CaProfile,
  edits: RequestEdits = {},
): ApprovedRequest {
  const dnsNames = checkDnsNames(edits.dnsNames ?? requested.dnsNames, profile);
  let commonName = (edits.commonName ?? requested.commonName ?? '').trim();
  if (commonName === '') commonName = dnsNames[0] ?? '';
  if (commonName === '') {
    throw new CaError(CaErrorCode.SUBJECT_MISSING, 'The request has neither a common name nor a DNS name; enter at least one.');
  }
  if (commonName.length > MAX_COMMON_NAME || /[\u0000-\u001f]/.test(commonName)) {
    throw new CaError(CaErrorCode.SUBJECT_INVALID, `The common name must be 1 to ${MAX_COMMON_NAME} printable characters.`, { commonName });
  }
  // Without a domain policy (client certificates only, see checkProfile) no DNS name is issued:
  // a common name like laptop.example.com stays a name there.
  if (looksLikeHostName(commonName) && hasDomainPolicy(profile)) {
    const host = checkDnsName(commonName, profile);
    commonName = host;
    if (!dnsNames.includes(host)) dnsNames.unshift(host);
  }
  checkDnsNameCount(dnsNames.length);
  return { subject: [...templateAttributes(profile.subjectTemplate), { shortName: 'CN', value: commonName }], commonName, dnsNames };
}

/** Checks a parsed CSR against the profile (key, alternative names, subject) and applies edits. */
export function approveCsr(csr: ParsedCsr, profile: CaProfile, edits: RequestEdits = {}): ApprovedRequest {
  checkKey(csr.key, profile);
  if (csr.otherAltNameTypes.length > 0 && edits.dnsNames === undefined) {
    throw new CaError(
      CaErrorCode.SAN_TYPE_NOT_ALLOWED,
      `The request asks for alternative names of type ${[...new Set(csr.otherAltNameTypes)].join(', ')}; only DNS names are issued. ` +
        'Create the request with DNS names only, or replace the names when editing the request.',
      { types: csr.otherAltNameTypes },
    );
  }
  return approveNames({ commonName: csr.commonName, dnsNames: csr.dnsNames.map(normalizeDnsName) }, profile, edits);
}
