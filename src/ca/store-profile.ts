/**
 * Between the store and the CA: a store profile as the CA's profile, and an issued certificate
 * as the store's record. Maps a certificate profile of the store onto the CA's profile. The store's subject template
 * reads like a DN, e.g. `CN={commonName},OU={organizationalUnit},O=Example Corp,C=SE`: fixed
 * values are taken as they are, `{placeholders}` are filled from the request's data (an
 * asset's data pre-fills them, spec 002), and CN always comes from the request itself.
 */
import type { CertificateProfile } from '../store/profiles';
import type { IssuedCertificate } from './connector';
import { checkProfile, type CaProfile, type SubjectTemplate } from './profile';

const ATTRIBUTES: Readonly<Record<string, keyof SubjectTemplate | 'commonName'>> = {
  CN: 'commonName',
  O: 'organization',
  OU: 'organizationalUnit',
  L: 'locality',
  ST: 'state',
  C: 'country',
};

/** Values that fill `{name}` placeholders, e.g. the asset's organization or country. */
export type SubjectValues = Partial<Record<string, string | null | undefined>>;

/** The subject values an asset pre-fills (spec 002), with the request's common name. */
export function assetSubjectValues(
  asset: { commonName: string | null; organization: string | null; organizationalUnit: string | null; locality: string | null; country: string | null } | undefined,
  commonName?: string,
): SubjectValues {
  return {
    commonName: commonName ?? asset?.commonName ?? undefined,
    organization: asset?.organization ?? undefined,
    organizationalUnit: asset?.organizationalUnit ?? undefined,
    locality: asset?.locality ?? undefined,
    country: asset?.country ?? undefined,
  };
}

/** Parses the template into fixed subject attributes, filling placeholders from `values`. */
export function subjectTemplateOf(template: string, values: SubjectValues = {}): SubjectTemplate {
  const subject: SubjectTemplate = {};
  for (const part of template.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`subject template part "${part.trim()}" is not KEY=value (template: ${template})`);
    const key = part.slice(0, eq).trim().toUpperCase();
    const attribute = ATTRIBUTES[key];
    if (!attribute) throw new Error(`subject template uses unknown attribute "${key}" (known: ${Object.keys(ATTRIBUTES).join(', ')})`);
    if (attribute === 'commonName') continue;
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => values[name] ?? '')
      .trim();
    if (value !== '') subject[attribute] = value;
  }
  return subject;
}

/** The CA profile for `profile`, its subject filled from `values`. Throws PROFILE_INVALID if unusable. */
export function toCaProfile(profile: CertificateProfile, values: SubjectValues = {}): CaProfile {
  const ca: CaProfile = {
    id: String(profile.id),
    keyAlgorithm: profile.keyAlgorithm,
    minKeySize: profile.minKeySize,
    validityDays: profile.validityDays,
    subjectTemplate: subjectTemplateOf(profile.subjectTemplate, values),
    allowedDnsSuffixes: profile.allowedDnsSuffixes,
    extendedKeyUsage: profile.extendedKeyUsage.filter((e): e is 'serverAuth' | 'clientAuth' => e === 'serverAuth' || e === 'clientAuth'),
  };
  checkProfile(ca);
  return ca;
}

/** What the store records of a certificate the CA issued (never its key). */
export function certificateRecord(issued: IssuedCertificate) {
  return {
    subject: issued.subject,
    dnsNames: issued.dnsNames,
    serial: issued.serialNumber,
    pem: issued.certificatePem,
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}
