/**
 * Holds a parsed CSR against a certificate profile and the operator's edits ("edit the server
 * request"), and decides what will be issued. Pure: no I/O, no signing.
 */
import { CaError, CaErrorCode, shown } from './errors';
import { checkDnsName, checkDnsNameCount, checkDnsNames, endsInNumber, hasDomainPolicy, isValidHostName, looksLikeHostName, normalizeDnsName } from './dns-policy';
import type { CsrKey, ParsedCsr } from './csr';
import { EC_CURVES, issuesTlsServer, RSA_KEYS, type CaProfile, type SubjectTemplate } from './profile';

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
 * What a common name never holds, under any profile: control and format characters (a
 * zero-width space, a bidi override), private-use, unassigned and surrogate code points, line
 * and paragraph separators, and spaces other than U+0020. They make two names look the same.
 */
const INVISIBLE = /\p{C}|(?! )\p{Z}/u;

/**
 * The common name of a TLS server certificate (issue 17.2). A TLS client that finds no DNS name
 * in a certificate compares the host with the common name (OpenSSL's -verify_hostname does), so
 * a common name that is not a DNS name would name a host outside the domain policy: for such a
 * profile the common name must be a DNS name (optionally a permitted wildcard), not an IP
 * address, inside the policy; it is then also one of the certificate's DNS names.
 */
function tlsServerCommonName(commonName: string, profile: CaProfile): string {
  const name = normalizeDnsName(commonName);
  const host = name.startsWith('*.') ? name.slice(2) : name;
  if (!/^[\x21-\x7e]+$/.test(commonName) || !isValidHostName(host) || !host.includes('.')) {
    throw new CaError(
      CaErrorCode.SUBJECT_INVALID,
      `The common name "${shown(commonName)}" is not a DNS name (letters, digits and hyphens in dot-separated labels, e.g. host.example.com); ` +
        `certificate profile "${profile.id}" issues TLS server certificates, whose common name must be one of their DNS names.`,
      { commonName },
    );
  }
  if (endsInNumber(host)) {
    throw new CaError(
      CaErrorCode.SUBJECT_INVALID,
      `The common name "${commonName}" is an IP address; certificate profile "${profile.id}" issues TLS server certificates for DNS names only.`,
      { commonName },
    );
  }
  return checkDnsName(commonName, profile);
}

/**
 * Decides subject and DNS names from the requested values, the operator's edits and the profile.
 *
 * The profile's subject template, not the requester, decides organization fields; only the
 * common name comes from the request. Under a profile that issues TLS server certificates the
 * common name must be a DNS name inside the domain policy (see tlsServerCommonName); under a
 * client profile with a policy, a common name that looks like a host name must satisfy it. Such
 * a common name is added to the DNS names when missing (clients ignore the CN when there are).
 */
export function approveNames(
  requested: { commonName?: string; dnsNames: readonly string[] },
  profile: CaProfile,
  edits: RequestEdits = {},
): ApprovedRequest {
  const dnsNames = checkDnsNames(edits.dnsNames ?? requested.dnsNames, profile);
  // Only ASCII space is trimmed: String.trim would drop U+FEFF or U+00A0 and repair the name silently.
  let commonName = (edits.commonName ?? requested.commonName ?? '').replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (commonName === '') commonName = dnsNames[0] ?? '';
  if (commonName === '') {
    throw new CaError(CaErrorCode.SUBJECT_MISSING, 'The request has neither a common name nor a DNS name; enter at least one.');
  }
  if (commonName.length > MAX_COMMON_NAME || INVISIBLE.test(commonName)) {
    throw new CaError(
      CaErrorCode.SUBJECT_INVALID,
      `The common name "${shown(commonName)}" must be 1 to ${MAX_COMMON_NAME} characters without control or invisible characters (such as a zero-width space).`,
      { commonName },
    );
  }
  // A client profile without a domain policy issues no DNS name: laptop.example.com stays a name there.
  if (issuesTlsServer(profile)) {
    const host = tlsServerCommonName(commonName, profile);
    commonName = host;
    if (!dnsNames.includes(host)) dnsNames.unshift(host);
  } else if (looksLikeHostName(commonName) && hasDomainPolicy(profile)) {
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
