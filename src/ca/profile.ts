/**
 * The certificate profile as the CA needs it: a plain input, independent of the store's
 * `certificate_profiles` table (which is mapped onto it by the caller).
 */
import { endsInNumber, isValidHostName, normalizeSuffix } from './dns-policy';
import { CaError, CaErrorCode } from './errors';

/** Extended key usages a profile may ask for. */
export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

/** Subject attributes the profile fixes; they override whatever the request says. */
export interface SubjectTemplate {
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  state?: string;
  /** Two-letter ISO 3166 country code. */
  country?: string;
}

export interface CaProfile {
  /** The profile's id in the store; recorded with every certificate issued under it. */
  id: string;
  /** Key algorithm the certificate's key must use (P10) or is generated with (P12). */
  keyAlgorithm: 'RSA' | 'EC';
  /**
   * Minimum key size: RSA modulus bits (at least 2048), or EC curve bits (256 or 384).
   * For P12 this is also the size generated.
   */
  minKeySize: number;
  /** Days from issuance until the certificate expires (capped at the issuing CA's own expiry). */
  validityDays: number;
  /** Subject attributes fixed by the profile (organization, country, ...). Default: none. */
  subjectTemplate?: SubjectTemplate;
  /**
   * The domain policy: DNS suffixes every DNS name must be under (`example.com` allows
   * `example.com` and `www.example.com`). Empty: the profile issues no DNS names at all, and a
   * profile that issues TLS server certificates (see issuesTlsServer) is refused (issue 17.12).
   */
  allowedDnsSuffixes: string[];
  /** Whether `*.name` DNS names may be issued. Default false. */
  allowWildcards?: boolean;
  /**
   * Extended key usages written into the certificate. Default: none (no EKU extension, which
   * makes the certificate valid for every purpose, TLS server authentication included).
   */
  extendedKeyUsage?: ExtendedKeyUsage[];
}

/**
 * True when certificates of the profile can authenticate a TLS server: serverAuth, or no
 * extended key usage at all (RFC 5280 4.2.1.12: then any purpose is allowed).
 */
export function issuesTlsServer(profile: Pick<CaProfile, 'extendedKeyUsage'>): boolean {
  const usages = profile.extendedKeyUsage ?? [];
  return usages.length === 0 || usages.includes('serverAuth');
}

/**
 * EC curve bits → the curve this CA uses for that size. Only these named curves are certified:
 * P-521 is not (the Mozilla root store policy allows P-256 and P-384 only), nor any curve given
 * by explicit parameters (issue 17.13).
 */
export const EC_CURVES: Readonly<Record<number, { name: 'P-256' | 'P-384'; nodeName: string; hash: 'sha256' | 'sha384' }>> = {
  256: { name: 'P-256', nodeName: 'prime256v1', hash: 'sha256' },
  384: { name: 'P-384', nodeName: 'secp384r1', hash: 'sha384' },
};

/**
 * RSA keys this CA certifies (issue 17.13): 2048 to 8192 bits (8192 is also the largest minimum
 * a profile may ask for), a whole number of bytes (CA/Browser Forum BR 6.1.5), and the public
 * exponent 65537 only: an exponent of 1 makes every signature forgeable, 3 invites the
 * low-exponent attacks on bad padding.
 */
export const RSA_KEYS = { minBits: 2048, maxBits: 8192, publicExponent: 65537n } as const;

/** Checks that a profile can be used; throws `PROFILE_INVALID` naming the bad field. */
export function checkProfile(profile: CaProfile): void {
  const bad = (field: string, why: string): never => {
    throw new CaError(CaErrorCode.PROFILE_INVALID, `Certificate profile "${profile.id}": ${field} ${why}.`, { field });
  };
  if (!profile.id) bad('id', 'is missing');
  if (profile.keyAlgorithm !== 'RSA' && profile.keyAlgorithm !== 'EC') bad('keyAlgorithm', 'must be RSA or EC');
  if (profile.keyAlgorithm === 'RSA' && !(Number.isInteger(profile.minKeySize) && profile.minKeySize >= RSA_KEYS.minBits && profile.minKeySize <= RSA_KEYS.maxBits)) {
    bad('minKeySize', `must be between ${RSA_KEYS.minBits} and ${RSA_KEYS.maxBits} bits for RSA`);
  }
  if (profile.keyAlgorithm === 'EC' && !EC_CURVES[profile.minKeySize]) bad('minKeySize', 'must be 256 or 384 for EC');
  if (!(Number.isInteger(profile.validityDays) && profile.validityDays >= 1 && profile.validityDays <= 3650)) {
    bad('validityDays', 'must be a whole number of days between 1 and 3650');
  }
  if (!Array.isArray(profile.allowedDnsSuffixes)) bad('allowedDnsSuffixes', 'must be a list');
  for (const suffix of profile.allowedDnsSuffixes) {
    const domain = normalizeSuffix(suffix);
    if (!isValidHostName(domain) || endsInNumber(domain)) bad('allowedDnsSuffixes', `holds "${suffix}", which is not a domain (e.g. corp.example.com)`);
  }
  // The domain policy fails closed (issue 17.12): a TLS server certificate without one could name any host.
  if (issuesTlsServer(profile) && profile.allowedDnsSuffixes.length === 0) {
    bad(
      'allowedDnsSuffixes',
      'is empty, but the profile issues TLS server certificates (serverAuth, or no extended key usage); list the domains its DNS names must be under',
    );
  }
  const country = profile.subjectTemplate?.country;
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) bad('subjectTemplate.country', 'must be a two-letter country code');
  for (const eku of profile.extendedKeyUsage ?? []) {
    if (eku !== 'serverAuth' && eku !== 'clientAuth') bad('extendedKeyUsage', `holds unknown usage "${String(eku)}"`);
  }
}
